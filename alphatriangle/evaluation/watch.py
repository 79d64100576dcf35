"""`alphatriangle watch`: play one seeded game with an agent and write its HTML replay."""

from pathlib import Path

from alphatriangle.evaluation.checkpoints import load_agent
from alphatriangle.evaluation.replay import GameRecord, record_game, replay_html
from alphatriangle.evaluation.suite import MovePlayed, evaluation_mcts, play_agent


def watch_game(target: str, seed: int, simulations: int | None, out: Path) -> GameRecord:
    agent = load_agent(target)
    mcts = evaluation_mcts(agent.config, simulations)
    moves: list[list[MovePlayed]] = []
    play_agent(agent.name, agent.network, mcts, [seed], agent.config.env, moves=moves)
    title = f"AlphaTriangle: {agent.name}, seed {seed}, {mcts.num_simulations} simulations"
    record = record_game(title, seed, moves[0], agent.config.env)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(replay_html(record, agent.config.env), encoding="utf-8")
    return record
