"""Which action a simulation takes at a decision node: PUCT, or Gumbel root/interior."""

import numpy as np
from numba import njit


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
    logits: np.ndarray, sigma_q: np.ndarray, visits: np.ndarray, total_visits: int
) -> int:
    """argmax of the improved policy minus the visit share: visits track the policy."""
    top = -np.inf
    for a in range(logits.shape[0]):
        if logits[a] != -np.inf:
            top = max(top, logits[a] + sigma_q[a])
    norm = 0.0
    for a in range(logits.shape[0]):
        if logits[a] != -np.inf:
            norm += np.exp(logits[a] + sigma_q[a] - top)
    best = -1
    best_score = -np.inf
    for a in range(logits.shape[0]):
        if logits[a] == -np.inf:
            continue
        score = np.exp(logits[a] + sigma_q[a] - top) / norm - visits[a] / (1.0 + total_visits)
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
