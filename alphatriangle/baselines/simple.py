"""Baseline policies for evaluation: uniform random, greedy and the planner (`planner.py`).

All draw from their own random streams (one per game), never from a game's refill
stream, so every policy sees the same refills for the same game seed.
"""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.baselines.planner import planner_actions
from alphatriangle.game.batch import GameBatch
from alphatriangle.game.core import GameArrays, free_at, place
from alphatriangle.game.geometry import CoreTables
from alphatriangle.game.rng import draw_below, fresh_seed, seed_states


@njit(cache=True)
def _random_actions(t: CoreTables, games: GameArrays, rng: np.ndarray, out: np.ndarray) -> None:
    occ, shapes, done = games.occ, games.shapes, games.done
    anchors, anchor_count, place_bits = t.anchors, t.anchor_count, t.place_bits
    for g in range(occ.shape[0]):
        out[g] = -1
        if done[g]:
            continue
        lo, hi = occ[g, 0], occ[g, 1]
        count = 0
        for slot in range(shapes.shape[1]):
            shape = shapes[g, slot]
            if shape >= 0:
                for k in range(anchor_count[shape]):
                    count += free_at(place_bits, shape, anchors[shape, k], lo, hi)
        if count == 0:
            continue
        pick = draw_below(rng, g, count)
        for slot in range(shapes.shape[1]):
            shape = shapes[g, slot]
            if shape < 0 or out[g] >= 0:
                continue
            for k in range(anchor_count[shape]):
                if free_at(place_bits, shape, anchors[shape, k], lo, hi):
                    if pick == 0:
                        out[g] = slot * t.cells + anchors[shape, k]
                        break
                    pick -= 1


@njit(cache=True)
def _greedy_actions(t: CoreTables, games: GameArrays, rng: np.ndarray, out: np.ndarray) -> None:
    occ, shapes, done = games.occ, games.shapes, games.done
    anchors, anchor_count, place_bits = t.anchors, t.anchor_count, t.place_bits
    for g in range(occ.shape[0]):
        out[g] = -1
        if done[g]:
            continue
        lo, hi = occ[g, 0], occ[g, 1]
        best = -1
        ties = 0
        for slot in range(shapes.shape[1]):
            shape = shapes[g, slot]
            if shape < 0:
                continue
            for k in range(anchor_count[shape]):
                anchor = anchors[shape, k]
                if not free_at(place_bits, shape, anchor, lo, hi):
                    continue
                cleared = place(t, lo, hi, shape, anchor)[2]
                gain = t.fit.shape_size[shape] + 2 * cleared
                if gain > best:
                    best = gain
                    ties = 1
                    out[g] = slot * t.cells + anchor
                elif gain == best:
                    ties += 1
                    if draw_below(rng, g, ties) == 0:
                        out[g] = slot * t.cells + anchor


Policy = Callable[[GameBatch, npt.NDArray[np.uint64]], npt.NDArray[np.int64]]


def random_actions(batch: GameBatch, rng: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """A uniformly random legal action per game (-1 where a game is over)."""
    out = np.empty(len(batch), dtype=np.int64)
    _random_actions(batch.tables.core, batch.arrays, rng, out)
    return out


def greedy_actions(batch: GameBatch, rng: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """The legal action with the highest immediate score per game, ties broken at random."""
    out = np.empty(len(batch), dtype=np.int64)
    _greedy_actions(batch.tables.core, batch.arrays, rng, out)
    return out


BASELINES: dict[str, Policy] = {
    "random": random_actions,
    "greedy": greedy_actions,
    "planner": planner_actions,
}
"""The baselines by name, weakest first; the planner with its default settings."""


POLICY_SEED_FACTOR = 1_000_003
"""Policy streams start from `seed * POLICY_SEED_FACTOR + offset`, apart from game streams."""
GAME_POLICY_OFFSET = 7
"""The offset of a game's own policy stream (`game_policy_streams`): apart from the streams
`policy_streams(n, seed)` gives games 0 to 6 of a batch seeded with the same number."""


def policy_streams(n: int, seed: int | None = None) -> npt.NDArray[np.uint64]:
    """Random streams for a policy playing `n` games, from `seed` or fresh entropy."""
    base = fresh_seed() if seed is None else seed
    return seed_states([base * POLICY_SEED_FACTOR + g for g in range(n)])


def game_policy_streams(game_seeds: list[int | None]) -> npt.NDArray[np.uint64]:
    """One policy stream per game, from that game's seed (fresh entropy for None), so a
    seed's game plays the same whatever else is played beside it."""
    return seed_states(
        [
            fresh_seed() if s is None else s * POLICY_SEED_FACTOR + GAME_POLICY_OFFSET
            for s in game_seeds
        ]
    )
