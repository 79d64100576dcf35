"""The GameState object API: seeds, copies, illegal moves, snapshots, rendering."""

import numpy as np
import pytest

from alphatriangle.game import GameState
from alphatriangle.ui.render import render_text


def _play_until_refills(state: GameState, refills: int) -> list[list[int | None]]:
    """Play first-legal moves; return the slot contents after each of `refills` refills."""
    seen: list[list[int | None]] = []
    while len(seen) < refills and not state.is_over():
        state.step(min(state.valid_actions()))
        if all(s is not None for s in state.shape_ids()) and state.current_step % 3 == 0:
            seen.append(state.shape_ids())
    return seen


def test_same_seed_same_game() -> None:
    a, b = GameState(initial_seed=7), GameState(initial_seed=7)
    assert a.shape_ids() == b.shape_ids()
    assert _play_until_refills(a, 4) == _play_until_refills(b, 4)
    assert a.occupied_cells() == b.occupied_cells()


def test_different_seeds_differ() -> None:
    shapes = {tuple(GameState(initial_seed=s).shape_ids()) for s in range(20)}
    assert len(shapes) > 10


def test_copy_is_equal_but_cannot_predict_refills() -> None:
    original = GameState(initial_seed=11)
    original.step(min(original.valid_actions()))
    clone = original.copy()
    assert clone.occupied_cells() == original.occupied_cells()
    assert clone.shape_ids() == original.shape_ids()
    assert clone.game_score() == original.game_score()
    assert clone.current_step == original.current_step
    assert clone.valid_actions() == original.valid_actions()
    # Same moves, independent refill streams: the refills must differ.
    assert _play_until_refills(clone, 4) != _play_until_refills(original, 4)


def test_copy_does_not_share_state() -> None:
    original = GameState(initial_seed=3)
    clone = original.copy()
    clone.step(min(clone.valid_actions()))
    assert original.current_step == 0
    assert original.occupied_cells() == []


def test_illegal_action_raises_and_changes_nothing() -> None:
    state = GameState(initial_seed=5)
    legal = state.valid_actions()
    illegal = next(a for a in range(state.config.ACTION_DIM) if a not in legal)
    before = (state.occupied_cells(), state.shape_ids(), state.game_score(), state.current_step)
    for action in (illegal, -1, state.config.ACTION_DIM, 10**6):
        with pytest.raises(ValueError, match="illegal action"):
            state.step(action)
    assert (
        state.occupied_cells(),
        state.shape_ids(),
        state.game_score(),
        state.current_step,
    ) == before


def test_game_runs_to_the_end_and_then_refuses_moves() -> None:
    state = GameState(initial_seed=1)
    rng = np.random.default_rng(0)
    total = 0.0
    while not state.is_over():
        mask = state.valid_action_mask()
        assert mask.sum() == len(state.valid_actions()) > 0
        reward, done = state.step(int(rng.choice(np.flatnonzero(mask))))
        total += reward
        assert done == state.is_over()
    assert not state.valid_actions()
    assert state.game_score() > 0
    with pytest.raises(ValueError, match="game is over"):
        state.step(0)
    state.reset(seed=1)
    assert state.current_step == 0 and state.game_score() == 0 and not state.is_over()
    assert state.shape_ids() == GameState(initial_seed=1).shape_ids()


def test_from_snapshot_builds_positions_and_rejects_bad_ones() -> None:
    state = GameState.from_snapshot([(0, 3), (4, 7)], [0, None, 2], score=12)
    assert state.occupied_cells() == [(0, 3), (4, 7)]
    assert state.shape_ids() == [0, None, 2]
    assert state.game_score() == 12
    with pytest.raises(ValueError, match="not a playable cell"):
        GameState.from_snapshot([(0, 0)], [0, 0, 0])
    with pytest.raises(ValueError, match="got 2 slots, the board has 3"):
        GameState.from_snapshot([], [0, 0])
    with pytest.raises(ValueError, match="shape id 23"):
        GameState.from_snapshot([], [0, 23, 0])
    assert GameState.from_snapshot([], [None, None, None]).is_over()


def test_refill_argument_replaces_the_draw() -> None:
    state = GameState.from_snapshot([], [0, None, None])
    state.step(min(state.valid_actions()), refill=[5, 6, 7])
    assert state.shape_ids() == [5, 6, 7]
    with pytest.raises(ValueError, match="one shape id per slot"):
        state.step(min(state.valid_actions()), refill=[1, 2])


def test_render_shows_board_slots_and_score() -> None:
    state = GameState.from_snapshot([(3, 0)], [0, 2, None], score=5)
    text = render_text(state)
    assert "score 5" in text and "slot 2" in text and "(empty)" in text
    assert "▲" in text.splitlines()[5] and text.count("▲") == 2
    assert "GameState(score=5" in repr(state)
