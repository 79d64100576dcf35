"""What self-play produces: training examples as arrays, and per-game results."""

from dataclasses import dataclass, fields

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
    reward_sum: npt.NDArray[np.float32]
    """[n] the discounted rewards of the n moves from the position (`value` without its
    bootstrap), so a target can be bootstrapped again from a newer network."""
    bootstrap_discount: npt.NDArray[np.float32]
    """[n] discount^n on the bootstrap position's value; 0 when the game ended before it."""
    bootstrap_occ: npt.NDArray[np.uint64]
    """[n, 2] board words of the position n moves later (the bootstrap position)."""
    bootstrap_shapes: npt.NDArray[np.int8]
    """[n, slots] its hand."""

    def __len__(self) -> int:
        return int(self.value.shape[0])

    @classmethod
    def without_bootstrap(
        cls,
        board: npt.NDArray[np.uint8],
        other: npt.NDArray[np.float32],
        policy: npt.NDArray[np.float32],
        value: npt.NDArray[np.float32],
        num_slots: int,
    ) -> "Experiences":
        """Examples whose targets are final (`value` never bootstrapped again)."""
        n = value.shape[0]
        return cls(
            board=board, other=other, policy=policy, value=value,
            reward_sum=value.astype(np.float32), bootstrap_discount=np.zeros(n, np.float32),
            bootstrap_occ=np.zeros((n, 2), np.uint64),
            bootstrap_shapes=np.full((n, num_slots), -1, np.int8),
        )  # fmt: skip

    def valid_rows(self, tolerance: float = 1e-3) -> npt.NDArray[np.bool_]:
        """[n] which examples the buffer may take: every value finite and a policy that is a
        distribution (sums to 1 within `tolerance`)."""
        sums = self.policy.sum(axis=1, dtype=np.float64)
        valid: npt.NDArray[np.bool_] = (
            np.isfinite(self.value)
            & np.isfinite(self.reward_sum)
            & np.isfinite(self.bootstrap_discount)
            & np.isfinite(self.other).all(axis=1)
            & np.isfinite(self.policy).all(axis=1)
            & (np.abs(sums - 1.0) < tolerance)
        )
        return valid

    def select(self, rows: npt.NDArray[np.generic] | slice) -> "Experiences":
        """The examples at `rows` (indices, a mask or a slice) of every array."""
        return Experiences(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @classmethod
    def concatenate(cls, parts: list["Experiences"]) -> "Experiences":
        """The rows of `parts`, one after another, in one record."""
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
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
    reward_sums, bootstrap_discounts = n_step_parts(rewards, n, discount)
    steps = rewards.shape[0]
    later = np.zeros(steps, dtype=np.float64)
    later[: max(0, steps - n)] = root_values[n:]
    return (reward_sums + bootstrap_discounts * later).astype(np.float32)


def n_step_parts(
    rewards: npt.NDArray[np.float64], n: int, discount: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per move t: (sum_{i<n} discount^i r_{t+i}, the discount on v_{t+n}: discount^n, or 0
    when the game ends before move t+n)."""
    steps = rewards.shape[0]
    powers = discount ** np.arange(n + 1)
    sums = np.array(
        [float(np.dot(powers[: min(n, steps - t)], rewards[t : t + n])) for t in range(steps)]
    )
    bootstrap = np.where(np.arange(steps) + n < steps, powers[n], 0.0)
    return sums.reshape(steps), bootstrap
