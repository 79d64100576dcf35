"""Board geometry and the precomputed tables the batched core runs on.

Cells are numbered `r * COLS + c` over the whole rectangle; a board is a 128-bit
set of cells held as two uint64 words (`lo` for cells 0..63, `hi` for 64..127).
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from alphatriangle.config import EnvConfig
from alphatriangle.game.shapes import DRAW_TEMPLATE_IDS, MAX_SHAPE_SIZE, SHAPES

U64 = npt.NDArray[np.uint64]
Cell = tuple[int, int]

HORIZONTAL, DOWN_RIGHT, UP_RIGHT = 0, 1, 2


def is_up(r: int, c: int) -> bool:
    """A cell points up when `r + c` is odd."""
    return (r + c) % 2 == 1


def next_cell(r: int, c: int, direction: int) -> Cell:
    """The following cell of a line in `direction` (see GAME_RULES.md, Lines)."""
    if direction == HORIZONTAL:
        return r, c + 1
    if direction == DOWN_RIGHT:
        return (r + 1, c) if is_up(r, c) else (r, c + 1)
    return (r - 1, c) if not is_up(r, c) else (r, c + 1)


def playable_cells(config: EnvConfig) -> frozenset[Cell]:
    return frozenset(
        (r, c)
        for r, (start, end) in enumerate(config.PLAYABLE_RANGE_PER_ROW)
        for c in range(start, end)
    )


def board_lines(config: EnvConfig) -> tuple[tuple[int, tuple[Cell, ...]], ...]:
    """All maximal runs of >= 2 playable cells, as `(direction, cells)`."""
    playable = playable_cells(config)
    lines: list[tuple[int, tuple[Cell, ...]]] = []
    for direction in (HORIZONTAL, DOWN_RIGHT, UP_RIGHT):
        successor = {cell: next_cell(*cell, direction) for cell in playable}
        has_predecessor = {nxt for nxt in successor.values() if nxt in playable}
        for start in sorted(playable - has_predecessor):
            run = [start]
            while (nxt := successor[run[-1]]) in playable:
                run.append(nxt)
            if len(run) >= 2:
                lines.append((direction, tuple(run)))
    return tuple(lines)


def cells_to_words(cells: list[int]) -> tuple[int, int]:
    """A set of cell indices as the (lo, hi) words of a bitboard."""
    lo = hi = 0
    for cell in cells:
        if cell < 64:
            lo |= 1 << cell
        else:
            hi |= 1 << (cell - 64)
    return lo, hi


def words_to_cells(lo: int, hi: int) -> list[int]:
    """The cell indices set in a bitboard, ascending."""
    return [i for i in range(64) if lo >> i & 1] + [64 + i for i in range(64) if hi >> i & 1]


def words_to_bits(occ: U64) -> npt.NDArray[np.uint8]:
    """Bitboards ([n, 2] words) as [n, 128] cell bits, vectorised over the batch."""
    as_bytes = np.ascontiguousarray(occ, dtype="<u8").view(np.uint8).reshape(-1, 16)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")


def bits_to_words(bits: npt.NDArray[np.uint8]) -> U64:
    """[n, 128] cell bits (0/1) as bitboards of [n, 2] words: `words_to_bits` inverted."""
    packed = np.packbits(bits, axis=1, bitorder="little")
    return packed.view("<u8").astype(np.uint64)


class FitTables(NamedTuple):
    """Where each shape fits, the three arrays every legality test reads (`fit_anchors`):
    a record as cheap to pass as its arrays one by one."""

    anchor_words: U64
    """[shapes, 2] `place_ok` of each shape as bitboard words."""
    cell_offsets: npt.NDArray[np.int32]
    """[shapes, MAX_SHAPE_SIZE] each triangle's cell minus the anchor cell (`shape_size` used)."""
    shape_size: npt.NDArray[np.int32]


class CoreTables(NamedTuple):
    """The arrays the numba kernels read, packed as one argument."""

    cells: int
    action_slot: npt.NDArray[np.int32]
    action_anchor: npt.NDArray[np.int32]
    """[ACTION_DIM] the slot and anchor cell of each action (no division in the kernels)."""
    place_ok: npt.NDArray[np.bool_]
    """[shapes, cells] the shape fits the empty board anchored at this cell."""
    place_bits: U64
    """[shapes, cells, 2] the (lo, hi) words of the cells the shape covers anchored there."""
    anchor_count: npt.NDArray[np.int32]
    anchors: npt.NDArray[np.int32]
    """[shapes, cells] the cells where `place_ok` holds, first `anchor_count` entries."""
    fit: FitTables
    touch_count: npt.NDArray[np.int32]
    touch_lines: npt.NDArray[np.int32]
    """[shapes, cells, k] the lines through the cells a placement covers, first `touch_count`."""
    line_bits: U64
    """[lines, 2] the (lo, hi) words of each line's cells."""
    draw_ids: npt.NDArray[np.int8]
    rewards: npt.NDArray[np.float64]
    """[placed, cleared, alive, game over] reward constants."""


@dataclass(frozen=True, eq=False)
class EngineTables:
    """Everything the engine precomputes for one `EnvConfig`."""

    config: EnvConfig
    playable: npt.NDArray[np.bool_]
    """[cells] True where a triangle may ever be placed."""
    cell_is_up: npt.NDArray[np.bool_]
    """[cells] orientation of each cell."""
    lines: tuple[tuple[Cell, ...], ...]
    line_direction: npt.NDArray[np.int8]
    core: CoreTables


@lru_cache(maxsize=16)
def engine_tables(config: EnvConfig) -> EngineTables:
    """Precompute placement and line masks for a configuration (cached per config)."""
    rows, cols = config.ROWS, config.COLS
    cells = rows * cols
    playable_set = playable_cells(config)
    playable = np.zeros(cells, dtype=np.bool_)
    for r, c in playable_set:
        playable[r * cols + c] = True
    cell_is_up = np.array([is_up(i // cols, i % cols) for i in range(cells)], dtype=np.bool_)

    lines = board_lines(config)
    lines_of_cell: dict[int, list[int]] = {}
    for index, (_, run) in enumerate(lines):
        for r, c in run:
            lines_of_cell.setdefault(r * cols + c, []).append(index)

    n_shapes = len(SHAPES)
    max_touch = 3 * max(len(shape) for shape in SHAPES)
    touch_count = np.zeros((n_shapes, cells), dtype=np.int32)
    touch_lines = np.zeros((n_shapes, cells, max_touch), dtype=np.int32)
    place_ok = np.zeros((n_shapes, cells), dtype=np.bool_)
    place_bits = np.zeros((n_shapes, cells, 2), dtype=np.uint64)
    anchors = np.zeros((n_shapes, cells), dtype=np.int32)
    anchor_count = np.zeros(n_shapes, dtype=np.int32)
    for s, shape in enumerate(SHAPES):
        for anchor in range(cells):
            r0, c0 = divmod(anchor, cols)
            covered = []
            for dr, dc, up in shape:
                r, c = r0 + dr, c0 + dc
                if not (0 <= r < rows and 0 <= c < cols):
                    break
                if (r, c) not in playable_set or is_up(r, c) != up:
                    break
                covered.append(r * cols + c)
            else:
                lo, hi = cells_to_words(covered)
                place_ok[s, anchor] = True
                place_bits[s, anchor] = lo, hi
                anchors[s, anchor_count[s]] = anchor
                anchor_count[s] += 1
                touched = sorted({line for cell in covered for line in lines_of_cell.get(cell, [])})
                touch_count[s, anchor] = len(touched)
                touch_lines[s, anchor, : len(touched)] = touched

    cell_offsets = np.zeros((n_shapes, MAX_SHAPE_SIZE), dtype=np.int32)
    for s, shape in enumerate(SHAPES):
        for k, (dr, dc, _) in enumerate(shape):
            cell_offsets[s, k] = dr * cols + dc
    line_words = [cells_to_words([r * cols + c for r, c in run]) for _, run in lines]
    return EngineTables(
        config=config,
        playable=playable,
        cell_is_up=cell_is_up,
        lines=tuple(run for _, run in lines),
        line_direction=np.array([d for d, _ in lines], dtype=np.int8),
        core=CoreTables(
            cells=cells,
            action_slot=np.repeat(np.arange(config.NUM_SHAPE_SLOTS, dtype=np.int32), cells),
            action_anchor=np.tile(np.arange(cells, dtype=np.int32), config.NUM_SHAPE_SLOTS),
            place_ok=place_ok,
            place_bits=place_bits,
            anchor_count=anchor_count,
            anchors=anchors,
            fit=FitTables(
                anchor_words=np.array(
                    [cells_to_words(np.flatnonzero(row).tolist()) for row in place_ok],
                    dtype=np.uint64,
                ),
                cell_offsets=cell_offsets,
                shape_size=np.array([len(shape) for shape in SHAPES], dtype=np.int32),
            ),
            touch_count=touch_count,
            touch_lines=touch_lines,
            line_bits=np.array(line_words, dtype=np.uint64).reshape(len(lines), 2),
            draw_ids=np.array(DRAW_TEMPLATE_IDS, dtype=np.int8),
            rewards=np.array(
                [
                    config.REWARD_PER_PLACED_TRIANGLE,
                    config.REWARD_PER_CLEARED_TRIANGLE,
                    config.REWARD_PER_STEP_ALIVE,
                    config.PENALTY_GAME_OVER,
                ],
                dtype=np.float64,
            ),
        ),
    )
