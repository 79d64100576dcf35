"""The planner baseline: its heuristic by hand, beam dedupe, line clears, survival, strength."""

import math

import numpy as np
import pytest

from alphatriangle.baselines.planner import (
    board_heuristic,
    draw_probabilities,
    planner_actions,
    planner_tables,
    top_unique,
)
from alphatriangle.baselines.simple import BASELINES, policy_streams, random_actions
from alphatriangle.config import EnvConfig, PlannerConfig
from alphatriangle.game import GameBatch, GameState
from alphatriangle.game.geometry import engine_tables, playable_cells, words_to_cells
from alphatriangle.game.shapes import DRAW_TEMPLATE_IDS

TABLES = engine_tables(EnvConfig())
ZERO_WEIGHTS = PlannerConfig(WEIGHT_FIT=0.0, WEIGHT_MOBILITY=0.0, WEIGHT_EMPTY=0.0, WEIGHT_HOLE=0.0)


def _heuristic(state: GameState, **weights: float) -> float:
    config = ZERO_WEIGHTS.model_copy(update=weights)
    plan = planner_tables(TABLES, config)
    return board_heuristic(TABLES.core, plan, state.batch.occ[0, 0], state.batch.occ[0, 1])


def test_draw_probabilities_follow_the_draw_list() -> None:
    probabilities = draw_probabilities(TABLES)
    assert probabilities.sum() == pytest.approx(1.0)
    assert probabilities[0] == pytest.approx(2 / 31)
    assert probabilities[5] == pytest.approx(1 / 31)
    assert len(DRAW_TEMPLATE_IDS) == 31


def test_heuristic_of_the_empty_board() -> None:
    empty = GameState.from_snapshot([], [None, None, None])
    assert _heuristic(empty, WEIGHT_FIT=1.0) == pytest.approx(1.0)
    assert _heuristic(empty, WEIGHT_EMPTY=1.0) == pytest.approx(96.0)
    assert _heuristic(empty, WEIGHT_HOLE=1.0) == pytest.approx(0.0)
    probabilities = draw_probabilities(TABLES)
    expected = sum(
        p * math.log1p(int(TABLES.core.anchor_count[s])) for s, p in enumerate(probabilities)
    )
    assert _heuristic(empty, WEIGHT_MOBILITY=1.0) == pytest.approx(expected)


def test_heuristic_of_a_board_with_one_isolated_up_cell() -> None:
    hole = (4, 7)
    occupied = sorted(playable_cells(EnvConfig()) - {hole})
    state = GameState.from_snapshot(occupied, [None, None, None])
    # Only the single up triangle (drawn 2 times in 31) fits, in one place.
    assert _heuristic(state, WEIGHT_FIT=1.0) == pytest.approx(2 / 31)
    assert _heuristic(state, WEIGHT_MOBILITY=1.0) == pytest.approx(2 / 31 * math.log(2))
    assert _heuristic(state, WEIGHT_EMPTY=1.0) == pytest.approx(1.0)
    assert _heuristic(state, WEIGHT_HOLE=1.0) == pytest.approx(1.0)


def testtop_unique_keeps_the_best_of_each_position() -> None:
    score = np.array([5.0, 9.0, 9.0, 1.0, 7.0])
    lo = np.array([1, 2, 2, 3, 4], dtype=np.uint64)
    hi = np.zeros(5, dtype=np.uint64)
    used = np.array([3, 3, 3, 3, 3], dtype=np.int64)
    keep = np.empty(3, dtype=np.int64)
    kept = top_unique(score, lo, hi, used, 5, 3, keep)
    assert kept == 3
    assert keep.tolist() == [1, 4, 0]


def test_planner_completes_a_line_with_its_last_shape() -> None:
    # Row 0 runs from column 3 to 11; all but (0, 11), an up cell, are filled.
    occupied = [(0, c) for c in range(3, 11)]
    state = GameState.from_snapshot(occupied, [0, None, None])
    action = int(planner_actions(state.batch, policy_streams(1, seed=0))[0])
    assert state.decode_action(action) == (0, 0, 11)


def _position(batch: GameBatch, g: int) -> GameState:
    cols = batch.config.COLS
    cells = words_to_cells(int(batch.occ[g, 0]), int(batch.occ[g, 1]))
    shapes = [int(s) if s >= 0 else None for s in batch.shapes[g]]
    return GameState.from_snapshot([divmod(c, cols) for c in cells], shapes)


def _can_place_all(state: GameState) -> bool:
    """Whether some order and placement of the shapes in hand places them all."""
    remaining = sum(shape is not None for shape in state.shape_ids())
    if remaining == 0:
        return True
    for action in state.valid_actions():
        if remaining == 1:
            return True
        child = state.copy()
        child.step(action)
        if _can_place_all(child):
            return True
    return False


def _is_trap(state: GameState) -> bool:
    """The hand can be placed whole, but some legal move makes that impossible."""
    if not _can_place_all(state):
        return False
    for action in state.valid_actions():
        child = state.copy()
        child.step(action)
        if sum(s is not None for s in state.shape_ids()) > 1 and not _can_place_all(child):
            return True
    return False


def test_planner_never_walks_into_a_dead_hand_it_could_avoid() -> None:
    batch = GameBatch.new(64, seeds=list(range(300, 364)))
    rng = policy_streams(64, seed=5)
    wide = PlannerConfig(BEAM_WIDTH=256)
    traps = 0
    for _ in range(16):
        batch.step(random_actions(batch, rng))
        plan = planner_actions(batch, policy_streams(len(batch), seed=6), wide)
        for g in np.flatnonzero(~batch.done):
            state = _position(batch, int(g))
            if _is_trap(state):
                state.step(int(plan[g]))
                assert _can_place_all(state)
                traps += 1
        if traps >= 5:
            break
    assert traps >= 5


def test_planner_plays_legal_moves_and_beats_greedy() -> None:
    seeds = list(range(700, 716))
    scores = {}
    for name in ("planner", "greedy"):
        batch = GameBatch.new(len(seeds), seeds=seeds)
        rng = policy_streams(len(seeds), seed=3)
        while not batch.done.all():
            masks = batch.legal_mask()
            actions = BASELINES[name](batch, rng)
            for g, a in enumerate(actions):
                assert (a == -1) == bool(batch.done[g])
                assert a == -1 or masks[g, a]
            batch.step(actions)
        scores[name] = batch.score.astype(float)
    assert scores["planner"].mean() > 2 * scores["greedy"].mean()


def test_planner_ties_come_from_its_own_stream() -> None:
    # On an empty board with three single up triangles many sequences tie.
    state = GameState.from_snapshot([], [0, 0, 0])
    picks = {
        int(planner_actions(state.batch, policy_streams(1, seed=s), ZERO_WEIGHTS)[0])
        for s in range(12)
    }
    assert len(picks) > 1
    again = {
        int(planner_actions(state.batch, policy_streams(1, seed=s), ZERO_WEIGHTS)[0])
        for s in range(12)
    }
    assert picks == again
