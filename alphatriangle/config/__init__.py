"""Pydantic configuration models of every part of the system."""

from alphatriangle.config.env_config import EnvConfig
from alphatriangle.config.mcts_config import MCTSConfig
from alphatriangle.config.model_config import MODEL_PRESETS, ModelConfig
from alphatriangle.config.train_config import TrainConfig

__all__ = ["MODEL_PRESETS", "EnvConfig", "MCTSConfig", "ModelConfig", "TrainConfig"]
