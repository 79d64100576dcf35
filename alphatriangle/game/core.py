"""The batched game core: numba kernels over many games held in arrays.

A game is `occ` (two uint64 words of occupied cells), `shapes` (a shape id per slot,
-1 when empty), `score`, `steps`, `done` and its own random stream `rng`. The per-game
functions (`fits`, `place`, `has_legal_move`, ...) are jitted so the search can call
them from its own kernels; the `*_batch` kernels loop them over a whole batch.
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

ILLEGAL = -1
"""`step_batch` returns this when every action was legal (otherwise the first bad game)."""


@njit(cache=True, inline="always")
def popcount(x: np.uint64) -> int:
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> _TWO) & _M2)
    x = (x + (x >> _FOUR)) & _M4
    return int((x * _H01) >> _56)


@njit(cache=True, inline="always")
def fits(core: CoreTables, shape: int, anchor: int, lo: np.uint64, hi: np.uint64) -> bool:
    """Whether `shape` anchored at `anchor` lands on playable, empty, matching cells."""
    return bool(
        core.place_ok[shape, anchor]
        and (core.place_lo[shape, anchor] & lo) == _ZERO
        and (core.place_hi[shape, anchor] & hi) == _ZERO
    )


@njit(cache=True)
def is_legal(
    core: CoreTables, lo: np.uint64, hi: np.uint64, slots: np.ndarray, action: int
) -> bool:
    """Whether `action` is legal for a game with board `(lo, hi)` and `slots`."""
    if action < 0 or action >= slots.shape[0] * core.cells:
        return False
    shape = slots[action // core.cells]
    return shape >= 0 and fits(core, shape, action % core.cells, lo, hi)


@njit(cache=True)
def has_legal_move(core: CoreTables, lo: np.uint64, hi: np.uint64, slots: np.ndarray) -> bool:
    for slot in range(slots.shape[0]):
        shape = slots[slot]
        if shape < 0:
            continue
        for k in range(core.anchor_count[shape]):
            anchor = core.anchors[shape, k]
            if (core.place_lo[shape, anchor] & lo) == _ZERO and (
                core.place_hi[shape, anchor] & hi
            ) == _ZERO:
                return True
    return False


@njit(cache=True)
def write_legal_mask(
    core: CoreTables, lo: np.uint64, hi: np.uint64, slots: np.ndarray, out: np.ndarray
) -> int:
    """Set `out[action]` for every legal action (out must start False); return their count."""
    count = 0
    for slot in range(slots.shape[0]):
        shape = slots[slot]
        if shape < 0:
            continue
        base = slot * core.cells
        for k in range(core.anchor_count[shape]):
            anchor = core.anchors[shape, k]
            if (core.place_lo[shape, anchor] & lo) == _ZERO and (
                core.place_hi[shape, anchor] & hi
            ) == _ZERO:
                out[base + anchor] = True
                count += 1
    return count


@njit(cache=True)
def place(
    core: CoreTables, lo: np.uint64, hi: np.uint64, shape: int, anchor: int
) -> tuple[np.uint64, np.uint64, int, int]:
    """Place a fitting shape and clear completed lines through it.

    Returns the new board words, the number of cleared cells and of cleared lines.
    """
    placed_lo = core.place_lo[shape, anchor]
    placed_hi = core.place_hi[shape, anchor]
    lo |= placed_lo
    hi |= placed_hi
    clear_lo = _ZERO
    clear_hi = _ZERO
    lines = 0
    for line in range(core.line_lo.shape[0]):
        line_lo = core.line_lo[line]
        line_hi = core.line_hi[line]
        touched = ((line_lo & placed_lo) | (line_hi & placed_hi)) != _ZERO
        if touched and (lo & line_lo) == line_lo and (hi & line_hi) == line_hi:
            clear_lo |= line_lo
            clear_hi |= line_hi
            lines += 1
    cleared = popcount(clear_lo) + popcount(clear_hi)
    return lo & ~clear_lo, hi & ~clear_hi, cleared, lines


@njit(cache=True)
def refill_slots(core: CoreTables, slots: np.ndarray, rng: np.ndarray, stream: int) -> None:
    """Fill every slot with a shape drawn from `rng[stream]`."""
    n_templates = core.draw_ids.shape[0]
    for slot in range(slots.shape[0]):
        slots[slot] = core.draw_ids[draw_below(rng, stream, n_templates)]


@njit(cache=True)
def step_game(
    core: CoreTables,
    occ: np.ndarray,
    slots: np.ndarray,
    rng: np.ndarray,
    stream: int,
    action: int,
    forced_refill: np.ndarray,
) -> tuple[float, int, int, bool, bool]:
    """Apply a legal action to one game in place (board row `occ`, `slots`).

    A refill takes `forced_refill` when it is non-empty (a chance outcome chosen by the
    caller), else draws from `rng[stream]`. Returns (reward, score delta, lines cleared,
    refilled, game over).
    """
    slot = action // core.cells
    anchor = action % core.cells
    shape = slots[slot]
    lo, hi, cleared, lines = place(core, occ[0], occ[1], shape, anchor)
    occ[0] = lo
    occ[1] = hi
    slots[slot] = -1
    refilled = True
    for s in range(slots.shape[0]):
        if slots[s] >= 0:
            refilled = False
    if refilled:
        if forced_refill.shape[0] > 0:
            slots[:] = forced_refill
        else:
            refill_slots(core, slots, rng, stream)
    over = not has_legal_move(core, lo, hi, slots)
    placed = core.shape_size[shape]
    reward = placed * core.rewards[0] + cleared * core.rewards[1]
    reward += core.rewards[3] if over else core.rewards[2]
    return reward, placed + 2 * cleared, lines, refilled, over


@njit(cache=True)
def step_batch(
    core: CoreTables,
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
    returned; otherwise `ILLEGAL` (-1). `forced_refills` is [games, slots] or empty.
    """
    for g in range(actions.shape[0]):
        a = actions[g]
        if a >= 0 and (done[g] or not is_legal(core, occ[g, 0], occ[g, 1], shapes[g], a)):
            return g
    no_refill = np.empty(0, dtype=np.int8)
    for g in range(actions.shape[0]):
        a = actions[g]
        reward[g] = 0.0
        score_delta[g] = 0
        lines_cleared[g] = 0
        refilled[g] = False
        if a < 0:
            continue
        forced = forced_refills[g] if forced_refills.shape[0] > 0 else no_refill
        r, delta, lines, refill, over = step_game(core, occ[g], shapes[g], rng, g, a, forced)
        reward[g] = r
        score_delta[g] = delta
        lines_cleared[g] = lines
        refilled[g] = refill
        score[g] += delta
        steps[g] += 1
        done[g] = over
    return ILLEGAL


@njit(cache=True)
def step_one(
    core: CoreTables,
    occ: np.ndarray,
    shapes: np.ndarray,
    score: np.ndarray,
    steps: np.ndarray,
    done: np.ndarray,
    rng: np.ndarray,
    g: int,
    action: int,
    forced_refill: np.ndarray,
) -> tuple[bool, float, int, int, bool]:
    """Step game `g` alone, without output arrays: the object API's fast path.

    Returns (legal, reward, score delta, lines cleared, refilled); an illegal action
    changes nothing.
    """
    if done[g] or not is_legal(core, occ[g, 0], occ[g, 1], shapes[g], action):
        return False, 0.0, 0, 0, False
    reward, delta, lines, refilled, over = step_game(
        core, occ[g], shapes[g], rng, g, action, forced_refill
    )
    score[g] += delta
    steps[g] += 1
    done[g] = over
    return True, reward, delta, lines, refilled


@njit(cache=True)
def reset_batch(
    core: CoreTables,
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
        refill_slots(core, shapes[g], rng, g)
        score[g] = 0
        steps[g] = 0
        done[g] = not has_legal_move(core, _ZERO, _ZERO, shapes[g])


@njit(cache=True)
def legal_mask_batch(
    core: CoreTables, occ: np.ndarray, shapes: np.ndarray, out: np.ndarray
) -> None:
    """`out[g, a]` = action `a` is legal in game `g` (`out` is overwritten)."""
    out[:] = False
    for g in range(occ.shape[0]):
        write_legal_mask(core, occ[g, 0], occ[g, 1], shapes[g], out[g])


@njit(cache=True)
def refresh_done_batch(
    core: CoreTables, occ: np.ndarray, shapes: np.ndarray, done: np.ndarray
) -> None:
    """Recompute game over from the boards and slots (after building positions by hand)."""
    for g in range(occ.shape[0]):
        done[g] = not has_legal_move(core, occ[g, 0], occ[g, 1], shapes[g])
