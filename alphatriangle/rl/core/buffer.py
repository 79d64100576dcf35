"""`ExperienceBuffer`: a ring buffer of training examples in preallocated arrays, with
uniform or prioritized (sum tree) sampling."""

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from alphatriangle.data.schemas import BufferData
from alphatriangle.rl.core.sum_tree import leaf_base, sum_tree_find, sum_tree_set
from alphatriangle.rl.types import Experiences


@dataclass(frozen=True)
class SampledBatch:
    """A training batch: the examples, where they live, and their importance weights."""

    indices: npt.NDArray[np.int64]
    experiences: Experiences
    weights: npt.NDArray[np.float32]
    """1 for uniform sampling; (N * P(i))^-beta / max for prioritized."""


@dataclass(frozen=True)
class ReplaySettings:
    capacity: int
    min_size_to_train: int
    use_per: bool = False
    alpha: float = 0.6
    beta_initial: float = 0.4
    beta_final: float = 1.0
    beta_anneal_steps: int = 10_000
    epsilon: float = 1e-3


class ExperienceBuffer:
    """Holds the newest `capacity` examples; overwrites the oldest when full."""

    def __init__(
        self,
        settings: ReplaySettings,
        board_shape: tuple[int, ...],
        other_dim: int,
        action_dim: int,
        num_slots: int,
        seed: int | np.random.SeedSequence | None = None,
    ) -> None:
        self.settings = settings
        cap = settings.capacity
        self.arrays: dict[str, npt.NDArray[Any]] = {
            "board": np.zeros((cap, *board_shape), dtype=np.uint8),
            "other": np.zeros((cap, other_dim), dtype=np.float32),
            "policy": np.zeros((cap, action_dim), dtype=np.float32),
            "value": np.zeros(cap, dtype=np.float32),
            "reward_sum": np.zeros(cap, dtype=np.float32),
            "bootstrap_discount": np.zeros(cap, dtype=np.float32),
            "bootstrap_occ": np.zeros((cap, 2), dtype=np.uint64),
            "bootstrap_shapes": np.full((cap, num_slots), -1, dtype=np.int8),
        }
        """One preallocated array per `Experiences` field, row i holding example i."""
        self.board = self.arrays["board"]
        self.policy = self.arrays["policy"]
        self.value = self.arrays["value"]
        self.position = 0
        self.size = 0
        self.base = leaf_base(cap)
        self.tree = np.zeros(2 * self.base, dtype=np.float64)
        self.max_priority = 1.0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    def is_ready(self) -> bool:
        """Whether it holds enough examples to train on (`replay.MIN_SIZE_TO_TRAIN`)."""
        return self.size >= self.settings.min_size_to_train

    def add_batch(self, experiences: Experiences) -> None:
        """Append examples (new ones get the highest priority seen, so they are sampled)."""
        n = len(experiences)
        cap = self.settings.capacity
        if n > cap:
            experiences = experiences.select(slice(-cap, None))
            n = cap
        slots = (self.position + np.arange(n)) % cap
        for name, array in self.arrays.items():
            array[slots] = getattr(experiences, name)
        self.position = int((self.position + n) % cap)
        self.size = min(cap, self.size + n)
        if self.settings.use_per:
            priorities = np.full(n, self.max_priority**self.settings.alpha)
            sum_tree_set(self.tree, self.base, slots.astype(np.int64), priorities)

    def beta(self, step: int, time_fraction: float = 0.0) -> float:
        """The importance exponent: annealed by the larger of steps over `beta_anneal_steps`
        and the fraction of a time budget spent."""
        s = self.settings
        fraction = min(1.0, max(step / max(1, s.beta_anneal_steps), time_fraction))
        return s.beta_initial + fraction * (s.beta_final - s.beta_initial)

    def sample(
        self, batch_size: int, step: int = 0, time_fraction: float = 0.0
    ) -> SampledBatch | None:
        """A batch (None until the buffer holds `batch_size` examples)."""
        if self.size < batch_size:
            return None
        if self.settings.use_per:
            total = self.tree[1]
            masses = (np.arange(batch_size) + self.rng.random(batch_size)) * (total / batch_size)
            indices = np.empty(batch_size, dtype=np.int64)
            sum_tree_find(
                self.tree, self.base, self.size, np.minimum(masses, total * (1 - 1e-12)), indices
            )
            probabilities = self.tree[self.base + indices] / total
            weights = (self.size * probabilities) ** (-self.beta(step, time_fraction))
            weights = (weights / weights.max()).astype(np.float32)
        else:
            indices = self.rng.integers(0, self.size, size=batch_size)
            weights = np.ones(batch_size, dtype=np.float32)
        return SampledBatch(
            indices=indices,
            experiences=Experiences(**{name: a[indices] for name, a in self.arrays.items()}),
            weights=weights,
        )

    def update_priorities(
        self, indices: npt.NDArray[np.int64], errors: npt.NDArray[np.floating]
    ) -> None:
        """Priorities from the latest errors: (|error| + epsilon) ^ alpha."""
        if not self.settings.use_per:
            return
        priorities = np.abs(errors).astype(np.float64) + self.settings.epsilon
        self.max_priority = max(self.max_priority, float(priorities.max()))
        sum_tree_set(
            self.tree, self.base, indices.astype(np.int64), priorities**self.settings.alpha
        )

    def priorities(self) -> npt.NDArray[np.float64]:
        """The current priority (to the alpha) of every stored example."""
        return self.tree[self.base : self.base + self.size].copy()

    def to_data(self) -> BufferData:
        """The stored examples and counters (for saving)."""
        n = self.size
        a = {name: array[:n] for name, array in self.arrays.items()}
        return BufferData(
            board=a["board"], other=a["other"], policy=a["policy"], value=a["value"],
            reward_sum=a["reward_sum"], bootstrap_discount=a["bootstrap_discount"],
            bootstrap_occ=a["bootstrap_occ"], bootstrap_shapes=a["bootstrap_shapes"],
            position=self.position, size=n, priorities=self.priorities(),
            max_priority=self.max_priority,
        )  # fmt: skip

    def load_data(self, data: BufferData) -> None:
        """Restore saved contents, oldest first (a smaller capacity keeps the newest)."""
        if data.position == data.size:
            chronological = np.arange(data.size)
        else:
            chronological = (data.position + np.arange(data.size)) % data.size
        n = min(data.size, self.settings.capacity)
        order = chronological[data.size - n :]
        for name, array in self.arrays.items():
            saved = getattr(data, name)
            if saved is not None:
                array[:n] = saved[order]
        if data.reward_sum is None:  # a buffer saved before targets could be refreshed
            self.arrays["reward_sum"][:n] = self.value[:n]
            self.arrays["bootstrap_discount"][:n] = 0.0
        self.size = n
        self.position = n % self.settings.capacity
        self.max_priority = data.max_priority
        self.tree[:] = 0.0
        if self.settings.use_per and n:
            if data.priorities.size == data.size:
                priorities = data.priorities[order]
            else:
                priorities = np.full(n, self.max_priority**self.settings.alpha)
            sum_tree_set(self.tree, self.base, np.arange(n, dtype=np.int64), priorities)
