"""Which cells each tuple reads: the board's lines and rectangular windows of it.

A tuple of `k` playable cells indexes a table of `2**k` weights by its cells' occupancy; all
tables sit end to end in one flat array, tuple `t`'s starting at `offsets[t]`.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.game.geometry import EngineTables

MAX_TUPLE_CELLS = 16
"""The longest tuple (a table of 65,536 weights); a line of the default board has at most 15."""
MIN_TUPLE_CELLS = 3
"""Windows with fewer playable cells than this (corners of the board) are left out."""


class TupleLayout(NamedTuple):
    """The tuples as arrays the kernels read."""

    cells: npt.NDArray[np.int32]
    """[tuples, MAX_TUPLE_CELLS] each tuple's cells (its first `sizes[t]` entries)."""
    sizes: npt.NDArray[np.int32]
    offsets: npt.NDArray[np.int64]
    """[tuples] where each tuple's table starts in the weights."""
    num_weights: int


def tuple_cells(tables: EngineTables, config: NTupleConfig) -> list[tuple[int, ...]]:
    """The cell sets of the tuples: every line (if `LINES`), then every window of each
    `PATCHES` size, each set once."""
    cols = tables.config.COLS
    rows = tables.config.ROWS
    found: list[tuple[int, ...]] = []
    if config.LINES:
        found += [tuple(r * cols + c for r, c in line) for line in tables.lines]
    for height, width in config.PATCHES:
        for r0 in range(rows - height + 1):
            for c0 in range(cols - width + 1):
                window = tuple(
                    r * cols + c
                    for r in range(r0, r0 + height)
                    for c in range(c0, c0 + width)
                    if tables.playable[r * cols + c]
                )
                if len(window) >= MIN_TUPLE_CELLS:
                    found.append(window)
    unique = list(dict.fromkeys(tuple(sorted(cells)) for cells in found))
    too_long = [cells for cells in unique if len(cells) > MAX_TUPLE_CELLS]
    if too_long:
        raise ValueError(
            f"a tuple of {len(too_long[0])} cells is longer than {MAX_TUPLE_CELLS}; "
            "choose smaller ntuple.PATCHES"
        )
    return unique


def tuple_layout(tables: EngineTables, config: NTupleConfig) -> TupleLayout:
    """The layout of `config`'s tuples on `tables`' board."""
    return _layout(tables, config.LINES, config.PATCHES)


@lru_cache(maxsize=16)
def _layout(tables: EngineTables, lines: bool, patches: tuple[tuple[int, int], ...]) -> TupleLayout:
    config = NTupleConfig(LINES=lines, PATCHES=patches)
    tuples = tuple_cells(tables, config)
    cells = np.zeros((len(tuples), MAX_TUPLE_CELLS), dtype=np.int32)
    sizes = np.array([len(t) for t in tuples], dtype=np.int32)
    for t, members in enumerate(tuples):
        cells[t, : len(members)] = members
    table_sizes = np.left_shift(np.int64(1), sizes.astype(np.int64))
    offsets = np.concatenate([[0], np.cumsum(table_sizes)[:-1]]).astype(np.int64)
    return TupleLayout(cells, sizes, offsets, int(table_sizes.sum()))
