"""The agents shipped in models/laptop and models/ntuple load on a fresh clone and play."""

import json
from pathlib import Path

import numpy as np

from alphatriangle.data import CHECKPOINT_FORMAT_VERSION
from alphatriangle.evaluation import evaluation_mcts, load_agent, play_agent
from alphatriangle.evaluation.checkpoints import AGENT_FILE, CARD_FILE, NTupleAgent, load_any_agent
from alphatriangle.evaluation.suite import default_seeds, ntuple_chooser, play_baseline, play_suite

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


SHIPPED_NTUPLE = SHIPPED.parent / "ntuple"


def test_the_shipped_ntuple_player_plays_its_cards_games() -> None:
    """`models/ntuple` loads as an n-tuple player and plays the first games of the card's
    evaluation (`docs/ntuple-eval.json`) to the same scores."""
    agent = load_any_agent(str(SHIPPED_NTUPLE))
    assert isinstance(agent, NTupleAgent)
    assert np.isfinite(agent.player.weights).all()
    card = (SHIPPED_NTUPLE / CARD_FILE).read_text()
    assert "n-tuple player" in card and "| planner |" in card
    report = json.loads((SHIPPED.parent.parent / "docs" / "ntuple-eval.json").read_text())
    first = report["results"][0]
    assert first["name"] == agent.name
    seeds = default_seeds(3)
    result = play_suite(agent.name, seeds, ntuple_chooser(agent.player, list(seeds)),
                        agent.config.env)  # fmt: skip
    assert result.scores == first["scores"][:3]
