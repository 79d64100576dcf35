"""Reinforcement learning: self-play workers and the data they produce."""

from alphatriangle.rl.self_play import SelfPlayWorker, remote_self_play_worker
from alphatriangle.rl.types import Experiences, SelfPlayBatch, SelfPlayResult, n_step_returns

__all__ = [
    "Experiences",
    "SelfPlayBatch",
    "SelfPlayResult",
    "SelfPlayWorker",
    "n_step_returns",
    "remote_self_play_worker",
]
