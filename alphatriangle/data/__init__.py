"""Persistence: run layout, safe atomic serialization, checkpoints and buffers."""

from alphatriangle.data.data_manager import DataManager, load_checkpoint_dir
from alphatriangle.data.path_manager import (
    DEFAULT_ROOT,
    PathManager,
    check_run_name,
    default_run_name,
)
from alphatriangle.data.schemas import BufferData, CheckpointData, LoadedTrainingState
from alphatriangle.data.serializer import Serializer

__all__ = [
    "DEFAULT_ROOT",
    "BufferData",
    "CheckpointData",
    "DataManager",
    "LoadedTrainingState",
    "PathManager",
    "Serializer",
    "check_run_name",
    "default_run_name",
    "load_checkpoint_dir",
]
