"""Every recorded move of the original engine, replayed through each of our implementations."""

from typing import Any

import numpy as np
import pytest

from alphatriangle.bench.reference_engine import ReferenceGame
from alphatriangle.config import EnvConfig
from alphatriangle.game import GameBatch, GameState
from alphatriangle.game.geometry import cells_to_words, words_to_cells
from alphatriangle.game.shapes import DRAW_TEMPLATE_IDS, SHAPES

Transition = dict[str, Any]
COLS = EnvConfig().COLS


def _cells(pairs: list[list[int]]) -> list[tuple[int, int]]:
    return sorted((r, c) for r, c in pairs)


def test_shape_catalogue_matches_recorded_order(conformance: dict[str, Any]) -> None:
    recorded = [
        tuple((dr, dc, up) for dr, dc, up in shape) for shape in conformance["distinct_shapes"]
    ]
    assert list(SHAPES) == recorded
    assert list(DRAW_TEMPLATE_IDS) == conformance["template_list_ids"]


def test_object_api_reproduces_every_transition(conformance: dict[str, Any]) -> None:
    for i, t in enumerate(conformance["transitions"]):
        state = GameState.from_snapshot(t["occupied"], t["shapes"], score=t["score"])
        assert sorted(state.valid_actions()) == t["valid_actions"], f"transition {i}"
        assert state.encode_action(t["slot"], t["row"], t["col"]) == t["action"]
        refill = t["shapes_after"] if t["refilled"] else None
        reward, done = state.step(t["action"], refill=refill)
        assert state.occupied_cells() == _cells(t["occupied_after"]), f"transition {i}"
        assert state.game_score() - t["score"] == pytest.approx(t["score_delta"])
        assert reward == pytest.approx(t["reward"]), f"transition {i}"
        assert state.shape_ids() == t["shapes_after"]
        assert done == t["done"] == state.is_over(), f"transition {i}"


def test_batched_core_reproduces_every_transition(conformance: dict[str, Any]) -> None:
    transitions: list[Transition] = conformance["transitions"]
    n = len(transitions)
    batch = GameBatch.empty(n, seeds=list(range(n)))
    for g, t in enumerate(transitions):
        batch.occ[g] = cells_to_words([r * COLS + c for r, c in t["occupied"]])
        batch.shapes[g] = [-1 if s is None else s for s in t["shapes"]]
        batch.score[g] = int(t["score"])
    batch.refresh_done()

    mask = batch.legal_mask()
    for g, t in enumerate(transitions):
        assert np.flatnonzero(mask[g]).tolist() == t["valid_actions"], f"transition {g}"

    forced = np.array([[-1 if s is None else s for s in t["shapes_after"]] for t in transitions])
    result = batch.step(np.array([t["action"] for t in transitions]), forced_refills=forced)
    for g, t in enumerate(transitions):
        lo, hi = (int(w) for w in batch.occ[g])
        occupied = sorted(divmod(cell, COLS) for cell in words_to_cells(lo, hi))
        assert occupied == _cells(t["occupied_after"]), f"transition {g}"
        assert result.score_delta[g] == t["score_delta"]
        assert result.reward[g] == pytest.approx(t["reward"])
        assert result.refilled[g] == t["refilled"]
        assert result.done[g] == t["done"], f"transition {g}"
        assert batch.shapes[g].tolist() == [-1 if s is None else s for s in t["shapes_after"]]


def test_reference_engine_reproduces_every_transition(conformance: dict[str, Any]) -> None:
    """The benchmark's pure-Python baseline plays by the same rules."""
    for i, t in enumerate(conformance["transitions"]):
        game = ReferenceGame.from_snapshot(t["occupied"], t["shapes"], score=t["score"])
        assert game.legal_actions() == t["valid_actions"], f"transition {i}"
        reward, _ = game.step(t["action"], refill=t["shapes_after"])
        assert sorted(game.occupied) == _cells(t["occupied_after"]), f"transition {i}"
        assert game.score - t["score"] == pytest.approx(t["score_delta"])
        assert reward == pytest.approx(t["reward"])
        assert game.over == t["done"], f"transition {i}"
