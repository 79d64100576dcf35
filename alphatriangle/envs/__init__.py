"""Gymnasium environments over the engine: `AlphaTriangle-v0` and `AlphaTriangleVector-v0`
(registered when `alphatriangle.envs.env` is imported)."""

from alphatriangle.envs.env import ENV_ID, VECTOR_ENV_ID, AlphaTriangleEnv, observation_space
from alphatriangle.envs.vector_env import AlphaTriangleVectorEnv

__all__ = [
    "ENV_ID",
    "VECTOR_ENV_ID",
    "AlphaTriangleEnv",
    "AlphaTriangleVectorEnv",
    "observation_space",
]
