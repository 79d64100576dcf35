"""Softmax over the finite entries of a row: `-inf` marks what is masked (illegal actions).

One implementation for the search's priors and improved policies and the network's
per-state probabilities; numba-compiled, and callable from Python on NumPy rows.
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _max_and_norm(scores: np.ndarray) -> tuple[float, float]:
    """The largest finite score and the sum of `exp(score - largest)` over finite scores."""
    top = -np.inf
    for a in range(scores.shape[0]):
        top = max(top, scores[a])
    norm = 0.0
    for a in range(scores.shape[0]):
        if scores[a] != -np.inf:
            norm += np.exp(scores[a] - top)
    return top, norm


@njit(cache=True)
def masked_softmax(scores: np.ndarray, out: np.ndarray) -> None:
    """`out[a] = exp(scores[a]) / sum exp(scores)` over finite scores, 0 where masked.
    `out` may be `scores`; at least one score must be finite."""
    top, norm = _max_and_norm(scores)
    for a in range(scores.shape[0]):
        out[a] = np.exp(scores[a] - top) / norm if scores[a] != -np.inf else 0.0


@njit(cache=True)
def masked_log_softmax(scores: np.ndarray, out: np.ndarray) -> None:
    """`out[a] = scores[a] - log sum exp(scores)` over finite scores, -inf where masked.
    `out` may be `scores`; at least one score must be finite."""
    top, norm = _max_and_norm(scores)
    log_norm = top + np.log(norm)
    for a in range(scores.shape[0]):
        out[a] = scores[a] - log_norm if scores[a] != -np.inf else -np.inf
