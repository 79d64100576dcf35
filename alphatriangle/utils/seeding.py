"""One root seed per run: every random stream of training is spawned from
`numpy.random.SeedSequence(RANDOM_SEED)` under a fixed spawn key, so a run is reproducible
from its seed and no two streams share one.

Spawn keys: `(Stream.TORCH,)` the trainer's torch generator, `(Stream.BUFFER,)` replay
sampling, `(Stream.AUGMENTATION,)` the symmetries drawn for sampled examples,
`(Stream.SELF_PLAY, worker, restart, step)` one self-play worker's life (its games, search
and torch streams are spawned from it in turn).
"""

from enum import IntEnum

import numpy as np

SEED_BITS = 62
"""Integer seeds handed to torch and the engine's splitmix streams stay below 2**62."""


class Stream(IntEnum):
    """The first spawn-key entry of each of a run's random streams."""

    TORCH = 0
    BUFFER = 1
    SELF_PLAY = 2
    AUGMENTATION = 3


def seed_sequence(root: int | None, *key: int) -> np.random.SeedSequence:
    """The stream `key` of the run seeded `root` (`None`: fresh operating-system entropy)."""
    return np.random.SeedSequence(root, spawn_key=key)


def integer_seeds(sequence: np.random.SeedSequence, n: int) -> list[int]:
    """`n` integer seeds below 2**SEED_BITS drawn from `sequence`."""
    words = sequence.generate_state(n, dtype=np.uint64) >> np.uint64(64 - SEED_BITS)
    return [int(word) for word in words]


def integer_seed(sequence: np.random.SeedSequence) -> int:
    """One integer seed below 2**SEED_BITS drawn from `sequence`."""
    return integer_seeds(sequence, 1)[0]
