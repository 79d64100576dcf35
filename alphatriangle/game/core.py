"""The batched game core: numba kernels over many games held in arrays.

A game is row `g` of the `GameArrays` record: `occ` (two uint64 words of occupied cells),
`shapes` (a shape id per slot, -1 when empty), `score`, `steps`, `done`, and its own random
stream `rng[g]`.

Passing the whole `CoreTables` tuple into a function that is called, not inlined, costs a
reference-count update per member array, more than the work itself: the legality tests
that run per node of a search take the three-array `FitTables`, and the small per-move
functions (`is_legal`, `place`) are inlined where they are used.
"""

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.game.geometry import CoreTables, FitTables
from alphatriangle.game.rng import draw_below

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_ONE, _TWO, _FOUR, _56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)
_ZERO = np.uint64(0)

ALL_LEGAL = -1
"""`step_batch` returns this when every action was legal (otherwise the first bad game)."""


class GameArrays(NamedTuple):
    """A `GameBatch`'s arrays (the same ones, described there) as the record the kernels
    take: `GameBatch.arrays`."""

    occ: npt.NDArray[np.uint64]
    shapes: npt.NDArray[np.int8]
    score: npt.NDArray[np.int64]
    steps: npt.NDArray[np.int64]
    done: npt.NDArray[np.bool_]
    rng: npt.NDArray[np.uint64]


class StepArrays(NamedTuple):
    """What one batched step wrote per game (zeros where a game was not stepped)."""

    reward: npt.NDArray[np.float64]
    score_delta: npt.NDArray[np.int64]
    lines_cleared: npt.NDArray[np.int64]
    refilled: npt.NDArray[np.bool_]
    illegal: npt.NDArray[np.bool_]
    """The action was illegal (or the game already over): the game ended with the game-over
    reward (`apply_actions`)."""


def step_arrays(n: int) -> StepArrays:
    """Output arrays for stepping `n` games."""
    return StepArrays(
        reward=np.zeros(n, dtype=np.float64),
        score_delta=np.zeros(n, dtype=np.int64),
        lines_cleared=np.zeros(n, dtype=np.int64),
        refilled=np.zeros(n, dtype=np.bool_),
        illegal=np.zeros(n, dtype=np.bool_),
    )


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


@njit(cache=True, inline="always")
def is_legal(
    t: CoreTables, lo: np.uint64, hi: np.uint64, shapes: np.ndarray, g: int, action: int
) -> bool:
    """Whether `action` is legal for game `g` with board `(lo, hi)`."""
    if action < 0 or action >= t.action_slot.shape[0]:
        return False
    shape = shapes[g, t.action_slot[action]]
    anchor = t.action_anchor[action]
    return shape >= 0 and t.place_ok[shape, anchor] and free_at(t.place_bits, shape, anchor, lo, hi)


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
    fit: FitTables, shape: int, lo: np.uint64, hi: np.uint64
) -> tuple[np.uint64, np.uint64]:
    """Every anchor where `shape` fits board `(lo, hi)`, as bitboard words, in a few word
    operations: the anchors where it fits the empty board, less those where any of its
    triangles would land on a filled cell."""
    fit_lo = fit.anchor_words[shape, 0]
    fit_hi = fit.anchor_words[shape, 1]
    for k in range(fit.shape_size[shape]):
        empty_lo, empty_hi = _shift_down(~lo, ~hi, fit.cell_offsets[shape, k])
        fit_lo &= empty_lo
        fit_hi &= empty_hi
    return fit_lo, fit_hi


@njit(cache=True)
def has_legal_move(
    fit: FitTables, lo: np.uint64, hi: np.uint64, shapes: np.ndarray, g: int
) -> bool:
    """Whether any shape in game `g`'s slots fits board `(lo, hi)` (else the game is over)."""
    for slot in range(shapes.shape[1]):
        shape = shapes[g, slot]
        if shape < 0:
            continue
        fit_lo, fit_hi = fit_anchors(fit, shape, lo, hi)
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
    fit: FitTables,
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
        fit_lo, fit_hi = fit_anchors(fit, shape, lo, hi)
        count += _set_bits(fit_lo, slot * cells, out, row)
        count += _set_bits(fit_hi, slot * cells + 64, out, row)
    return count


@njit(cache=True, inline="always")
def place(
    t: CoreTables, lo: np.uint64, hi: np.uint64, shape: int, anchor: int
) -> tuple[np.uint64, np.uint64, int, int]:
    """Place a fitting shape and clear every line through it that is now complete.

    Returns the new board words, the number of cleared cells and of cleared lines.
    """
    lo |= t.place_bits[shape, anchor, 0]
    hi |= t.place_bits[shape, anchor, 1]
    clear_lo = _ZERO
    clear_hi = _ZERO
    lines = 0
    for k in range(t.touch_count[shape, anchor]):
        line = t.touch_lines[shape, anchor, k]
        line_lo = t.line_bits[line, 0]
        line_hi = t.line_bits[line, 1]
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
    return float(t.fit.shape_size[shape] * t.rewards[0] + cleared * t.rewards[1])


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
    t: CoreTables, games: GameArrays, g: int, stream: int, action: int, forced: np.ndarray
) -> tuple[float, int, int, bool, bool]:
    """Apply a legal action to game `g` in place (its score, steps and done too).

    A refill takes `forced[g]` when that array has rows (chance outcomes chosen by the
    caller), else draws from `games.rng[stream]`. Returns (reward, score delta, lines
    cleared, refilled, game over).
    """
    occ, shapes = games.occ, games.shapes
    slot = t.action_slot[action]
    shape = shapes[g, slot]
    lo, hi, cleared, lines = place(t, occ[g, 0], occ[g, 1], shape, t.action_anchor[action])
    occ[g, 0] = lo
    occ[g, 1] = hi
    shapes[g, slot] = -1
    refilled = slots_empty(shapes[g])
    if refilled:
        if forced.shape[0] > 0:
            for s in range(shapes.shape[1]):
                shapes[g, s] = forced[g, s]
        else:
            refill_slots(t.draw_ids, shapes, g, games.rng, stream)
    over = not has_legal_move(t.fit, lo, hi, shapes, g)
    delta = t.fit.shape_size[shape] + 2 * cleared
    games.score[g] += delta
    games.steps[g] += 1
    games.done[g] = over
    reward = placement_reward(t, shape, cleared) + outcome_reward(t, over)
    return reward, delta, lines, refilled, over


@njit(cache=True)
def first_illegal(t: CoreTables, games: GameArrays, actions: np.ndarray) -> int:
    """The first game whose action (>= 0) is illegal or whose game is over, else `ALL_LEGAL`."""
    for g in range(actions.shape[0]):
        a = actions[g]
        if a >= 0 and (
            games.done[g] or not is_legal(t, games.occ[g, 0], games.occ[g, 1], games.shapes, g, a)
        ):
            return g
    return ALL_LEGAL


@njit(cache=True)
def apply_actions(
    t: CoreTables, games: GameArrays, actions: np.ndarray, forced: np.ndarray, out: StepArrays
) -> None:
    """Step every game whose action is >= 0 (others are left as they are), writing `out`.

    An illegal action (or one in a finished game) ends that game with the game-over reward
    and `out.illegal` set, so an agent that ignores the mask cannot loop (the vector env);
    `step_batch` checks first and never gets here with one. `forced` is [games, slots] or
    has no rows.
    """
    for g in range(actions.shape[0]):
        a = actions[g]
        out.reward[g] = 0.0
        out.score_delta[g] = 0
        out.lines_cleared[g] = 0
        out.refilled[g] = False
        out.illegal[g] = False
        if a < 0:
            continue
        if games.done[g] or not is_legal(t, games.occ[g, 0], games.occ[g, 1], games.shapes, g, a):
            out.reward[g] = outcome_reward(t, True)
            out.illegal[g] = True
            games.done[g] = True
            continue
        reward, delta, lines, refilled, _over = step_game(t, games, g, g, a, forced)
        out.reward[g] = reward
        out.score_delta[g] = delta
        out.lines_cleared[g] = lines
        out.refilled[g] = refilled


@njit(cache=True)
def step_batch(
    t: CoreTables, games: GameArrays, actions: np.ndarray, forced: np.ndarray, out: StepArrays
) -> int:
    """Step every game whose action is >= 0; games with action < 0 are left as they are.

    If any action is illegal, nothing changes and the index of the first such game is
    returned; otherwise `ALL_LEGAL`.
    """
    bad = first_illegal(t, games, actions)
    if bad == ALL_LEGAL:
        apply_actions(t, games, actions, forced, out)
    return bad


@njit(cache=True)
def step_one(
    t: CoreTables, games: GameArrays, g: int, action: int, forced: np.ndarray
) -> tuple[bool, float, int, int, bool]:
    """Step game `g` alone, without output arrays: the object API's fast path.

    Returns (legal, reward, score delta, lines cleared, refilled); an illegal action
    changes nothing.
    """
    if games.done[g] or not is_legal(t, games.occ[g, 0], games.occ[g, 1], games.shapes, g, action):
        return False, 0.0, 0, 0, False
    reward, delta, lines, refilled, _over = step_game(t, games, g, g, action, forced)
    return True, reward, delta, lines, refilled


@njit(cache=True)
def reset_batch(t: CoreTables, games: GameArrays, which: np.ndarray) -> None:
    """Start a new game, drawn from each game's own stream, wherever `which` is True."""
    for g in range(which.shape[0]):
        if not which[g]:
            continue
        games.occ[g, 0] = _ZERO
        games.occ[g, 1] = _ZERO
        refill_slots(t.draw_ids, games.shapes, g, games.rng, g)
        games.score[g] = 0
        games.steps[g] = 0
        games.done[g] = not has_legal_move(t.fit, _ZERO, _ZERO, games.shapes, g)


@njit(cache=True)
def legal_mask_batch(t: CoreTables, occ: np.ndarray, shapes: np.ndarray, out: np.ndarray) -> None:
    """`out[g, a]` = action `a` is legal in game `g` (`out` is overwritten)."""
    for g in range(occ.shape[0]):
        out[g, :] = False
        write_legal_mask(t.fit, t.cells, occ[g, 0], occ[g, 1], shapes, g, out, g)


@njit(cache=True)
def refresh_done_batch(
    t: CoreTables, occ: np.ndarray, shapes: np.ndarray, done: np.ndarray
) -> None:
    """Recompute game over from the boards and slots (after building positions by hand)."""
    for g in range(occ.shape[0]):
        done[g] = not has_legal_move(t.fit, occ[g, 0], occ[g, 1], shapes, g)
