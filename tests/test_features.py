"""Feature planes and vectors agree with the game state they describe."""

import numpy as np

from alphatriangle.config import EnvConfig
from alphatriangle.features import FeatureExtractor, feature_spec
from alphatriangle.game import NUM_SHAPES, GameBatch, GameState
from alphatriangle.game.geometry import engine_tables

ENV = EnvConfig()


def _played_batch(n: int, moves: int) -> GameBatch:
    batch = GameBatch.new(n, seeds=list(range(n)))
    rng = np.random.default_rng(1)
    for _ in range(moves):
        masks = batch.legal_mask()
        batch.step(np.array([rng.choice(np.flatnonzero(m)) if m.any() else -1 for m in masks]))
    return batch


def test_shapes_follow_the_config() -> None:
    spec = feature_spec(ENV)
    assert spec.board_shape == (6, 8, 15)
    assert spec.other_dim == 3 * (NUM_SHAPES + 1) + 24 + 2
    small = EnvConfig(ROWS=2, COLS=4, PLAYABLE_RANGE_PER_ROW=((0, 4), (0, 4)), NUM_SHAPE_SLOTS=2)
    assert feature_spec(small).board_shape == (5, 2, 4)


def test_planes_and_vectors_describe_the_position() -> None:
    batch = _played_batch(24, 7)
    board, other = FeatureExtractor(ENV).extract(batch.occ, batch.shapes)
    tables = engine_tables(ENV)
    playable = tables.playable.reshape(8, 15)
    masks = batch.legal_mask().reshape(24, 3, 8, 15)
    for g in range(24):
        state = GameState.from_snapshot([], [None] * 3)
        state.batch.occ[0] = batch.occ[g]
        state.batch.shapes[0] = batch.shapes[g]
        occupied = np.zeros((8, 15), bool)
        for r, c in state.occupied_cells():
            occupied[r, c] = True
        assert np.array_equal(board[g, 0] == 1, occupied)
        assert np.array_equal(board[g, 1] == 1, playable & ~occupied)
        assert np.array_equal(board[g, 2] == 1, playable & tables.cell_is_up.reshape(8, 15))
        assert np.array_equal(board[g, 3:] == 1, masks[g])
        for slot, shape in enumerate(state.shape_ids()):
            one_hot = other[g, slot * NUM_SHAPES : (slot + 1) * NUM_SHAPES]
            assert one_hot.sum() == (0 if shape is None else 1)
            if shape is not None:
                assert one_hot[shape] == 1
        base = 3 * (NUM_SHAPES + 1)
        for i, line in enumerate(tables.lines):
            filled = sum(occupied[r, c] for r, c in line)
            assert np.isclose(other[g, base + i], filled / len(line))
        assert np.isclose(other[g, base + 24], occupied.sum() / 96)
        assert np.isclose(other[g, base + 25], state.shape_ids().count(None) / 3)
    assert set(np.unique(board)) <= {0.0, 1.0}
