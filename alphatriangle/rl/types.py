"""What self-play produces: training examples as arrays, and per-game results."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Experiences:
    """Training examples as parallel arrays (row i is one position).

    Board planes are binary, so they travel and are stored as uint8.
    """

    board: npt.NDArray[np.uint8]
    """[n, channels, ROWS, COLS] feature planes."""
    other: npt.NDArray[np.float32]
    """[n, other_dim] slot and scalar features."""
    policy: npt.NDArray[np.float32]
    """[n, ACTION_DIM] search policy targets (zero on illegal actions)."""
    value: npt.NDArray[np.float32]
    """[n] n-step returns bootstrapped from the search's root values."""

    def __len__(self) -> int:
        return int(self.value.shape[0])

    @classmethod
    def concatenate(cls, parts: list["Experiences"]) -> "Experiences":
        return cls(
            board=np.concatenate([p.board for p in parts]),
            other=np.concatenate([p.other for p in parts]),
            policy=np.concatenate([p.policy for p in parts]),
            value=np.concatenate([p.value for p in parts]),
        )


@dataclass(frozen=True)
class SelfPlayBatch:
    """What one `run_for` call produced: the games it finished and every position it played
    (finished or not), so progress is counted as it happens."""

    results: list["SelfPlayResult"]
    positions: int


@dataclass(frozen=True)
class SelfPlayResult:
    """One finished self-play game."""

    experiences: Experiences
    final_score: float
    episode_steps: int
    lines_cleared: int
    total_simulations: int
    avg_root_visits: float
    avg_tree_depth: float
    trainer_step: int
    """`global_step` of the weights that played (the last ones, if they changed mid-game)."""
    worker_id: int


def n_step_returns(
    rewards: npt.NDArray[np.float64],
    root_values: npt.NDArray[np.float64],
    n: int,
    discount: float,
) -> npt.NDArray[np.float32]:
    """z_t = sum_{i<n} discount^i r_{t+i} + discount^n v_{t+n}, with v = 0 past the end.

    `root_values[t]` is the search's value of the position before move t; the game ends
    after the last reward, so nothing is bootstrapped beyond it.
    """
    steps = rewards.shape[0]
    targets = np.zeros(steps, dtype=np.float64)
    powers = discount ** np.arange(n + 1)
    for t in range(steps):
        end = min(t + n, steps)
        targets[t] = float(np.dot(powers[: end - t], rewards[t:end]))
        if t + n < steps:
            targets[t] += powers[n] * root_values[t + n]
    return targets.astype(np.float32)
