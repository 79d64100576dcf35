"""What a checkpoint and a saved buffer contain (plain data only: no code is ever loaded)."""

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

CHECKPOINT_FORMAT_VERSION = 2
"""The layout of checkpoints and shipped models this version reads and writes.

1: no version recorded (the first sessions; its network may not fit this code's).
2: the per-slot policy head and these fields; `format_version` is stored.
"""


class CheckpointData(BaseModel):
    """The JSON part of a checkpoint; weights and optimizer state sit beside it."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = CHECKPOINT_FORMAT_VERSION
    run_name: str
    global_step: int
    episodes_played: int = 0
    total_simulations: int = 0
    experiences_added: int = 0
    best_eval_score: float | None = None
    mlflow_run_id: str | None = None
    configs: dict[str, Any]
    stats_collector_state: dict[str, Any] = {}
    buffer_rng_state: dict[str, Any] = {}
    saved_at: str = ""


class ExportedAgent(BaseModel):
    """`agent.json` of an exported agent: what it is and where it came from; its weights sit
    beside it in `model.safetensors` (no optimizer state, no buffer)."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = CHECKPOINT_FORMAT_VERSION
    run_name: str
    global_step: int
    configs: dict[str, Any]
    source_checkpoint: str
    exported_at: str


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


@dataclass
class LoadedTrainingState:
    """Everything a run resumes from; parts are None when absent."""

    checkpoint: CheckpointData | None = None
    weights: dict[str, npt.NDArray[np.generic]] | None = None
    trainer_state: dict[str, Any] | None = None
    buffer: BufferData | None = None
    checkpoint_dir: str | None = None
