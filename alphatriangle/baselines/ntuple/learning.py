"""TD learning by self-play: games in play on every thread, one shared table of weights.

Each game plays a hand with `search_hand`, and the board the previous hand left moves towards
what this hand's best sequence is worth (its points plus the value of the board it leaves;
its points alone when it ends the game): TD(0) between end-of-hand afterstates, so the
refill, the game's only chance event, is averaged by the value itself. Threads update the
weights without locks (Hogwild): two games rarely touch the same weight at once, and a lost
update costs one step.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.baselines.ntuple.layout import TupleLayout
from alphatriangle.baselines.ntuple.search import search_hand
from alphatriangle.baselines.ntuple.value import afterstate_value, td_step
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.game.core import place, refill_slots, slots_empty
from alphatriangle.game.geometry import CoreTables
from alphatriangle.game.rng import seed_states


class Lanes(NamedTuple):
    """The games in play, one row each; they carry over from one round to the next."""

    occ: npt.NDArray[np.uint64]
    """[games, 2] each game's board."""
    hand: npt.NDArray[np.int8]
    """[games, slots] the shapes in hand (a hand starts full: the refill is whole)."""
    after: npt.NDArray[np.uint64]
    """[games, 2] the board the previous hand left: what the next TD step moves."""
    has_after: npt.NDArray[np.bool_]
    score: npt.NDArray[np.float64]
    moves: npt.NDArray[np.int64]
    rng: npt.NDArray[np.uint64]
    """[games] each game's stream: its refills and its search's tie-breaks."""


class RoundStats(NamedTuple):
    """What one round played, per game row."""

    finished: npt.NDArray[np.float64]
    """[games, hands] the scores of the games each row finished (first `finished_count`)."""
    finished_count: npt.NDArray[np.int64]
    finished_moves: npt.NDArray[np.int64]
    """[games] the moves of the games each row finished."""
    moves: npt.NDArray[np.int64]
    """[games] the moves each row played."""
    squared_error: npt.NDArray[np.float64]
    """[games] the sum of squared TD errors of each row's steps."""
    steps: npt.NDArray[np.int64]
    """[games] the TD steps of each row."""


def new_lanes(games: int, slots: int, seed: int) -> Lanes:
    return Lanes(
        occ=np.zeros((games, 2), dtype=np.uint64),
        hand=np.full((games, slots), -1, dtype=np.int8),
        after=np.zeros((games, 2), dtype=np.uint64),
        has_after=np.zeros(games, dtype=np.bool_),
        score=np.zeros(games, dtype=np.float64),
        moves=np.zeros(games, dtype=np.int64),
        rng=seed_states([seed * 1_000_003 + g for g in range(games)]),
    )


def round_stats(games: int, hands: int) -> RoundStats:
    return RoundStats(
        np.zeros((games, hands)), np.zeros(games, np.int64), np.zeros(games, np.int64),
        np.zeros(games, np.int64), np.zeros(games), np.zeros(games, np.int64),
    )  # fmt: skip


@njit(cache=True)
def _play_hands(  # noqa: PLR0913 (one game row's round: the tables, the row, its outputs)
    t: CoreTables,
    layout: TupleLayout,
    weights: np.ndarray,
    lanes: Lanes,
    g: int,
    width: int,
    hands: int,
    rate: float,
    stats: RoundStats,
) -> None:
    slots = lanes.hand.shape[1]
    actions = np.empty(slots, dtype=np.int64)
    hand = lanes.hand[g]
    for _ in range(hands):
        if slots_empty(hand):
            lanes.occ[g, 0] = lanes.occ[g, 1] = 0
            lanes.has_after[g] = False
            lanes.score[g] = 0.0
            lanes.moves[g] = 0
            refill_slots(t.draw_ids, lanes.hand, g, lanes.rng, g)
        lo, hi = lanes.occ[g, 0], lanes.occ[g, 1]
        value, end_lo, end_hi, length, over = search_hand(
            t, layout, weights, lo, hi, hand, width, lanes.rng, g, actions
        )
        if lanes.has_after[g]:
            a_lo, a_hi = lanes.after[g, 0], lanes.after[g, 1]
            error = value - afterstate_value(layout, weights, a_lo, a_hi)
            td_step(layout, weights, a_lo, a_hi, rate * error)
            stats.squared_error[g] += error * error
            stats.steps[g] += 1
        for i in range(length):
            slot = actions[i] // t.cells
            shape = hand[slot]
            lo, hi, cleared, _lines = place(t, lo, hi, shape, actions[i] % t.cells)
            lanes.score[g] += t.fit.shape_size[shape] + 2 * cleared
            hand[slot] = -1
        lanes.moves[g] += length
        stats.moves[g] += length
        lanes.occ[g, 0], lanes.occ[g, 1] = end_lo, end_hi
        if over:
            stats.finished[g, stats.finished_count[g]] = lanes.score[g]
            stats.finished_count[g] += 1
            stats.finished_moves[g] += lanes.moves[g]
            hand[:] = -1
        else:
            lanes.after[g, 0], lanes.after[g, 1] = end_lo, end_hi
            lanes.has_after[g] = True
            refill_slots(t.draw_ids, lanes.hand, g, lanes.rng, g)


@njit(cache=True, nogil=True)
def learn_rows(  # noqa: PLR0913
    t: CoreTables,
    layout: TupleLayout,
    weights: np.ndarray,
    lanes: Lanes,
    width: int,
    hands: int,
    rate: float,
    stats: RoundStats,
    first: int,
    every: int,
) -> None:
    """Game rows `first`, `first + every`, ... each play `hands` hands (starting a new game
    where one ends), learning with step size `rate` after each; without the GIL, so threads
    run it on disjoint rows at once."""
    for g in range(first, lanes.occ.shape[0], every):
        _play_hands(t, layout, weights, lanes, g, width, hands, rate, stats)


def learn_round(  # noqa: PLR0913
    pool: ThreadPoolExecutor,
    t: CoreTables,
    layout: TupleLayout,
    weights: npt.NDArray[np.float32],
    lanes: Lanes,
    width: int,
    hands: int,
    rate: float,
    threads: int,
) -> RoundStats:
    """Every game row plays `hands` hands, the rows split over `threads` threads of `pool`."""
    stats = round_stats(lanes.occ.shape[0], hands)
    jobs = [
        pool.submit(learn_rows, t, layout, weights, lanes, width, hands, rate, stats, i, threads)
        for i in range(threads)
    ]
    for job in jobs:
        job.result()
    return stats


def learning_rate(config: NTupleConfig, progress: float) -> float:
    """`LEARNING_RATE` falling geometrically to `LEARNING_RATE_FINAL` as `progress` goes from
    0 to 1 (clipped)."""
    start, final = config.LEARNING_RATE, config.LEARNING_RATE_FINAL
    return float(start * (final / start) ** min(1.0, max(0.0, progress)))
