"""The planner baseline: a beam search over the placements of the whole hand.

Within a hand (until every slot is empty) the game is deterministic, so the planner can
look at every order of the shapes it holds. Each level places one more shape; the beam
keeps the `BEAM_WIDTH` best partial sequences by points gained plus a heuristic of the
board, and the first move of the best complete sequence is played. A sequence that leaves
a shape with nowhere to go ends the game, and scores `GAME_OVER_SCORE` more.

The heuristic scores how well the board takes the random refill that follows: the chance
that a drawn shape fits, how many placements drawn shapes have, empty cells, and holes (empty
cells that only a single triangle can fill). Ties are broken at random from the policy's
own stream, never the game's.
"""

from functools import lru_cache
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.config.planner_config import PlannerConfig
from alphatriangle.game.batch import GameBatch
from alphatriangle.game.core import GameArrays, free_at, place, popcount
from alphatriangle.game.geometry import CoreTables, EngineTables
from alphatriangle.game.rng import next_u64

_ZERO = np.uint64(0)
_UNIT = 2.0**-64
TIE_BREAK = 1e-6
"""Each candidate's score gets a random bit of this size from the policy's stream, so equal
scores are ordered at random (in the beam and for the move) and real differences are not."""
NO_CANDIDATES = cast(int, np.int64(0))
"""A typed 0: numba would compile `top_unique` once more for a literal 0 count."""

FIT, MOBILITY, EMPTY, HOLE, GAME_OVER = range(5)
"""Positions of the weights in the array the kernel reads."""


class PlannerTables(NamedTuple):
    """What the planner's kernels read beside the engine's tables, as one argument."""

    draw_prob: npt.NDArray[np.float64]
    """[shapes] the chance that one refill draw is each shape."""
    playable: npt.NDArray[np.uint64]
    """[2] the playable cells as bitboard words."""
    weights: npt.NDArray[np.float64]
    """The heuristic's weights, at `FIT` ... `GAME_OVER`."""
    width: int
    """The beam's width."""


def planner_tables(tables: EngineTables, config: PlannerConfig) -> PlannerTables:
    return PlannerTables(
        draw_probabilities(tables), playable_words(tables), planner_weights(config),
        config.BEAM_WIDTH,
    )  # fmt: skip


def planner_weights(config: PlannerConfig) -> npt.NDArray[np.float64]:
    return np.array(
        [
            config.WEIGHT_FIT,
            config.WEIGHT_MOBILITY,
            config.WEIGHT_EMPTY,
            config.WEIGHT_HOLE,
            config.GAME_OVER_SCORE,
        ],
        dtype=np.float64,
    )


@lru_cache(maxsize=16)
def draw_probabilities(tables: EngineTables) -> npt.NDArray[np.float64]:
    """[shapes] the chance that one refill draw is each shape."""
    core = tables.core
    counts = np.bincount(core.draw_ids.astype(np.int64), minlength=core.fit.shape_size.shape[0])
    probabilities: npt.NDArray[np.float64] = counts / core.draw_ids.shape[0]
    return probabilities


@lru_cache(maxsize=16)
def playable_words(tables: EngineTables) -> npt.NDArray[np.uint64]:
    """[2] the playable cells as bitboard words."""
    words = np.zeros(2, dtype=np.uint64)
    for cell in np.flatnonzero(tables.playable):
        words[cell // 64] |= np.uint64(1) << np.uint64(cell % 64)
    return words


@njit(cache=True)
def board_heuristic(t: CoreTables, plan: PlannerTables, lo: np.uint64, hi: np.uint64) -> float:
    """How well the board `(lo, hi)` takes a random refill, as a weighted sum of features."""
    draw_prob, weights = plan.draw_prob, plan.weights
    fit = 0.0
    mobility = 0.0
    cover_lo = _ZERO
    cover_hi = _ZERO
    for shape in range(draw_prob.shape[0]):
        if draw_prob[shape] == 0.0:
            continue
        count = 0
        for k in range(t.anchor_count[shape]):
            anchor = t.anchors[shape, k]
            if free_at(t.place_bits, shape, anchor, lo, hi):
                count += 1
                if t.fit.shape_size[shape] > 1:
                    cover_lo |= t.place_bits[shape, anchor, 0]
                    cover_hi |= t.place_bits[shape, anchor, 1]
        if count > 0:
            fit += draw_prob[shape]
        mobility += draw_prob[shape] * np.log1p(count)
    empty_lo = plan.playable[0] & ~lo
    empty_hi = plan.playable[1] & ~hi
    empty = popcount(empty_lo) + popcount(empty_hi)
    holes = popcount(empty_lo & ~cover_lo) + popcount(empty_hi & ~cover_hi)
    return float(
        weights[FIT] * fit
        + weights[MOBILITY] * mobility
        + weights[EMPTY] * empty
        + weights[HOLE] * holes
    )


@njit(cache=True)
def _all_fit(t: CoreTables, hand: np.ndarray, used: int, lo: np.uint64, hi: np.uint64) -> bool:
    """Whether every shape of `hand` not yet in `used` (a slot bitmask) fits somewhere."""
    for slot in range(hand.shape[0]):
        shape = hand[slot]
        if shape < 0 or (used >> slot) & 1:
            continue
        found = False
        for k in range(t.anchor_count[shape]):
            if free_at(t.place_bits, shape, t.anchors[shape, k], lo, hi):
                found = True
                break
        if not found:
            return False
    return True


@njit(cache=True)
def top_unique(
    score: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    used: np.ndarray,
    n: int,
    width: int,
    keep: np.ndarray,
) -> int:
    """Indices of the `width` best of the first `n` candidates into `keep`, one per position
    (placing A then B and B then A often reach the same board); returns how many."""
    order = np.argsort(-score[:n])
    kept = 0
    for i in order:
        duplicate = False
        for j in range(kept):
            other = keep[j]
            if lo[i] == lo[other] and hi[i] == hi[other] and used[i] == used[other]:
                duplicate = True
                break
        if duplicate:
            continue
        keep[kept] = i
        kept += 1
        if kept == width:
            break
    return kept


@njit(cache=True)
def plan_move(
    t: CoreTables,
    plan: PlannerTables,
    lo0: np.uint64,
    hi0: np.uint64,
    hand: np.ndarray,
    rng: np.ndarray,
    stream: int,
) -> int:
    """The first action of the best placement sequence of `hand` on board `(lo0, hi0)`, or -1
    when no shape fits."""
    width = plan.width
    slots = hand.shape[0]
    levels = 0
    full = 0
    for slot in range(slots):
        if hand[slot] >= 0:
            levels += 1
            full |= 1 << slot
    capacity = max(1, width) * slots * t.cells
    c_lo = np.empty(capacity, dtype=np.uint64)
    c_hi = np.empty(capacity, dtype=np.uint64)
    c_used = np.empty(capacity, dtype=np.int64)
    c_gain = np.empty(capacity, dtype=np.float64)
    c_first = np.empty(capacity, dtype=np.int64)
    c_score = np.empty(capacity, dtype=np.float64)
    b_lo = np.empty(width, dtype=np.uint64)
    b_hi = np.empty(width, dtype=np.uint64)
    b_used = np.zeros(width, dtype=np.int64)
    b_gain = np.zeros(width, dtype=np.float64)
    b_first = np.full(width, -1, dtype=np.int64)
    keep = np.empty(width, dtype=np.int64)
    b_lo[0] = lo0
    b_hi[0] = hi0
    beam = 1
    best_action = -1
    best_score = -np.inf
    for _ in range(levels):
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
                    first = b_first[b] if b_first[b] >= 0 else slot * t.cells + anchor
                    complete = new_used == full
                    score = gain + TIE_BREAK * _UNIT * float(next_u64(rng, stream))
                    if complete or _all_fit(t, hand, new_used, new_lo, new_hi):
                        score += board_heuristic(t, plan, new_lo, new_hi)
                    else:
                        score += plan.weights[GAME_OVER]
                        complete = True
                    if complete:
                        if score > best_score:
                            best_score = score
                            best_action = first
                        continue
                    c_lo[n], c_hi[n], c_used[n] = new_lo, new_hi, new_used
                    c_gain[n], c_first[n], c_score[n] = gain, first, score
                    n += 1
        if n == 0:
            break
        beam = top_unique(c_score, c_lo, c_hi, c_used, n, width, keep)
        for b in range(beam):
            i = keep[b]
            b_lo[b], b_hi[b], b_used[b] = c_lo[i], c_hi[i], c_used[i]
            b_gain[b], b_first[b] = c_gain[i], c_first[i]
    return best_action


@njit(cache=True)
def _planner_actions(
    t: CoreTables, plan: PlannerTables, games: GameArrays, rng: np.ndarray, out: np.ndarray
) -> None:
    for g in range(games.occ.shape[0]):
        out[g] = -1
        if not games.done[g]:
            lo, hi = games.occ[g, 0], games.occ[g, 1]
            out[g] = plan_move(t, plan, lo, hi, games.shapes[g], rng, g)


def planner_actions(
    batch: GameBatch, rng: npt.NDArray[np.uint64], config: PlannerConfig | None = None
) -> npt.NDArray[np.int64]:
    """The planner's move in every game (-1 where a game is over), its tie-breaks drawn from
    the policy streams `rng`."""
    plan = planner_tables(batch.tables, config or PlannerConfig())
    out = np.empty(len(batch), dtype=np.int64)
    _planner_actions(batch.tables.core, plan, batch.arrays, rng, out)
    return out
