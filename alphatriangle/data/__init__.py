"""Persistence: run layout, safe atomic serialization, checkpoints and buffers."""

from alphatriangle.data.data_manager import (
    DataManager,
    checkpoint_format_version,
    load_checkpoint_dir,
)
from alphatriangle.data.path_manager import (
    DEFAULT_ROOT,
    PathManager,
    check_run_name,
    default_run_name,
)
from alphatriangle.data.run_opening import OpenedRun, open_run
from alphatriangle.data.schemas import (
    CHECKPOINT_FORMAT_VERSION,
    BufferData,
    CheckpointData,
    ExportedAgent,
    LoadedTrainingState,
    RunCounters,
)
from alphatriangle.data.serializer import Serializer

__all__ = [
    "CHECKPOINT_FORMAT_VERSION",
    "DEFAULT_ROOT",
    "BufferData",
    "CheckpointData",
    "DataManager",
    "ExportedAgent",
    "LoadedTrainingState",
    "OpenedRun",
    "PathManager",
    "RunCounters",
    "Serializer",
    "check_run_name",
    "checkpoint_format_version",
    "default_run_name",
    "load_checkpoint_dir",
    "open_run",
]
