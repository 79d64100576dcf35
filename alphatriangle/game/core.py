"""The batched game core: numba kernels over many games held in arrays.

A game is row `g` of `occ` (two uint64 words of occupied cells), `shapes` (a shape id per
slot, -1 when empty), `score`, `steps`, `done`, and its own random stream `rng[g]`.

The per-game functions take the table arrays they read as plain arguments: passing the
`CoreTables` tuple into a function costs a reference-count update per member array, more
than the work itself. The batch kernels take the tuple once and unpack it; other kernels
(the search) call the per-game functions the same way.
"""

import numpy as np
from numba import njit

from alphatriangle.game.geometry import CoreTables
from alphatriangle.game.rng import draw_below

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_ONE, _TWO, _FOUR, _56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)
_ZERO = np.uint64(0)

ALL_LEGAL = -1
"""`step_batch` returns this when every action was legal (otherwise the first bad game)."""


@njit(cache=True, inline="always")
def popcount(x: np.uint64) -> int:
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> _TWO) & _M2)
    x = (x + (x >> _FOUR)) & _M4
    return int((x * _H01) >> _56)


@njit(cache=True, inline="always")
def free_at(place_bits: np.ndarray, shape: int, anchor: int, lo: np.uint64, hi: np.uint64) -> bool:
    """Whether the cells a (geometrically valid) placement covers are all empty."""
    return bool(
        (place_bits[shape, anchor, 0] & lo) == _ZERO
        and (place_bits[shape, anchor, 1] & hi) == _ZERO
    )


@njit(cache=True)
def is_legal(
    place_ok: np.ndarray,
    place_bits: np.ndarray,
    action_slot: np.ndarray,
    action_anchor: np.ndarray,
    lo: np.uint64,
    hi: np.uint64,
    shapes: np.ndarray,
    g: int,
    action: int,
) -> bool:
    """Whether `action` is legal for game `g` with board `(lo, hi)`."""
    if action < 0 or action >= action_slot.shape[0]:
        return False
    shape = shapes[g, action_slot[action]]
    anchor = action_anchor[action]
    return shape >= 0 and place_ok[shape, anchor] and free_at(place_bits, shape, anchor, lo, hi)


@njit(cache=True, inline="always")
def _shift_down(lo: np.uint64, hi: np.uint64, k: int) -> tuple[np.uint64, np.uint64]:
    """The 128-bit board moved so that bit `a` of the result is bit `a + k` (|k| < 64)."""
    if k > 0:
        s = np.uint64(k)
        return (lo >> s) | (hi << np.uint64(64 - k)), hi >> s
    if k < 0:
        s = np.uint64(-k)
        return lo << s, (hi << s) | (lo >> np.uint64(64 + k))
    return lo, hi


@njit(cache=True)
def fit_anchors(
    anchor_words: np.ndarray,
    cell_offsets: np.ndarray,
    shape_size: np.ndarray,
    shape: int,
    lo: np.uint64,
    hi: np.uint64,
) -> tuple[np.uint64, np.uint64]:
    """Every anchor where `shape` fits board `(lo, hi)`, as bitboard words, in a few word
    operations: the anchors where it fits the empty board, less those where any of its
    triangles would land on a filled cell."""
    fit_lo = anchor_words[shape, 0]
    fit_hi = anchor_words[shape, 1]
    for k in range(shape_size[shape]):
        empty_lo, empty_hi = _shift_down(~lo, ~hi, cell_offsets[shape, k])
        fit_lo &= empty_lo
        fit_hi &= empty_hi
    return fit_lo, fit_hi


@njit(cache=True)
def has_legal_move(
    anchor_words: np.ndarray,
    cell_offsets: np.ndarray,
    shape_size: np.ndarray,
    lo: np.uint64,
    hi: np.uint64,
    shapes: np.ndarray,
    g: int,
) -> bool:
    for slot in range(shapes.shape[1]):
        shape = shapes[g, slot]
        if shape < 0:
            continue
        fit_lo, fit_hi = fit_anchors(anchor_words, cell_offsets, shape_size, shape, lo, hi)
        if fit_lo != _ZERO or fit_hi != _ZERO:
            return True
    return False


@njit(cache=True, inline="always")
def _set_bits(word: np.uint64, first: int, out: np.ndarray, row: int) -> int:
    """Set `out[row, first + i]` for each set bit `i` of `word`; return how many."""
    count = 0
    while word != _ZERO:
        lowest = word & (~word + _ONE)
        out[row, first + popcount(lowest - _ONE)] = True
        word ^= lowest
        count += 1
    return count


@njit(cache=True)
def write_legal_mask(
    anchor_words: np.ndarray,
    cell_offsets: np.ndarray,
    shape_size: np.ndarray,
    cells: int,
    lo: np.uint64,
    hi: np.uint64,
    shapes: np.ndarray,
    g: int,
    out: np.ndarray,
    row: int,
) -> int:
    """Set `out[row, action]` for every legal action of game `g` (the row must start
    False); return their count."""
    count = 0
    for slot in range(shapes.shape[1]):
        shape = shapes[g, slot]
        if shape < 0:
            continue
        fit_lo, fit_hi = fit_anchors(anchor_words, cell_offsets, shape_size, shape, lo, hi)
        count += _set_bits(fit_lo, slot * cells, out, row)
        count += _set_bits(fit_hi, slot * cells + 64, out, row)
    return count


@njit(cache=True)
def place(
    place_bits: np.ndarray,
    touch_count: np.ndarray,
    touch_lines: np.ndarray,
    line_bits: np.ndarray,
    lo: np.uint64,
    hi: np.uint64,
    shape: int,
    anchor: int,
) -> tuple[np.uint64, np.uint64, int, int]:
    """Place a fitting shape and clear every line through it that is now complete.

    Returns the new board words, the number of cleared cells and of cleared lines.
    """
    lo |= place_bits[shape, anchor, 0]
    hi |= place_bits[shape, anchor, 1]
    clear_lo = _ZERO
    clear_hi = _ZERO
    lines = 0
    for k in range(touch_count[shape, anchor]):
        line = touch_lines[shape, anchor, k]
        line_lo = line_bits[line, 0]
        line_hi = line_bits[line, 1]
        if (lo & line_lo) == line_lo and (hi & line_hi) == line_hi:
            clear_lo |= line_lo
            clear_hi |= line_hi
            lines += 1
    cleared = popcount(clear_lo) + popcount(clear_hi)
    return lo & ~clear_lo, hi & ~clear_hi, cleared, lines


@njit(cache=True)
def refill_slots(
    draw_ids: np.ndarray, shapes: np.ndarray, g: int, rng: np.ndarray, stream: int
) -> None:
    """Fill every slot of game `g` with a shape drawn from `rng[stream]`."""
    for slot in range(shapes.shape[1]):
        shapes[g, slot] = draw_ids[draw_below(rng, stream, draw_ids.shape[0])]


@njit(cache=True, inline="always")
def placement_reward(t: CoreTables, shape: int, cleared: int) -> float:
    """The reward for the cells a placed shape covers and the cells its lines cleared."""
    return float(t.shape_size[shape] * t.rewards[0] + cleared * t.rewards[1])


@njit(cache=True, inline="always")
def outcome_reward(t: CoreTables, over: bool) -> float:
    """What a move earns for the position it leaves: the game-over penalty or the alive bonus."""
    return float(t.rewards[3] if over else t.rewards[2])


@njit(cache=True, inline="always")
def slots_empty(hand: np.ndarray) -> bool:
    """Whether every slot of a hand (one row of shapes, -1 for empty) is empty: a refill."""
    for slot in range(hand.shape[0]):
        if hand[slot] >= 0:
            return False
    return True


@njit(cache=True, inline="always")
def step_game(
    t: CoreTables,
    occ: np.ndarray,
    shapes: np.ndarray,
    g: int,
    rng: np.ndarray,
    stream: int,
    action: int,
    forced_refills: np.ndarray,
) -> tuple[float, int, int, bool, bool]:
    """Apply a legal action to game `g` in place.

    A refill takes `forced_refills[g]` when that array has rows (chance outcomes chosen by
    the caller), else draws from `rng[stream]`. Returns (reward, score delta, lines
    cleared, refilled, game over).
    """
    slot = t.action_slot[action]
    anchor = t.action_anchor[action]
    shape = shapes[g, slot]
    lo, hi, cleared, lines = place(
        t.place_bits,
        t.touch_count,
        t.touch_lines,
        t.line_bits,
        occ[g, 0],
        occ[g, 1],
        shape,
        anchor,
    )
    occ[g, 0] = lo
    occ[g, 1] = hi
    shapes[g, slot] = -1
    refilled = slots_empty(shapes[g])
    if refilled:
        if forced_refills.shape[0] > 0:
            for s in range(shapes.shape[1]):
                shapes[g, s] = forced_refills[g, s]
        else:
            refill_slots(t.draw_ids, shapes, g, rng, stream)
    over = not has_legal_move(t.anchor_words, t.cell_offsets, t.shape_size, lo, hi, shapes, g)
    reward = placement_reward(t, shape, cleared) + outcome_reward(t, over)
    return reward, t.shape_size[shape] + 2 * cleared, lines, refilled, over


@njit(cache=True)
def step_batch(
    t: CoreTables,
    occ: np.ndarray,
    shapes: np.ndarray,
    score: np.ndarray,
    steps: np.ndarray,
    done: np.ndarray,
    rng: np.ndarray,
    actions: np.ndarray,
    forced_refills: np.ndarray,
    reward: np.ndarray,
    score_delta: np.ndarray,
    lines_cleared: np.ndarray,
    refilled: np.ndarray,
) -> int:
    """Step every game whose action is >= 0; games with action < 0 are left as they are.

    If any action is illegal, nothing changes and the index of the first such game is
    returned; otherwise `ALL_LEGAL`. `forced_refills` is [games, slots] or has no rows.
    """
    place_ok, place_bits = t.place_ok, t.place_bits
    action_slot, action_anchor = t.action_slot, t.action_anchor
    for g in range(actions.shape[0]):
        a = actions[g]
        if a < 0:
            continue
        lo, hi = occ[g, 0], occ[g, 1]
        if done[g] or not is_legal(
            place_ok, place_bits, action_slot, action_anchor, lo, hi, shapes, g, a
        ):
            return g
    for g in range(actions.shape[0]):
        a = actions[g]
        reward[g] = 0.0
        score_delta[g] = 0
        lines_cleared[g] = 0
        refilled[g] = False
        if a < 0:
            continue
        r, delta, lines, refill, over = step_game(t, occ, shapes, g, rng, g, a, forced_refills)
        reward[g] = r
        score_delta[g] = delta
        lines_cleared[g] = lines
        refilled[g] = refill
        score[g] += delta
        steps[g] += 1
        done[g] = over
    return ALL_LEGAL


@njit(cache=True)
def step_one(
    t: CoreTables,
    occ: np.ndarray,
    shapes: np.ndarray,
    score: np.ndarray,
    steps: np.ndarray,
    done: np.ndarray,
    rng: np.ndarray,
    g: int,
    action: int,
    forced_refills: np.ndarray,
) -> tuple[bool, float, int, int, bool]:
    """Step game `g` alone, without output arrays: the object API's fast path.

    Returns (legal, reward, score delta, lines cleared, refilled); an illegal action
    changes nothing.
    """
    if done[g] or not is_legal(
        t.place_ok,
        t.place_bits,
        t.action_slot,
        t.action_anchor,
        occ[g, 0],
        occ[g, 1],
        shapes,
        g,
        action,
    ):
        return False, 0.0, 0, 0, False
    reward, delta, lines, refilled, over = step_game(
        t, occ, shapes, g, rng, g, action, forced_refills
    )
    score[g] += delta
    steps[g] += 1
    done[g] = over
    return True, reward, delta, lines, refilled


@njit(cache=True)
def reset_batch(
    t: CoreTables,
    occ: np.ndarray,
    shapes: np.ndarray,
    score: np.ndarray,
    steps: np.ndarray,
    done: np.ndarray,
    rng: np.ndarray,
    which: np.ndarray,
) -> None:
    """Start a new game, drawn from each game's own stream, wherever `which` is True."""
    for g in range(which.shape[0]):
        if not which[g]:
            continue
        occ[g, 0] = _ZERO
        occ[g, 1] = _ZERO
        refill_slots(t.draw_ids, shapes, g, rng, g)
        score[g] = 0
        steps[g] = 0
        done[g] = not has_legal_move(
            t.anchor_words, t.cell_offsets, t.shape_size, _ZERO, _ZERO, shapes, g
        )


@njit(cache=True)
def legal_mask_batch(t: CoreTables, occ: np.ndarray, shapes: np.ndarray, out: np.ndarray) -> None:
    """`out[g, a]` = action `a` is legal in game `g` (`out` is overwritten)."""
    anchor_words, cell_offsets, shape_size = t.anchor_words, t.cell_offsets, t.shape_size
    for g in range(occ.shape[0]):
        out[g, :] = False
        write_legal_mask(
            anchor_words, cell_offsets, shape_size, t.cells, occ[g, 0], occ[g, 1], shapes, g,
            out, g,
        )  # fmt: skip


@njit(cache=True)
def refresh_done_batch(
    t: CoreTables, occ: np.ndarray, shapes: np.ndarray, done: np.ndarray
) -> None:
    """Recompute game over from the boards and slots (after building positions by hand)."""
    anchor_words, cell_offsets, shape_size = t.anchor_words, t.cell_offsets, t.shape_size
    for g in range(occ.shape[0]):
        done[g] = not has_legal_move(
            anchor_words, cell_offsets, shape_size, occ[g, 0], occ[g, 1], shapes, g
        )
