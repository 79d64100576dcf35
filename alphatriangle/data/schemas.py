"""What a checkpoint and a saved buffer contain (plain data only: no code is ever loaded)."""

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, model_validator

from alphatriangle.config.mcts_config import RENAMED_MCTS_SETTINGS

CHECKPOINT_FORMAT_VERSION = 3
"""The layout of checkpoints and shipped models this version reads and writes.

1: no version recorded (the first sessions; its network may not fit this code's).
2: the per-slot policy head; `format_version` is stored.
3: search settings in UPPER_CASE and the run's counters as one `counters` record. Format 2
   files are read by renaming (`upgrade_format_2`).
"""

FORMAT_2_COUNTERS = (
    "global_step", "episodes_played", "total_simulations", "experiences_added", "training_seconds"
)  # fmt: skip


def upgrade_configs(configs: dict[str, Any]) -> dict[str, Any]:
    """A run's saved configs with the search settings' names from before the UPPER_CASE
    rename replaced (the configs of checkpoints and `configs.json` of older runs)."""
    upgraded = dict(configs)
    mcts = upgraded.get("mcts")
    if isinstance(mcts, dict):
        upgraded["mcts"] = {
            RENAMED_MCTS_SETTINGS.get(key, key): value for key, value in mcts.items()
        }
    return upgraded


def upgrade_format_2(payload: dict[str, Any]) -> dict[str, Any]:
    """A format 2 state or agent description in format 3's layout: the search settings of
    its configs renamed, and (for a checkpoint) its counters gathered into `counters`."""
    upgraded = dict(payload)
    upgraded["configs"] = upgrade_configs(upgraded.get("configs") or {})
    return upgraded


class RunCounters(BaseModel):
    """What a run has done, summed over its sessions. The training loop counts into one
    record; checkpoints store it and the live view and rates read it."""

    model_config = ConfigDict(extra="forbid")

    global_step: int = 0
    episodes_played: int = 0
    positions_played: int = 0
    """Positions self-play played (counted as played, also in games not finished yet)."""
    experiences_added: int = 0
    total_simulations: int = 0
    training_seconds: float = 0.0
    """Time spent in the training loop over all of the run's sessions (the time budget)."""


class CheckpointData(BaseModel):
    """The JSON part of a checkpoint; weights and optimizer state sit beside it."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = CHECKPOINT_FORMAT_VERSION
    run_name: str
    counters: RunCounters
    best_eval_score: float | None = None
    best_eval_scores: list[float] | None = None
    """The best checkpoint's per-game evaluation scores (seed order), to compare the next with."""
    mlflow_run_id: str | None = None
    configs: dict[str, Any]
    stats_collector_state: dict[str, Any] = {}
    buffer_rng_state: dict[str, Any] = {}
    saved_at: str = ""

    @property
    def global_step(self) -> int:
        return self.counters.global_step

    @model_validator(mode="before")
    @classmethod
    def _read_format_2(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("format_version") != 2:
            return data
        upgraded = upgrade_format_2(data)
        counters = {key: upgraded.pop(key) for key in FORMAT_2_COUNTERS if key in upgraded}
        counters.setdefault("positions_played", counters.get("experiences_added", 0))
        upgraded["counters"] = counters
        return upgraded


class ExportedAgent(BaseModel):
    """`agent.json` of an exported agent: what it is and where it came from; its weights sit
    beside it in `model.safetensors` (no optimizer state, no buffer)."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = CHECKPOINT_FORMAT_VERSION
    run_name: str
    global_step: int
    configs: dict[str, Any]
    exported_at: str

    @model_validator(mode="before")
    @classmethod
    def _read_older(cls, data: Any) -> Any:
        """Format 2 upgraded; `source_checkpoint` (a path on the trainer's disk that older
        exports recorded) dropped."""
        if not isinstance(data, dict):
            return data
        if data.get("format_version") == 2:
            data = upgrade_format_2(data)
        return {key: value for key, value in data.items() if key != "source_checkpoint"}


@dataclass
class BufferData:
    """The replay buffer's arrays and counters."""

    board: npt.NDArray[np.uint8]
    other: npt.NDArray[np.float32]
    policy: npt.NDArray[np.float32]
    value: npt.NDArray[np.float32]
    position: int
    size: int
    priorities: npt.NDArray[np.float64]
    max_priority: float
    global_step: int = -1
    """The training step it was saved at (-1: not recorded, a file older than that field)."""
    reward_sum: npt.NDArray[np.float32] | None = None
    """The bootstrap parts of each example (`Experiences`); None in a file saved before them."""
    bootstrap_discount: npt.NDArray[np.float32] | None = None
    bootstrap_occ: npt.NDArray[np.uint64] | None = None
    bootstrap_shapes: npt.NDArray[np.int8] | None = None

    def check(
        self, board_shape: tuple[int, ...], other_dim: int, action_dim: int, num_slots: int
    ) -> None:
        """Raise `ValueError` naming the first thing that does not fit a run of these
        shapes: array shapes and types, counters, non-finite or negative values."""
        n = self.size
        expected = {
            "board": (n, *board_shape),
            "other": (n, other_dim),
            "policy": (n, action_dim),
            "value": (n,),
            "reward_sum": (n,),
            "bootstrap_discount": (n,),
            "bootstrap_occ": (n, 2),
            "bootstrap_shapes": (n, num_slots),
        }
        for name, shape in expected.items():
            array = getattr(self, name)
            if array is not None and array.shape != shape:
                raise ValueError(f"buffer {name} has shape {array.shape}, expected {shape}")
        if self.board.dtype != np.uint8:
            raise ValueError(f"buffer board has type {self.board.dtype}, expected uint8")
        if not 0 <= self.position <= n:
            raise ValueError(f"buffer position {self.position} is outside 0..{n}")
        if self.priorities.size not in (0, n):
            raise ValueError(f"buffer has {self.priorities.size} priorities for {n} examples")
        for name in ("other", "policy", "value", "priorities", "reward_sum", "bootstrap_discount"):
            array = getattr(self, name)
            if array is not None and not np.isfinite(array).all():
                raise ValueError(f"buffer {name} holds NaN or infinite values")
        discounts = self.bootstrap_discount
        if discounts is not None and ((discounts < 0) | (discounts > 1)).any():
            raise ValueError("buffer bootstrap_discount holds values outside [0, 1]")
        for name in ("policy", "priorities"):
            if (getattr(self, name) < 0).any():
                raise ValueError(f"buffer {name} holds negative values")
        if not (np.isfinite(self.max_priority) and self.max_priority > 0):
            raise ValueError(f"buffer max priority {self.max_priority} is not a positive number")


@dataclass
class LoadedTrainingState:
    """Everything a run resumes from; parts are None when absent."""

    checkpoint: CheckpointData | None = None
    weights: dict[str, npt.NDArray[np.generic]] | None = None
    trainer_state: dict[str, Any] | None = None
    buffer: BufferData | None = None
    checkpoint_dir: str | None = None
