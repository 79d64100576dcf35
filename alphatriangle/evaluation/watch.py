"""`alphatriangle watch`: play one seeded game with an agent or a baseline, write its HTML
replay."""

from pathlib import Path

from alphatriangle.baselines.simple import BASELINES
from alphatriangle.config import EnvConfig
from alphatriangle.evaluation.checkpoints import NTupleAgent, load_any_agent
from alphatriangle.evaluation.suite import (
    ActionChooser,
    AgentChooser,
    baseline_chooser,
    evaluation_mcts,
    ntuple_chooser,
    play_suite,
    recording,
)
from alphatriangle.ui.replay import GameRecord, MovePlayed, record_game, replay_html


def watch_game(target: str, seed: int, simulations: int | None, out: Path) -> GameRecord:
    """`target` is a run, checkpoint or exported agent (AlphaZero or n-tuple), or a baseline's
    name (`planner`, `greedy`, `random`) when no such path exists."""
    moves: list[list[MovePlayed]] = []
    chooser, env, title = _chooser(target, seed, simulations, moves)
    play_suite(title, [seed], chooser, env)
    record = record_game(title, seed, moves[0], env)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(replay_html(record, env), encoding="utf-8")
    return record


def _chooser(
    target: str, seed: int, simulations: int | None, moves: list[list[MovePlayed]]
) -> tuple[ActionChooser, EnvConfig, str]:
    """What plays `target`'s game on `seed`, noting its moves in `moves`; its board; a title."""
    if target in BASELINES and not Path(target).exists():
        chooser = recording(baseline_chooser(target, [seed]), moves, 1)
        return chooser, EnvConfig(), f"AlphaTriangle: the {target} baseline, seed {seed}"
    agent = load_any_agent(target)
    env = agent.config.env
    if isinstance(agent, NTupleAgent):
        beam = agent.config.ntuple.BEAM_WIDTH
        title = f"AlphaTriangle: the n-tuple player {agent.name}, seed {seed}, beam {beam}"
        return recording(ntuple_chooser(agent.player, [seed]), moves, 1), env, title
    mcts = evaluation_mcts(agent.config, simulations)
    title = f"AlphaTriangle: {agent.name}, seed {seed}, {mcts.NUM_SIMULATIONS} simulations"
    return AgentChooser(agent.network, mcts, env, [seed], moves), env, title
