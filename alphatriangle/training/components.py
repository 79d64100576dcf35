"""`TrainingComponents`: everything the training loop needs, built once by `setup.py`."""

from dataclasses import dataclass
from typing import Any

from alphatriangle.config import RunConfig
from alphatriangle.data import DataManager, PathManager
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.core import ExperienceBuffer, Trainer


@dataclass
class TrainingComponents:
    """The network, buffer, trainer, data manager, stats collector (a Ray actor) and configs."""

    nn: NeuralNetwork
    buffer: ExperienceBuffer
    trainer: Trainer
    data_manager: DataManager
    stats_collector_actor: Any
    config: RunConfig
    run_name: str
    paths: PathManager
    num_workers: int
    tracking_uri: str
    mlflow_run_id: str | None = None
