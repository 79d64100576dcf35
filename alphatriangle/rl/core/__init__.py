"""The learning core: replay buffer and trainer."""

from alphatriangle.rl.core.buffer import ExperienceBuffer, ReplaySettings, SampledBatch
from alphatriangle.rl.core.trainer import Trainer

__all__ = ["ExperienceBuffer", "ReplaySettings", "SampledBatch", "Trainer"]
