"""Self-play: workers that generate training data with batched search."""

from alphatriangle.rl.self_play.worker import SelfPlayWorker, remote_self_play_worker

__all__ = ["SelfPlayWorker", "remote_self_play_worker"]
