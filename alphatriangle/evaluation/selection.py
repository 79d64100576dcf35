"""Which evaluated checkpoint is the run's best, and when the next evaluation may start.

Taking the highest mean of a few dozen noisy games picks a lucky checkpoint (the winner's
curse: an early one that scored high by chance keeps the title against better, later ones).
A later checkpoint has trained longer, so it takes the title unless the same games show it
worse: the paired difference over the incumbent's seeds has its whole confidence interval
below zero.
"""

from collections.abc import Sequence

import numpy as np

from alphatriangle.evaluation.suite import paired_interval


def replaces_best(
    candidate: Sequence[float],
    best: Sequence[float] | None,
    best_mean: float | None = None,
    confidence: float = 0.95,
) -> bool:
    """Whether a later checkpoint's per-game scores take the best's place.

    `best` holds the incumbent's scores on the same seeds in the same order; without them
    (a checkpoint saved before they were kept) its `best_mean` alone is compared.
    """
    if best is None or len(best) != len(candidate):
        return best_mean is None or float(np.mean(candidate)) >= best_mean
    diff = np.asarray(candidate, dtype=np.float64) - np.asarray(best, dtype=np.float64)
    _, high = paired_interval(diff, confidence)
    return high >= 0.0


def seconds_until_next(duration: float, share: float) -> float:
    """The pause after an evaluation of `duration` seconds that keeps evaluations to `share`
    of the wall time (share 1: none)."""
    return duration * (1.0 - share) / share
