"""Per-game random streams: one splitmix64 state (a uint64) per game, usable inside numba.

Each game, and each search, owns its own state, so refills are reproducible from a seed
and no copy can predict another stream's draws.
"""

import secrets
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31, _S32 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32)
_MASK64 = (1 << 64) - 1


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def next_u64(states: np.ndarray, i: int) -> np.uint64:
    """Advance stream `i` of `states` and return 64 random bits."""
    s = states[i] + _GOLDEN
    states[i] = s
    return _mix(s)


@njit(cache=True, inline="always")
def draw_below(states: np.ndarray, i: int, n: int) -> int:
    """A uniform integer in [0, n) from stream `i` (n < 2**32)."""
    return int(np.int64(((next_u64(states, i) >> _S32) * np.uint64(n)) >> _S32))


def seed_state(seed: int) -> np.uint64:
    """The stream state for an integer seed (any size; reduced to 64 bits, then mixed)."""
    z = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return np.uint64(z ^ (z >> 31))


def seed_states(seeds: Iterable[int]) -> np.ndarray:
    """One stream state per seed."""
    return np.array([seed_state(int(s)) for s in seeds], dtype=np.uint64)


def seed_states_array(seeds: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """`seed_states` of non-negative seeds below 2**63, vectorised (uint64 arithmetic wraps
    as the reduction modulo 2**64 does)."""
    z = seeds.astype(np.uint64) * _GOLDEN + np.uint64(0x632BE59BD9B4E019)
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    out: npt.NDArray[np.uint64] = z ^ (z >> _S31)
    return out


def fresh_seed() -> int:
    """A seed from the operating system's entropy: unpredictable from any other stream."""
    return secrets.randbits(63)
