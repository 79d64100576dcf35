"""Which action a simulation takes at a decision node: PUCT, or Gumbel root/interior.

`select_action` is the one place that picks between them; the search loop calls it and never
looks at the root policy itself.
"""

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.mcts.qtransforms import completed_q_by_mix_value, q_by_parent_and_siblings
from alphatriangle.mcts.tree import Tree
from alphatriangle.utils.softmax import masked_softmax


class SelectionParams(NamedTuple):
    """The constants of one search (from its `MCTSConfig`), the one way they reach the
    kernels: action selection, the root statistics and the backup."""

    gumbel: bool
    """Gumbel root with sequential halving and the improved-policy interior rule; else PUCT."""
    discount: float
    c_puct: float
    min_value_span: float
    c_visit: float
    c_scale: float
    gumbel_min_value_span: float


class RootState(NamedTuple):
    """Per-game root inputs of one search, prepared by the root policy."""

    gumbel: npt.NDArray[np.float32]
    """[games, actions] Gumbel noise (Gumbel root)."""
    prior: npt.NDArray[np.float32]
    """[games, actions] prior with Dirichlet noise (PUCT root)."""
    search_visits: npt.NDArray[np.int32]
    """[games, actions] visits each root action got in this search."""
    visit_schedule: npt.NDArray[np.int32]
    """[games, simulations] sequential halving: the visits a root action must have to get
    each simulation, for the game's considered actions and its simulation budget."""


@njit(cache=True)
def puct_action(
    logits: np.ndarray,
    prior: np.ndarray,
    q: np.ndarray,
    visits: np.ndarray,
    node_visits: int,
    c_puct: float,
) -> int:
    """argmax Q + c * P * sqrt(N) / (1 + n) over legal actions (finite `logits`)."""
    best = -1
    best_score = -np.inf
    root_n = np.sqrt(max(1, node_visits))
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        score = q[a] + c_puct * prior[a] * root_n / (1.0 + visits[a])
        if score > best_score:
            best_score = score
            best = a
    return best


@njit(cache=True)
def gumbel_interior_action(
    logits: np.ndarray,
    sigma_q: np.ndarray,
    visits: np.ndarray,
    total_visits: int,
    policy: np.ndarray,
) -> int:
    """argmax of the improved policy softmax(logits + sigma(Q)) minus the visit share, so
    visits track the policy; `policy` is scratch for the improved policy."""
    for a in range(logits.shape[0]):
        policy[a] = logits[a] + sigma_q[a] if logits[a] != -np.inf else -np.inf
    masked_softmax(policy, policy)
    best = -1
    best_score = -np.inf
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        score = policy[a] - visits[a] / (1.0 + total_visits)
        if score > best_score:
            best_score = score
            best = a
    return best


@njit(cache=True)
def gumbel_root_action(
    logits: np.ndarray,
    gumbel: np.ndarray,
    sigma_q: np.ndarray,
    search_visits: np.ndarray,
    target_visits: int,
) -> int:
    """Sequential halving: among actions with exactly `target_visits` visits this search,
    the best by gumbel + logit + sigma(Q). Without such an action, the best of all."""
    best = -1
    best_score = -np.inf
    fallback = -1
    fallback_score = -np.inf
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        score = gumbel[a] + logits[a] + sigma_q[a]
        if search_visits[a] == target_visits and score > best_score:
            best_score = score
            best = a
        if score > fallback_score:
            fallback_score = score
            fallback = a
    return best if best >= 0 else fallback


@njit(cache=True, inline="always")
def gumbel_sigma_q(
    tree: Tree, params: SelectionParams, g: int, n: int, q: np.ndarray, visits: np.ndarray
) -> int:
    """sigma(completed Q) of node `n`'s actions into `q` and their visits into `visits`, with
    this search's Gumbel constants; returns the node's visits to its children."""
    return completed_q_by_mix_value(
        tree,
        params.discount,
        params.c_visit,
        params.c_scale,
        params.gumbel_min_value_span,
        g,
        n,
        q,
        visits,
    )


@njit(cache=True)
def select_action(
    tree: Tree,
    params: SelectionParams,
    roots: RootState,
    g: int,
    n: int,
    simulation: int,
    q: np.ndarray,
    visits: np.ndarray,
    policy: np.ndarray,
) -> int:
    """The action simulation `simulation` takes at decision node `n` of tree `g`; `q`,
    `visits` and `policy` are per-action scratch rows."""
    logits = tree.children_logit[g, n]
    if params.gumbel:
        total = gumbel_sigma_q(tree, params, g, n, q, visits)
        if n == 0:
            target = roots.visit_schedule[g, simulation]
            return gumbel_root_action(logits, roots.gumbel[g], q, roots.search_visits[g], target)
        return gumbel_interior_action(logits, q, visits, total, policy)
    q_by_parent_and_siblings(tree, params.discount, params.min_value_span, g, n, q, visits)
    if n == 0:
        policy[:] = roots.prior[g]
    else:
        for a in range(logits.shape[0]):
            policy[a] = np.exp(logits[a])
    return puct_action(logits, policy, q, visits, tree.node_visits[g, n], params.c_puct)
