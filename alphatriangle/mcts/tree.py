"""Search trees for a batch of games, as arrays: no Python object per node.

Row `g` of every array is game `g`'s tree; node 0 is its root. Decision nodes hold a
position with shapes to place; chance nodes hold the position right after a placement
that emptied every slot, and their children are sampled refills. Edge data lives on the
parent: `children_index[g, n, a]` (-1 until expanded), `children_logit` (normalised log
prior, -inf for illegal actions) and `children_reward`. The discount of an edge is 1 into
a chance node and `discount` otherwise, so a refill costs no extra discount.
"""

from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
from numba import njit

DECISION, CHANCE = 0, 1
UNEXPANDED = -1
ROOT = cast(int, np.int64(0))
"""Node 0. Typed, not a bare 0: numba compiles a kernel once more for each literal argument."""


class Tree(NamedTuple):
    """Storage for the trees of a batch of games (a typed record the kernels take whole)."""

    node_occ: npt.NDArray[np.uint64]
    """[games, nodes, 2] board words of each node's position."""
    node_shapes: npt.NDArray[np.int8]
    """[games, nodes, slots] slots of each node's position."""
    node_kind: npt.NDArray[np.int8]
    """[games, nodes] DECISION or CHANCE."""
    node_terminal: npt.NDArray[np.bool_]
    node_visits: npt.NDArray[np.int32]
    node_value_sum: npt.NDArray[np.float64]
    node_raw_value: npt.NDArray[np.float32]
    """[games, nodes] the network's value of the position (0 for terminal ones)."""
    node_evaluated: npt.NDArray[np.bool_]
    node_num_children: npt.NDArray[np.int32]
    """[games, nodes] outcomes kept under a chance node."""
    children_index: npt.NDArray[np.int32]
    """[games, nodes, actions] child node of each edge (an outcome's rank under a chance
    node), UNEXPANDED until expanded."""
    children_logit: npt.NDArray[np.float32]
    children_reward: npt.NDArray[np.float32]
    node_count: npt.NDArray[np.int32]
    """[games] nodes in use."""


def allocate_tree(games: int, capacity: int, num_actions: int, num_slots: int) -> Tree:
    """Empty trees of `capacity` nodes for `games` games."""
    return Tree(
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


@njit(cache=True)
def node_value(tree: Tree, g: int, n: int) -> float:
    """Mean return backed up through node `n` of tree `g` (0 before its first visit)."""
    visits = tree.node_visits[g, n]
    return tree.node_value_sum[g, n] / visits if visits > 0 else 0.0


@njit(cache=True)
def add_node(tree: Tree, g: int, parent: int, kind: int, terminal: bool) -> int:
    """Append a fresh node to tree `g` holding the position of `parent` (its caller then
    edits the position); returns its index."""
    n = tree.node_count[g]
    tree.node_count[g] = n + 1
    tree.node_occ[g, n] = tree.node_occ[g, parent]
    tree.node_shapes[g, n] = tree.node_shapes[g, parent]
    init_node(tree, g, n, kind, terminal)
    return int(n)


@njit(cache=True)
def init_node(tree: Tree, g: int, n: int, kind: int, terminal: bool) -> None:
    """Clear node `n` of tree `g` for use as a fresh node (its position is the caller's)."""
    tree.node_kind[g, n] = kind
    tree.node_terminal[g, n] = terminal
    tree.node_visits[g, n] = 0
    tree.node_value_sum[g, n] = 0.0
    tree.node_raw_value[g, n] = 0.0
    tree.node_evaluated[g, n] = terminal
    tree.node_num_children[g, n] = 0
    tree.children_index[g, n, :] = UNEXPANDED


@njit(cache=True)
def _copy_node(tree: Tree, g: int, old: int, new: int, new_index: np.ndarray) -> None:
    """Copy node `old` of tree `g` onto row `new`, renumbering its children."""
    tree.node_occ[g, new] = tree.node_occ[g, old]
    tree.node_shapes[g, new] = tree.node_shapes[g, old]
    tree.node_kind[g, new] = tree.node_kind[g, old]
    tree.node_terminal[g, new] = tree.node_terminal[g, old]
    tree.node_visits[g, new] = tree.node_visits[g, old]
    tree.node_value_sum[g, new] = tree.node_value_sum[g, old]
    tree.node_raw_value[g, new] = tree.node_raw_value[g, old]
    tree.node_evaluated[g, new] = tree.node_evaluated[g, old]
    tree.node_num_children[g, new] = tree.node_num_children[g, old]
    for a in range(tree.children_index.shape[2]):
        child = tree.children_index[g, old, a]
        tree.children_index[g, new, a] = new_index[child] if child >= 0 else UNEXPANDED
        tree.children_logit[g, new, a] = tree.children_logit[g, old, a]
        tree.children_reward[g, new, a] = tree.children_reward[g, old, a]


@njit(cache=True)
def keep_subtree(tree: Tree, g: int, new_root: int, new_index: np.ndarray) -> None:
    """Keep only the subtree under `new_root` in tree `g`, renumbered from 0.

    Children are always allocated after their parent, so numbering the kept nodes in
    their old order gives every node a new index <= its old one, and copying rows in
    increasing order never overwrites a row still to be read.
    """
    count = tree.node_count[g]
    new_index[:count] = -1
    new_index[new_root] = 0
    kept = 1
    for old in range(new_root, count):
        if new_index[old] < 0:
            continue
        if old != new_root:
            new_index[old] = kept
            kept += 1
        for a in range(tree.children_index.shape[2]):
            child = tree.children_index[g, old, a]
            if child >= 0 and new_index[child] < 0:
                new_index[child] = 0  # reached: numbered when the loop gets to it
    for old in range(new_root, count):
        if new_index[old] < 0 or (old != new_root and new_index[old] == 0):
            continue
        _copy_node(tree, g, old, new_index[old], new_index)
    tree.node_count[g] = kept


@njit(cache=True, inline="always")
def same_hand(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two hands (rows of slots) hold the same shapes in the same slots."""
    for slot in range(a.shape[0]):
        if a[slot] != b[slot]:
            return False
    return True


@njit(cache=True)
def keep_played_subtrees(
    tree: Tree, actions: np.ndarray, shapes_after: np.ndarray, new_index: np.ndarray
) -> None:
    """Make the subtree of the move played the new root, only if it matches the real
    position (after a refill: the outcome with the real shapes); otherwise drop the tree."""
    for g in range(actions.shape[0]):
        a = actions[g]
        new_root = -1
        if a >= 0 and tree.node_count[g] > 0:
            new_root = tree.children_index[g, 0, a]
            if new_root >= 0 and tree.node_kind[g, new_root] == CHANCE:
                chance, new_root = new_root, -1
                for k in range(tree.node_num_children[g, chance]):
                    outcome = tree.children_index[g, chance, k]
                    if same_hand(tree.node_shapes[g, outcome], shapes_after[g]):
                        new_root = outcome
        if new_root < 0:
            tree.node_count[g] = 0
        else:
            keep_subtree(tree, g, new_root, new_index[g])
