"""The headless training pipeline: setup, loop, workers, helpers, runner."""

from alphatriangle.training.components import TrainingComponents
from alphatriangle.training.evaluation_manager import EvaluationManager
from alphatriangle.training.live_view import TrainingProgress
from alphatriangle.training.logging_utils import (
    Tee,
    close_file_logging,
    get_root_logger,
    log_configs_to_mlflow,
    setup_file_logging,
)
from alphatriangle.training.loop import TrainingLoop
from alphatriangle.training.loop_helpers import LoopHelpers
from alphatriangle.training.ntuple_loop import NTupleLoop
from alphatriangle.training.runners import run_training
from alphatriangle.training.setup import setup_training_components
from alphatriangle.training.stats_manager import StatsManager
from alphatriangle.training.worker_manager import WorkerManager

__all__ = [
    "EvaluationManager",
    "LoopHelpers",
    "NTupleLoop",
    "StatsManager",
    "Tee",
    "TrainingComponents",
    "TrainingLoop",
    "TrainingProgress",
    "WorkerManager",
    "close_file_logging",
    "get_root_logger",
    "log_configs_to_mlflow",
    "run_training",
    "setup_file_logging",
    "setup_training_components",
]
