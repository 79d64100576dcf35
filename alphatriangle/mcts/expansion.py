"""How a search tree grows: fresh roots, the child of a placement, and a new leaf's
evaluation (its prior over legal actions and its value). Refill outcomes: `chance.py`."""

import numpy as np
from numba import njit

from alphatriangle.game.core import (
    has_legal_move,
    outcome_reward,
    place,
    placement_reward,
    slots_empty,
    write_legal_mask,
)
from alphatriangle.game.geometry import CoreTables
from alphatriangle.mcts.tree import CHANCE, DECISION, ROOT, Tree, add_node, init_node, same_hand
from alphatriangle.utils.softmax import masked_log_softmax


@njit(cache=True)
def write_evaluation(
    t: CoreTables, tree: Tree, legal: np.ndarray, g: int, n: int, logits: np.ndarray, value: float
) -> None:
    """Store the network's value and log-softmax prior over legal actions at node `n`."""
    legal[g, :] = False
    occ = tree.node_occ[g, n]
    write_legal_mask(
        t.fit, t.cells, occ[0], occ[1],
        tree.node_shapes[g], n, legal, g,
    )  # fmt: skip
    prior = tree.children_logit[g, n]
    for a in range(logits.shape[0]):
        prior[a] = logits[a] if legal[g, a] else -np.inf
    masked_log_softmax(prior, prior)
    tree.node_raw_value[g, n] = value
    tree.node_evaluated[g, n] = True


@njit(cache=True)
def prepare_roots(
    t: CoreTables, tree: Tree, occ: np.ndarray, shapes: np.ndarray, active: np.ndarray
) -> None:
    """Start a fresh tree wherever the kept root is not the position to search."""
    for g in range(occ.shape[0]):
        if not active[g]:
            continue
        same = tree.node_count[g] > 0 and tree.node_kind[g, 0] == DECISION
        same = same and tree.node_occ[g, 0, 0] == occ[g, 0] and tree.node_occ[g, 0, 1] == occ[g, 1]
        if same and same_hand(tree.node_shapes[g, 0], shapes[g]):
            continue
        tree.node_occ[g, 0] = occ[g]
        tree.node_shapes[g, 0] = shapes[g]
        terminal = not has_legal_move(t.fit, occ[g, 0], occ[g, 1], shapes, g)
        init_node(tree, g, ROOT, DECISION, terminal)
        tree.node_count[g] = 1


@njit(cache=True)
def expand(t: CoreTables, tree: Tree, hand: np.ndarray, g: int, n: int, a: int) -> int:
    """Add the child of placing action `a` at decision node `n`: a chance node when the
    placement empties the hand, else a decision node. Returns -1 when the tree is full.
    `hand` is scratch for the hand left after the placement."""
    slot = t.action_slot[a]
    hand[:] = tree.node_shapes[g, n]
    shape = hand[slot]
    hand[slot] = -1
    refill = slots_empty(hand)
    if tree.node_count[g] + (2 if refill else 1) > tree.node_visits.shape[1]:
        return -1
    occ = tree.node_occ[g, n]
    lo, hi, cleared, _ = place(t, occ[0], occ[1], shape, t.action_anchor[a])
    c = add_node(tree, g, n, CHANCE if refill else DECISION, False)
    tree.node_occ[g, c, 0] = lo
    tree.node_occ[g, c, 1] = hi
    tree.node_shapes[g, c] = hand
    tree.children_index[g, n, a] = c
    reward = placement_reward(t, shape, cleared)
    if not refill:
        terminal = not has_legal_move(t.fit, lo, hi, tree.node_shapes[g], c)
        tree.node_terminal[g, c] = terminal
        tree.node_evaluated[g, c] = terminal
        reward += outcome_reward(t, terminal)
    tree.children_reward[g, n, a] = reward
    return c
