"""Sequential halving's visit schedule for the Gumbel root.

From "Policy improvement by planning with Gumbel" (Danihelka, Guez, Schrittwieser and
Silver, ICLR 2022), following the schedule of mctx's
`seq_halving.get_sequence_of_considered_visits`: with m actions considered and n
simulations, the budget is split over ceil(log2 m) phases; each phase visits every remaining
action equally, then halves them (keeping at least two). Entry `table[m, i]` is the visit
count an action must have to receive simulation `i`.
"""

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt


def considered_visit_sequence(num_considered: int, num_simulations: int) -> list[int]:
    """For each simulation, how many visits the action receiving it already has."""
    if num_considered <= 1:
        return list(range(num_simulations))
    phases = math.ceil(math.log2(num_considered))
    sequence: list[int] = []
    visits = [0] * num_considered
    remaining = num_considered
    while len(sequence) < num_simulations:
        extra = max(1, num_simulations // (phases * remaining))
        for _ in range(extra):
            sequence.extend(visits[:remaining])
            for i in range(remaining):
                visits[i] += 1
        remaining = max(2, remaining // 2)
    return sequence[:num_simulations]


@lru_cache(maxsize=32)
def considered_visit_table(max_considered: int, num_simulations: int) -> npt.NDArray[np.int32]:
    """[max_considered + 1, num_simulations] schedules for every possible m."""
    table = np.zeros((max_considered + 1, num_simulations), dtype=np.int32)
    for m in range(max_considered + 1):
        table[m] = considered_visit_sequence(m, num_simulations)
    return table
