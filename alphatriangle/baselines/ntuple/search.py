"""The n-tuple player's move: a beam over every order and placement of the shapes in hand.

Within a hand the game is deterministic, so a sequence of placements is worth the points it
earns plus the learned value of the board it leaves (`value.py`); a sequence after which no
shape left in hand fits ends the game and is worth its points alone. Each level keeps the
`width` best partial sequences by points plus value.
"""

import numpy as np
from numba import njit

from alphatriangle.baselines.ntuple.layout import TupleLayout
from alphatriangle.baselines.ntuple.value import afterstate_value
from alphatriangle.baselines.planner import NO_CANDIDATES, TIE_BREAK, top_unique
from alphatriangle.game.core import free_at, place
from alphatriangle.game.geometry import CoreTables
from alphatriangle.game.rng import next_u64

_UNIT = 2.0**-64


@njit(cache=True)
def _any_fits(t: CoreTables, hand: np.ndarray, used: int, lo: np.uint64, hi: np.uint64) -> bool:
    """Whether some shape of `hand` not yet in `used` (a slot bitmask) fits somewhere."""
    for slot in range(hand.shape[0]):
        shape = hand[slot]
        if shape < 0 or (used >> slot) & 1:
            continue
        for k in range(t.anchor_count[shape]):
            if free_at(t.place_bits, shape, t.anchors[shape, k], lo, hi):
                return True
    return False


@njit(cache=True, inline="always")
def _held(hand: np.ndarray) -> tuple[int, int]:
    """How many shapes `hand` holds, and their slots as a bitmask."""
    count = 0
    mask = 0
    for slot in range(hand.shape[0]):
        if hand[slot] >= 0:
            count += 1
            mask |= 1 << slot
    return count, mask


@njit(cache=True)
def search_hand(  # noqa: PLR0913, PLR0915 (one kernel: its arrays, then its loop)
    t: CoreTables,
    layout: TupleLayout,
    weights: np.ndarray,
    lo0: np.uint64,
    hi0: np.uint64,
    hand: np.ndarray,
    width: int,
    rng: np.ndarray,
    stream: int,
    actions: np.ndarray,
) -> tuple[float, np.uint64, np.uint64, int, bool]:
    """The best placement sequence of `hand` on `(lo0, hi0)`, written to `actions`; returns
    (its points plus the value it leaves, the board it leaves, its length, whether it ends
    the game). With no legal move: (0, the board, 0, True)."""
    slots = hand.shape[0]
    levels, full = _held(hand)
    capacity = width * slots * t.cells
    c_lo = np.empty(capacity, dtype=np.uint64)
    c_hi = np.empty(capacity, dtype=np.uint64)
    c_used = np.empty(capacity, dtype=np.int64)
    c_gain = np.empty(capacity, dtype=np.float64)
    c_score = np.empty(capacity, dtype=np.float64)
    c_seq = np.empty((capacity, slots), dtype=np.int64)
    b_lo = np.empty(width, dtype=np.uint64)
    b_hi = np.empty(width, dtype=np.uint64)
    b_used = np.zeros(width, dtype=np.int64)
    b_gain = np.zeros(width, dtype=np.float64)
    b_seq = np.empty((width, slots), dtype=np.int64)
    keep = np.empty(width, dtype=np.int64)
    b_lo[0] = lo0
    b_hi[0] = hi0
    beam = 1
    best_score = -np.inf
    best_value = 0.0
    best_lo, best_hi = lo0, hi0
    best_length = 0
    best_over = True
    for level in range(levels):
        n = NO_CANDIDATES
        for b in range(beam):
            lo, hi, used = b_lo[b], b_hi[b], b_used[b]
            for slot in range(slots):
                shape = hand[slot]
                if shape < 0 or (used >> slot) & 1:
                    continue
                for k in range(t.anchor_count[shape]):
                    anchor = t.anchors[shape, k]
                    if not free_at(t.place_bits, shape, anchor, lo, hi):
                        continue
                    new_lo, new_hi, cleared, _lines = place(t, lo, hi, shape, anchor)
                    new_used = used | (1 << slot)
                    gain = b_gain[b] + t.fit.shape_size[shape] + 2 * cleared
                    over = new_used != full and not _any_fits(t, hand, new_used, new_lo, new_hi)
                    value = gain
                    if not over:
                        value += afterstate_value(layout, weights, new_lo, new_hi)
                    score = value + TIE_BREAK * _UNIT * float(next_u64(rng, stream))
                    if over or new_used == full:
                        if score > best_score:
                            best_score, best_value = score, value
                            best_lo, best_hi = new_lo, new_hi
                            best_length, best_over = level + 1, over
                            actions[:level] = b_seq[b, :level]
                            actions[level] = slot * t.cells + anchor
                        continue
                    c_lo[n], c_hi[n], c_used[n] = new_lo, new_hi, new_used
                    c_gain[n], c_score[n] = gain, score
                    c_seq[n, :level] = b_seq[b, :level]
                    c_seq[n, level] = slot * t.cells + anchor
                    n += 1
        if n == 0:
            break
        beam = top_unique(c_score, c_lo, c_hi, c_used, n, width, keep)
        for b in range(beam):
            i = keep[b]
            b_lo[b], b_hi[b], b_used[b], b_gain[b] = c_lo[i], c_hi[i], c_used[i], c_gain[i]
            b_seq[b, : level + 1] = c_seq[i, : level + 1]
    return best_value, best_lo, best_hi, best_length, best_over


@njit(cache=True)
def first_move_values(  # noqa: PLR0913
    t: CoreTables,
    layout: TupleLayout,
    weights: np.ndarray,
    lo: np.uint64,
    hi: np.uint64,
    hand: np.ndarray,
    width: int,
    rng: np.ndarray,
    stream: int,
    out_actions: np.ndarray,
    out_values: np.ndarray,
) -> int:
    """Every legal first move of `hand` on `(lo, hi)` with its worth: its points plus what
    the best sequence of the rest of the hand is worth after it (`search_hand`); returns how
    many were written (the page's table of the player's view)."""
    rest = np.empty(hand.shape[0], dtype=np.int64)
    actions = np.empty(hand.shape[0], dtype=np.int64)
    n = 0
    for slot in range(hand.shape[0]):
        shape = hand[slot]
        if shape < 0:
            continue
        for k in range(t.anchor_count[shape]):
            anchor = t.anchors[shape, k]
            if not free_at(t.place_bits, shape, anchor, lo, hi):
                continue
            new_lo, new_hi, cleared, _lines = place(t, lo, hi, shape, anchor)
            rest[:] = hand
            rest[slot] = -1
            gain = float(t.fit.shape_size[shape] + 2 * cleared)
            if _held(rest)[0] == 0:
                worth = gain + afterstate_value(layout, weights, new_lo, new_hi)
            else:
                worth = (
                    gain
                    + search_hand(
                        t, layout, weights, new_lo, new_hi, rest, width, rng, stream, actions
                    )[0]
                )
            out_actions[n] = slot * t.cells + anchor
            out_values[n] = worth
            n += 1
    return n
