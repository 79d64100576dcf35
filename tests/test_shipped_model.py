"""The agent shipped in models/laptop loads on a fresh clone and plays."""

import json
from pathlib import Path

import numpy as np

from alphatriangle.data import CHECKPOINT_FORMAT_VERSION
from alphatriangle.evaluation import evaluation_mcts, load_agent, play_agent
from alphatriangle.evaluation.checkpoints import AGENT_FILE, CARD_FILE
from alphatriangle.evaluation.suite import default_seeds, play_baseline

SHIPPED = Path(__file__).parent.parent / "models" / "laptop"


def test_the_shipped_agent_is_small_current_and_described() -> None:
    files = {p.name: p.stat().st_size for p in SHIPPED.iterdir()}
    assert set(files) == {"model.safetensors", AGENT_FILE, CARD_FILE}
    assert files["model.safetensors"] < 1_000_000
    described = json.loads((SHIPPED / AGENT_FILE).read_text())
    assert described["format_version"] == CHECKPOINT_FORMAT_VERSION
    card = (SHIPPED / CARD_FILE).read_text()
    assert "| planner |" in card and "| greedy |" in card and "| random |" in card


def test_the_shipped_agent_plays_games_better_than_random_moves() -> None:
    agent = load_agent(str(SHIPPED))
    mcts = evaluation_mcts(agent.config, simulations=8)
    seeds = default_seeds(4)
    result = play_agent(agent.name, agent.network, mcts, seeds, agent.config.env)
    random = play_baseline("random", seeds, agent.config.env)
    assert all(a > r for a, r in zip(result.scores, random.scores, strict=True))
    assert all(a > r for a, r in zip(result.lengths, random.lengths, strict=True))
    described = json.loads((SHIPPED / AGENT_FILE).read_text())
    assert agent.global_step == described["global_step"]
    weights = agent.network.get_weights()
    assert all(np.isfinite(w).all() for w in weights.values())
