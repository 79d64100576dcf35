"""The afterstate value: one table lookup per tuple, summed; and the TD step that moves it.

A tuple's index is its cells' occupancy bits in the tuple's order. The value is the points a
board is expected to earn from here on (the game's score, not the training reward).
"""

import numpy as np
from numba import njit

from alphatriangle.baselines.ntuple.layout import TupleLayout

_ONE = np.uint64(1)
_WORD_BITS = np.uint64(63)


@njit(cache=True, inline="always")
def tuple_index(layout: TupleLayout, t: int, lo: np.uint64, hi: np.uint64) -> int:
    """Tuple `t`'s index on the board `(lo, hi)`: bit j is whether its j-th cell is filled."""
    index = 0
    for j in range(layout.sizes[t]):
        cell = layout.cells[t, j]
        word = lo if cell < 64 else hi
        index |= int((word >> (np.uint64(cell) & _WORD_BITS)) & _ONE) << j
    return index


@njit(cache=True)
def afterstate_value(
    layout: TupleLayout, weights: np.ndarray, lo: np.uint64, hi: np.uint64
) -> float:
    """The value of the board `(lo, hi)`: the sum of every tuple's weight there."""
    value = 0.0
    for t in range(layout.sizes.shape[0]):
        value += weights[layout.offsets[t] + tuple_index(layout, t, lo, hi)]
    return value


@njit(cache=True)
def td_step(
    layout: TupleLayout, weights: np.ndarray, lo: np.uint64, hi: np.uint64, change: float
) -> None:
    """Move the value of `(lo, hi)` by `change`, an equal share on each tuple's weight."""
    share = change / layout.sizes.shape[0]
    for t in range(layout.sizes.shape[0]):
        weights[layout.offsets[t] + tuple_index(layout, t, lo, hi)] += share
