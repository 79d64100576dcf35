"""Pydantic configuration models of every part of the system."""

from alphatriangle.config.env_config import EnvConfig

__all__ = ["EnvConfig"]
