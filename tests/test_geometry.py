"""Board geometry: playable cells, orientation, lines and placement tables."""

from collections import Counter
from itertools import pairwise

import numpy as np

from alphatriangle.config import EnvConfig
from alphatriangle.game.geometry import (
    DOWN_RIGHT,
    HORIZONTAL,
    UP_RIGHT,
    bits_to_words,
    cells_to_words,
    engine_tables,
    is_up,
    words_to_bits,
    words_to_cells,
)
from alphatriangle.game.shapes import SHAPES


def test_default_board_has_24_lines_covering_every_cell_three_times() -> None:
    tables = engine_tables(EnvConfig())
    assert len(tables.lines) == 24
    assert Counter(tables.line_direction.tolist()) == {HORIZONTAL: 8, DOWN_RIGHT: 8, UP_RIGHT: 8}
    assert {len(line) for line in tables.lines} <= set(range(9, 16))
    assert min(len(line) for line in tables.lines) == 9
    assert max(len(line) for line in tables.lines) == 15
    per_cell = Counter(cell for line in tables.lines for cell in line)
    assert len(per_cell) == 96
    assert set(per_cell.values()) == {3}


def test_lines_follow_the_direction_rules() -> None:
    tables = engine_tables(EnvConfig())
    for direction, line in zip(tables.line_direction, tables.lines, strict=True):
        for (r, c), (r2, c2) in pairwise(line):
            if direction == HORIZONTAL:
                assert (r2, c2) == (r, c + 1)
            elif direction == DOWN_RIGHT:
                assert (r2, c2) == ((r + 1, c) if is_up(r, c) else (r, c + 1))
            else:
                assert (r2, c2) == ((r, c + 1) if is_up(r, c) else (r - 1, c))


def test_orientation_and_playable_rows() -> None:
    cfg = EnvConfig()
    tables = engine_tables(cfg)
    playable = tables.playable.reshape(cfg.ROWS, cfg.COLS)
    assert playable.sum(axis=1).tolist() == [9, 11, 13, 15, 15, 13, 11, 9]
    assert not playable[0, 2] and playable[0, 3] and not playable[0, 12]
    assert tables.cell_is_up.reshape(cfg.ROWS, cfg.COLS)[0, 1]
    assert not tables.cell_is_up.reshape(cfg.ROWS, cfg.COLS)[0, 0]


def test_placement_table_matches_the_shape_offsets() -> None:
    cfg = EnvConfig()
    core = engine_tables(cfg).core
    playable = engine_tables(cfg).playable
    for s, shape in enumerate(SHAPES):
        for anchor in range(cfg.cells):
            r0, c0 = divmod(anchor, cfg.COLS)
            cells = [(r0 + dr, c0 + dc, up) for dr, dc, up in shape]
            ok = all(
                0 <= r < cfg.ROWS
                and 0 <= c < cfg.COLS
                and playable[r * cfg.COLS + c]
                and is_up(r, c) == up
                for r, c, up in cells
            )
            assert core.place_ok[s, anchor] == ok
            if ok:
                covered = sorted(r * cfg.COLS + c for r, c, _ in cells)
                lo, hi = (int(w) for w in core.place_bits[s, anchor])
                assert words_to_cells(lo, hi) == covered
        anchors = core.anchors[s, : core.anchor_count[s]]
        assert np.array_equal(anchors, np.flatnonzero(core.place_ok[s]))


def test_bitboard_words_round_trip() -> None:
    cells = [0, 5, 63, 64, 100, 119]
    assert words_to_cells(*cells_to_words(cells)) == cells


def test_a_small_custom_board_builds_its_own_lines() -> None:
    cfg = EnvConfig(ROWS=2, COLS=4, PLAYABLE_RANGE_PER_ROW=((0, 4), (0, 4)), NUM_SHAPE_SLOTS=2)
    tables = engine_tables(cfg)
    assert cfg.ACTION_DIM == 16
    horizontal = [
        line for d, line in zip(tables.line_direction, tables.lines, strict=True) if d == 0
    ]
    assert horizontal == [((0, 0), (0, 1), (0, 2), (0, 3)), ((1, 0), (1, 1), (1, 2), (1, 3))]


def test_bitboards_convert_to_cell_bits_and_back() -> None:
    occ = np.array([[1 | 1 << 63, 1 << 3], [0, 0]], dtype=np.uint64)
    bits = words_to_bits(occ)
    assert bits.shape == (2, 128)
    assert np.flatnonzero(bits[0]).tolist() == [0, 63, 67]
    assert not bits[1].any()
    np.testing.assert_array_equal(bits_to_words(bits), occ)
