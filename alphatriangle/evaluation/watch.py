"""`alphatriangle watch`: play one seeded game with an agent or a baseline, write its HTML
replay."""

from pathlib import Path

from alphatriangle.baselines.simple import BASELINES
from alphatriangle.config import EnvConfig
from alphatriangle.evaluation.checkpoints import load_agent
from alphatriangle.evaluation.suite import (
    AgentChooser,
    baseline_chooser,
    evaluation_mcts,
    play_suite,
    recording,
)
from alphatriangle.ui.replay import GameRecord, MovePlayed, record_game, replay_html


def watch_game(target: str, seed: int, simulations: int | None, out: Path) -> GameRecord:
    """`target` is a run, checkpoint or exported agent, or a baseline's name (`planner`,
    `greedy`, `random`) when no such path exists."""
    moves: list[list[MovePlayed]] = []
    if target in BASELINES and not Path(target).exists():
        env = EnvConfig()
        chooser = recording(baseline_chooser(target, [seed]), moves, 1)
        title = f"AlphaTriangle: the {target} baseline, seed {seed}"
    else:
        agent = load_agent(target)
        env = agent.config.env
        mcts = evaluation_mcts(agent.config, simulations)
        chooser = AgentChooser(agent.network, mcts, env, [seed], moves)
        title = f"AlphaTriangle: {agent.name}, seed {seed}, {mcts.NUM_SIMULATIONS} simulations"
    play_suite(title, [seed], chooser, env)
    record = record_game(title, seed, moves[0], env)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(replay_html(record, env), encoding="utf-8")
    return record
