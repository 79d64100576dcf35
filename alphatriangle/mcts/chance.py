"""Which refill a simulation follows at a chance node (the board after a placement that
emptied every slot), drawn from the search's own streams, never the real game's.

- capped: every visit draws a refill; a new one becomes a child while fewer than `most`
  are kept, else a kept one is revisited at random. The value stops converging once the
  node is full: deeper search then plans inside a few sampled futures.
- widening: a node with `v` visits keeps `ceil(widening * sqrt(v))` outcomes and visits the
  least-visited, so every kept refill weighs the same and the value converges to the
  expectation over refills as visits grow. With common refills the k-th outcome of every
  chance node at the same depth is the same draw, so sibling moves meet the same futures
  and their Q differences carry no sampling noise of their own.
"""

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.game.core import has_legal_move, outcome_reward
from alphatriangle.game.geometry import CoreTables
from alphatriangle.game.rng import draw_below
from alphatriangle.mcts.tree import DECISION, Tree, add_node, same_hand


class ChanceSampler(NamedTuple):
    """The chance rule of one search and its table of common refills."""

    widening: float
    """0: capped sampling; else outcomes kept = ceil(widening * sqrt(visits))."""
    most: int
    """Outcomes a chance node keeps at most."""
    common: bool
    """Widening: outcome k at chance level l is `table[g, l, k]` for every node."""
    table: npt.NDArray[np.int8]
    """[games, levels, most, slots] common refills, drawn as the search first needs them."""
    drawn: npt.NDArray[np.int32]
    """[games, levels] rows of `table` drawn in this search."""


def chance_sampler(
    games: int, levels: int, slots: int, widening: float, most: int, common: bool
) -> ChanceSampler:
    """A sampler with an empty common-refill table of `levels` chance levels."""
    rows = most if common else 0
    return ChanceSampler(
        widening=widening,
        most=most,
        common=common,
        table=np.zeros((games, levels if common else 0, rows, slots), dtype=np.int8),
        drawn=np.zeros((games, levels if common else 0), dtype=np.int32),
    )


@njit(cache=True)
def draw_refill(t: CoreTables, rng: np.ndarray, g: int, hand: np.ndarray) -> None:
    """Fill `hand` (a row of slots) with a refill from game `g`'s search stream."""
    for s in range(hand.shape[0]):
        hand[s] = t.draw_ids[draw_below(rng, g, t.draw_ids.shape[0])]


@njit(cache=True)
def add_outcome(t: CoreTables, tree: Tree, hands: np.ndarray, g: int, n: int) -> int:
    """Append the refill `hands[g]` as chance node `n`'s next outcome; returns the child."""
    occ = tree.node_occ[g, n]
    count = tree.node_num_children[g, n]
    terminal = not has_legal_move(t.fit, occ[0], occ[1], hands, g)
    child = add_node(tree, g, n, DECISION, terminal)
    tree.node_shapes[g, child] = hands[g]
    tree.children_index[g, n, count] = child
    tree.children_reward[g, n, count] = outcome_reward(t, terminal)
    tree.node_num_children[g, n] = count + 1
    return child


@njit(cache=True)
def _has_room(tree: Tree, g: int) -> bool:
    return bool(tree.node_count[g] < tree.node_visits.shape[1])


@njit(cache=True)
def capped_step(
    t: CoreTables, tree: Tree, rng: np.ndarray, hands: np.ndarray, g: int, n: int, most: int
) -> tuple[int, int, bool]:
    """Capped sampling at chance node `n`: (outcome rank, child, newly added)."""
    draw_refill(t, rng, g, hands[g])
    count = tree.node_num_children[g, n]
    for k in range(count):
        child = tree.children_index[g, n, k]
        if same_hand(tree.node_shapes[g, child], hands[g]):
            return k, child, False
    if count < most and _has_room(tree, g):
        return count, add_outcome(t, tree, hands, g, n), True
    if count == 0:
        return -1, -1, False
    k = draw_below(rng, g, count)
    return k, tree.children_index[g, n, k], False


@njit(cache=True)
def widened_outcomes(widening: float, visits: int, most: int) -> int:
    """Outcomes a chance node with `visits` visits may keep: ceil(widening * sqrt(visits)),
    at least 1 and at most `most`."""
    return min(most, max(1, int(np.ceil(widening * np.sqrt(visits)))))


@njit(cache=True)
def _common_refill(
    t: CoreTables, sampler: ChanceSampler, rng: np.ndarray, g: int, level: int, k: int
) -> np.ndarray:
    """Row `k` of level `level`'s common refills, drawing the rows up to it first."""
    while sampler.drawn[g, level] <= k:
        draw_refill(t, rng, g, sampler.table[g, level, sampler.drawn[g, level]])
        sampler.drawn[g, level] += 1
    row: np.ndarray = sampler.table[g, level, k]
    return row


@njit(cache=True)
def chance_step(
    t: CoreTables,
    tree: Tree,
    sampler: ChanceSampler,
    rng: np.ndarray,
    hands: np.ndarray,
    g: int,
    n: int,
    level: int,
) -> tuple[int, int, bool]:
    """The outcome a simulation follows at chance node `n`, `level` chance nodes below the
    root (`hands`: per-game scratch): (outcome rank, child, newly added); child -1 when
    there is none and the tree is full. Widening: a new outcome while fewer are kept than
    the visits allow, else the least-visited one."""
    if sampler.widening <= 0.0:
        return capped_step(t, tree, rng, hands, g, n, sampler.most)
    count = tree.node_num_children[g, n]
    allowed = widened_outcomes(sampler.widening, tree.node_visits[g, n], sampler.most)
    if count < allowed and _has_room(tree, g):
        if sampler.common and level < sampler.drawn.shape[1]:
            hands[g] = _common_refill(t, sampler, rng, g, level, count)
        else:
            draw_refill(t, rng, g, hands[g])
        return count, add_outcome(t, tree, hands, g, n), True
    if count == 0:
        return -1, -1, False
    best = 0
    for k in range(1, count):
        child = tree.children_index[g, n, k]
        if tree.node_visits[g, child] < tree.node_visits[g, tree.children_index[g, n, best]]:
            best = k
    return best, tree.children_index[g, n, best], False
