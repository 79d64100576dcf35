"""Pydantic configuration models of every part of the system."""

from alphatriangle.config.env_config import EnvConfig
from alphatriangle.config.evaluation_config import EvaluationConfig
from alphatriangle.config.mcts_config import MCTSConfig
from alphatriangle.config.model_config import MODEL_PRESETS, ModelConfig
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.config.persistence_config import PersistenceConfig
from alphatriangle.config.planner_config import PlannerConfig
from alphatriangle.config.replay_config import ReplayConfig
from alphatriangle.config.run_config import (
    DEFAULT_PRESET,
    PRESETS,
    ConfigError,
    RunConfig,
    load_run_config,
    override_search,
)
from alphatriangle.config.selfplay_config import SelfPlayConfig
from alphatriangle.config.train_config import TrainConfig

__all__ = [
    "DEFAULT_PRESET",
    "MODEL_PRESETS",
    "PRESETS",
    "ConfigError",
    "EnvConfig",
    "EvaluationConfig",
    "MCTSConfig",
    "ModelConfig",
    "NTupleConfig",
    "PersistenceConfig",
    "PlannerConfig",
    "ReplayConfig",
    "RunConfig",
    "SelfPlayConfig",
    "TrainConfig",
    "load_run_config",
    "override_search",
]
