"""Search trees for a batch of games, as arrays: no Python object per node.

Row `g` of every array is game `g`'s tree; node 0 is its root. Decision nodes hold a
position with shapes to place; chance nodes hold the position right after a placement
that emptied every slot, and their children are sampled refills. Edge data lives on the
parent: `children_index[g, n, a]` (-1 until expanded), `children_logit` (normalised log
prior, -inf for illegal actions) and `children_reward`. The discount of an edge is 1 into
a chance node and `discount` otherwise, so a refill costs no extra discount.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

DECISION, CHANCE = 0, 1
UNEXPANDED = -1


@dataclass
class Tree:
    """Storage for `games` trees of `capacity` nodes each."""

    node_occ: npt.NDArray[np.uint64]
    """[games, nodes, 2] board words of each node's position."""
    node_shapes: npt.NDArray[np.int8]
    """[games, nodes, slots] slots of each node's position."""
    node_kind: npt.NDArray[np.int8]
    node_terminal: npt.NDArray[np.bool_]
    node_visits: npt.NDArray[np.int32]
    node_value_sum: npt.NDArray[np.float64]
    node_raw_value: npt.NDArray[np.float32]
    """[games, nodes] the network's value of the position (0 for terminal ones)."""
    node_evaluated: npt.NDArray[np.bool_]
    node_num_children: npt.NDArray[np.int32]
    """[games, nodes] outcomes kept under a chance node."""
    children_index: npt.NDArray[np.int32]
    children_logit: npt.NDArray[np.float32]
    children_reward: npt.NDArray[np.float32]
    node_count: npt.NDArray[np.int32]
    """[games] nodes in use."""

    @classmethod
    def allocate(cls, games: int, capacity: int, num_actions: int, num_slots: int) -> "Tree":
        return cls(
            node_occ=np.zeros((games, capacity, 2), dtype=np.uint64),
            node_shapes=np.full((games, capacity, num_slots), -1, dtype=np.int8),
            node_kind=np.zeros((games, capacity), dtype=np.int8),
            node_terminal=np.zeros((games, capacity), dtype=np.bool_),
            node_visits=np.zeros((games, capacity), dtype=np.int32),
            node_value_sum=np.zeros((games, capacity), dtype=np.float64),
            node_raw_value=np.zeros((games, capacity), dtype=np.float32),
            node_evaluated=np.zeros((games, capacity), dtype=np.bool_),
            node_num_children=np.zeros((games, capacity), dtype=np.int32),
            children_index=np.full((games, capacity, num_actions), UNEXPANDED, dtype=np.int32),
            children_logit=np.zeros((games, capacity, num_actions), dtype=np.float32),
            children_reward=np.zeros((games, capacity, num_actions), dtype=np.float32),
            node_count=np.zeros(games, dtype=np.int32),
        )

    @property
    def games(self) -> int:
        return int(self.node_count.shape[0])

    @property
    def capacity(self) -> int:
        return int(self.node_visits.shape[1])

    def node_value(self, g: int, n: int) -> float:
        visits = int(self.node_visits[g, n])
        return float(self.node_value_sum[g, n] / visits) if visits else 0.0


@njit(cache=True)
def init_node(
    node_kind: np.ndarray,
    node_terminal: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    node_num_children: np.ndarray,
    children_index: np.ndarray,
    g: int,
    n: int,
    kind: int,
    terminal: bool,
) -> None:
    """Clear node `n` of tree `g` for reuse as a fresh node."""
    node_kind[g, n] = kind
    node_terminal[g, n] = terminal
    node_visits[g, n] = 0
    node_value_sum[g, n] = 0.0
    node_raw_value[g, n] = 0.0
    node_evaluated[g, n] = terminal
    node_num_children[g, n] = 0
    children_index[g, n, :] = UNEXPANDED


@njit(cache=True)
def keep_subtree(
    node_occ: np.ndarray,
    node_shapes: np.ndarray,
    node_kind: np.ndarray,
    node_terminal: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    node_num_children: np.ndarray,
    children_index: np.ndarray,
    children_logit: np.ndarray,
    children_reward: np.ndarray,
    node_count: np.ndarray,
    g: int,
    new_root: int,
    new_index: np.ndarray,
) -> None:
    """Keep only the subtree under `new_root` in tree `g`, renumbered from 0.

    Children are always allocated after their parent, so numbering the kept nodes in
    their old order gives every node a new index <= its old one, and copying rows in
    increasing order never overwrites a row still to be read.
    """
    count = node_count[g]
    new_index[:count] = -1
    new_index[new_root] = 0
    kept = 1
    for old in range(new_root, count):
        if new_index[old] < 0:
            continue
        if old != new_root:
            new_index[old] = kept
            kept += 1
        for a in range(children_index.shape[2]):
            child = children_index[g, old, a]
            if child >= 0 and new_index[child] < 0:
                new_index[child] = 0  # reached: numbered when the loop gets to it
    for old in range(new_root, count):
        if new_index[old] < 0 or (old != new_root and new_index[old] == 0):
            continue
        new = new_index[old]
        node_occ[g, new] = node_occ[g, old]
        node_shapes[g, new] = node_shapes[g, old]
        node_kind[g, new] = node_kind[g, old]
        node_terminal[g, new] = node_terminal[g, old]
        node_visits[g, new] = node_visits[g, old]
        node_value_sum[g, new] = node_value_sum[g, old]
        node_raw_value[g, new] = node_raw_value[g, old]
        node_evaluated[g, new] = node_evaluated[g, old]
        node_num_children[g, new] = node_num_children[g, old]
        for a in range(children_index.shape[2]):
            child = children_index[g, old, a]
            children_index[g, new, a] = new_index[child] if child >= 0 else UNEXPANDED
            children_logit[g, new, a] = children_logit[g, old, a]
            children_reward[g, new, a] = children_reward[g, old, a]
    node_count[g] = kept
