"""Q values of a node's actions, completed for unvisited actions and min-max normalised.

`edge_q` is the return of one edge: its reward plus the discounted value of the child
(no discount into a chance node). The transforms fill scratch rows indexed by action.
"""

import numpy as np
from numba import njit

from alphatriangle.mcts.tree import CHANCE, Tree

_EPS = 1e-8


@njit(cache=True, inline="always")
def edge_q(tree: Tree, discount: float, g: int, n: int, a: int) -> tuple[int, float]:
    """(visits, Q) of edge `a` of node `n`; Q is 0 when the edge has no visits."""
    child = tree.children_index[g, n, a]
    if child < 0 or tree.node_visits[g, child] == 0:
        return 0, 0.0
    visits = tree.node_visits[g, child]
    disc = 1.0 if tree.node_kind[g, child] == CHANCE else discount
    return visits, tree.children_reward[g, n, a] + disc * tree.node_value_sum[g, child] / visits


@njit(cache=True)
def completed_q_by_mix_value(
    tree: Tree,
    discount: float,
    c_visit: float,
    c_scale: float,
    min_span: float,
    g: int,
    n: int,
    q_out: np.ndarray,
    visits_out: np.ndarray,
) -> int:
    """Gumbel MuZero's sigma(completed Q) for every legal action of node `n`.

    Unvisited actions get the mixed value (the network's value blended with the
    prior-weighted Q of visited actions); the completed values are min-max rescaled over
    a span of at least `min_span` (0: their own span, as in mctx) and scaled by
    (c_visit + max visits) * c_scale. Returns the total visits.
    """
    logits = tree.children_logit[g, n]
    total = 0
    max_visits = 0
    weighted = 0.0
    mass = 0.0
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        visits, q = edge_q(tree, discount, g, n, a)
        visits_out[a] = visits
        q_out[a] = q
        if visits > 0:
            prob = np.exp(logits[a])
            weighted += prob * q
            mass += prob
            total += visits
            max_visits = max(max_visits, visits)
    raw = tree.node_raw_value[g, n]
    mixed = raw if total == 0 else (raw + total * weighted / max(mass, _EPS)) / (total + 1)
    low = np.inf
    high = -np.inf
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        if visits_out[a] == 0:
            q_out[a] = mixed
        low = min(low, q_out[a])
        high = max(high, q_out[a])
    scale = (c_visit + max_visits) * c_scale / max(high - low, min_span, _EPS)
    for a in range(logits.shape[0]):
        if logits[a] != -np.inf:
            q_out[a] = (q_out[a] - low) * scale
    return total


@njit(cache=True)
def q_by_parent_and_siblings(
    tree: Tree,
    discount: float,
    min_span: float,
    g: int,
    n: int,
    q_out: np.ndarray,
    visits_out: np.ndarray,
) -> None:
    """PUCT's Q: visited actions min-max normalised together with the node's own value
    (over a span of at least `min_span`); unvisited actions get the minimum (0)."""
    parent = tree.node_value_sum[g, n] / max(1, tree.node_visits[g, n])
    low = parent
    high = parent
    logits = tree.children_logit[g, n]
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        visits, q = edge_q(tree, discount, g, n, a)
        visits_out[a] = visits
        q_out[a] = q
        if visits > 0:
            low = min(low, q)
            high = max(high, q)
    span = max(high - low, min_span)
    for a in range(logits.shape[0]):
        if logits[a] != -np.inf:
            q_out[a] = (q_out[a] - low) / span if visits_out[a] > 0 else 0.0
