"""A sum tree over priorities for prioritized replay: O(log n) update and sample, in numba.

Leaves live at `tree[leaf_base + i]`; each inner node holds the sum of its two children,
so `tree[1]` is the total.
"""

import numpy as np
from numba import njit


def leaf_base(capacity: int) -> int:
    """The smallest power of two >= capacity: the index of the first leaf."""
    return 1 << max(0, (capacity - 1).bit_length())


@njit(cache=True)
def sum_tree_set(tree: np.ndarray, base: int, indices: np.ndarray, priorities: np.ndarray) -> None:
    """Set the priorities of items `indices` and update the sums above them."""
    for k in range(indices.shape[0]):
        node = base + indices[k]
        tree[node] = priorities[k]
        node //= 2
        while node >= 1:
            tree[node] = tree[2 * node] + tree[2 * node + 1]
            node //= 2


@njit(cache=True)
def sum_tree_find(
    tree: np.ndarray, base: int, size: int, masses: np.ndarray, out: np.ndarray
) -> None:
    """For each mass in [0, total), the item whose cumulative priority range holds it."""
    for k in range(masses.shape[0]):
        mass = masses[k]
        node = 1
        while node < base:
            left = 2 * node
            if mass < tree[left] or tree[left + 1] <= 0.0:
                node = left
            else:
                mass -= tree[left]
                node = left + 1
        out[k] = min(node - base, size - 1)
