"""Property tests: invariants of the rules under arbitrary play, and core vs reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphatriangle.bench.reference_engine import ReferenceGame
from alphatriangle.config import EnvConfig
from alphatriangle.game import GameBatch
from alphatriangle.game.geometry import engine_tables, words_to_cells

CFG = EnvConfig()
TABLES = engine_tables(CFG)
LINE_CELLS = [{r * CFG.COLS + c for r, c in line} for line in TABLES.lines]
PLAYABLE = set(np.flatnonzero(TABLES.playable).tolist())


def _occupied(batch: GameBatch, g: int) -> set[int]:
    return set(words_to_cells(int(batch.occ[g, 0]), int(batch.occ[g, 1])))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**62), choices=st.lists(st.integers(0, 10**9), max_size=80))
def test_invariants_hold_after_every_step(seed: int, choices: list[int]) -> None:
    batch = GameBatch.new(1, seeds=[seed])
    for choice in choices:
        if batch.done[0]:
            break
        legal = np.flatnonzero(batch.legal_mask()[0])
        slots_before = batch.shapes[0].copy()
        score_before = int(batch.score[0])
        action = int(legal[choice % len(legal)])
        result = batch.step(np.array([action]))
        occupied = _occupied(batch, 0)
        assert occupied <= PLAYABLE
        assert not any(line <= occupied for line in LINE_CELLS)
        assert batch.score[0] >= score_before
        assert batch.score[0] - score_before == result.score_delta[0]
        filled_before = int((slots_before >= 0).sum())
        filled_after = int((batch.shapes[0] >= 0).sum())
        assert bool(result.refilled[0]) == (filled_before == 1)
        assert filled_after == (CFG.NUM_SHAPE_SLOTS if filled_before == 1 else filled_before - 1)
        assert bool(batch.done[0]) == (not batch.legal_mask()[0].any())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**62), choices=st.lists(st.integers(0, 10**9), min_size=1, max_size=60))
def test_batched_core_agrees_with_the_reference_engine(seed: int, choices: list[int]) -> None:
    batch = GameBatch.new(1, seeds=[seed])
    reference = ReferenceGame.from_snapshot([], [int(s) for s in batch.shapes[0]])
    for choice in choices:
        if batch.done[0]:
            assert reference.over
            break
        legal = reference.legal_actions()
        assert np.flatnonzero(batch.legal_mask()[0]).tolist() == legal
        action = legal[choice % len(legal)]
        result = batch.step(np.array([action]))
        refill = [int(s) for s in batch.shapes[0]] if result.refilled[0] else None
        reward, done = reference.step(action, refill=refill)
        assert sorted(r * CFG.COLS + c for r, c in reference.occupied) == sorted(
            _occupied(batch, 0)
        )
        assert reference.score == batch.score[0]
        assert abs(reward - result.reward[0]) < 1e-9
        assert done == bool(batch.done[0])


@settings(max_examples=25, deadline=None)
@given(seeds=st.lists(st.integers(0, 2**62), min_size=2, max_size=12, unique=True))
def test_a_batch_steps_each_game_like_a_batch_of_one(seeds: list[int]) -> None:
    together = GameBatch.new(len(seeds), seeds=seeds)
    alone = [GameBatch.new(1, seeds=[s]) for s in seeds]
    for _ in range(30):
        masks = together.legal_mask()
        actions = np.array([np.flatnonzero(m)[0] if m.any() else -1 for m in masks])
        together.step(actions)
        for g, game in enumerate(alone):
            game.step(actions[g : g + 1])
            assert np.array_equal(game.occ[0], together.occ[g])
            assert np.array_equal(game.shapes[0], together.shapes[g])
            assert game.score[0] == together.score[g]


def test_an_illegal_action_in_a_batch_changes_no_game() -> None:
    batch = GameBatch.new(3, seeds=[1, 2, 3])
    before = batch.copy(reseed=False)
    masks = batch.legal_mask()
    actions = np.array([np.flatnonzero(m)[0] for m in masks])
    actions[2] = int(np.flatnonzero(~masks[2])[0])
    with pytest.raises(ValueError, match="game 2"):
        batch.step(actions)
    for name in ("occ", "shapes", "score", "steps", "done", "rng"):
        assert np.array_equal(getattr(batch, name), getattr(before, name)), name
