"""`LoopHelpers`: rates, experience validation, stats logging and the progress snapshot the
live view shows."""

import logging
import math
import time
from typing import Any

import numpy as np

from alphatriangle.data import RunCounters
from alphatriangle.rl import Experiences, SelfPlayResult
from alphatriangle.training.components import TrainingComponents
from alphatriangle.training.live_view import TrainingProgress
from alphatriangle.utils import StepInfo

logger = logging.getLogger(__name__)

MAX_LOGGED = ("Train/Grad_Norm", "Loss/Mean_Abs_TD_Error")
"""Training metrics whose maximum over a logging interval is logged too (`<name>_Max`)."""


class LoopHelpers:
    """Rates, validation and logging the loop delegates to; they read the loop's counters."""

    def __init__(
        self, components: TrainingComponents, counters: RunCounters, rate_interval: float = 5.0
    ) -> None:
        self.components = components
        self.counters = counters
        self.rate_interval = rate_interval
        self.start = time.monotonic()
        self.last_rate_time = self.start
        self.last_counts = self._counts()
        self.pending_train_metrics: dict[str, list[float]] = {}
        self.pending_episode_metrics: dict[str, list[tuple[float, StepInfo]]] = {}
        config = components.config
        self.progress = TrainingProgress(
            run_name=components.run_name,
            counters=counters,
            max_steps=config.train.MAX_TRAINING_STEPS,
            buffer_capacity=config.replay.CAPACITY,
            workers=components.num_workers,
        )

    @property
    def stats(self) -> Any:
        """The run's current stats collector (it may have been replaced)."""
        return self.components.stats_collector_actor

    def _counts(self) -> tuple[int, int, int]:
        c = self.counters
        return c.positions_played, c.episodes_played, c.global_step

    def restart_rates(self) -> None:
        """Measure rates from the counters as they are now (a resumed checkpoint's), not 0."""
        self.last_counts = self._counts()

    def step_info(self, global_step: int) -> StepInfo:
        return {"global_step": global_step, "buffer_size": len(self.components.buffer)}

    def validate_experiences(self, experiences: Experiences) -> Experiences | None:
        """The examples the buffer may take (`Experiences.valid_rows`), None if none: a batch
        of other shapes than the buffer's is dropped whole, with a warning."""
        if len(experiences) == 0:
            return None  # a game whose every move was a cheap search (playout caps)
        buffer = self.components.buffer
        spec_ok = (
            experiences.board.shape[1:] == buffer.board.shape[1:]
            and experiences.policy.shape[1:] == buffer.policy.shape[1:]
        )
        if not spec_ok:
            logger.warning("discarding experiences with unexpected shapes")
            return None
        good = experiences.valid_rows()
        if not good.all():
            logger.warning("discarding %d invalid experiences", int((~good).sum()))
        if not good.any():
            return None
        if good.all():
            return experiences
        return experiences.select(good)

    def log_episode(self, result: SelfPlayResult) -> None:
        """Queue a finished game's metrics; they reach the collector with the next rates
        (one call every `rate_interval` s, not one per game)."""
        global_step = self.counters.global_step
        info = self.step_info(global_step)
        for name, value in (
            ("RL/Episode_Score", result.final_score),
            ("RL/Episode_Length", float(result.episode_steps)),
            ("RL/Lines_Cleared", float(result.lines_cleared)),
            ("MCTS/Avg_Root_Visits", result.avg_root_visits),
            ("MCTS/Avg_Tree_Depth", result.avg_tree_depth),
            ("RL/Weights_Step_Lag", float(global_step - result.trainer_step)),
        ):
            self.pending_episode_metrics.setdefault(name, []).append((value, info))
        self.progress.recent_scores.append(result.final_score)

    def flush_episode_metrics(self) -> None:
        """Send the queued games' metrics in one call."""
        if self.pending_episode_metrics:
            self.stats.log_batch.remote(self.pending_episode_metrics)
            self.pending_episode_metrics = {}

    def log_train_metrics(self, metrics: dict[str, float], global_step: int) -> None:
        """Collect one step's metrics; every `METRICS_LOG_FREQ_STEPS` steps log their means."""
        for name, value in metrics.items():
            self.pending_train_metrics.setdefault(name, []).append(value)
        self.progress.losses = metrics
        if global_step % self.components.config.train.METRICS_LOG_FREQ_STEPS == 0:
            self.flush_train_metrics(global_step)

    def flush_train_metrics(self, global_step: int) -> None:
        """Log the mean (and, for `MAX_LOGGED`, the max) of the metrics collected so far."""
        if not self.pending_train_metrics:
            return
        info = self.step_info(global_step)
        batch = {}
        for name, values in self.pending_train_metrics.items():
            batch[name] = [(float(np.mean(values)), info)]
            if name in MAX_LOGGED:
                batch[f"{name}_Max"] = [(float(np.max(values)), info)]
        self.stats.log_batch.remote(batch)
        self.pending_train_metrics = {}

    def log_weight_update(self, global_step: int) -> None:
        """The `Events/Weight_Update` event, valued and stepped at `global_step`."""
        self.stats.log.remote(
            "Events/Weight_Update", float(global_step), self.step_info(global_step)
        )

    def update_progress(self, status: str, time_left: float | None = None) -> TrainingProgress:
        """Refresh the snapshot and, every `rate_interval` s, the rates (logged as `Rate/*`);
        the ETA is the sooner of the step count and the time budget (`time_left` seconds)."""
        now = time.monotonic()
        p = self.progress
        global_step = self.counters.global_step
        p.buffer_size = len(self.components.buffer)
        p.elapsed = now - self.start
        p.status = status
        if now - self.last_rate_time >= self.rate_interval:
            dt = now - self.last_rate_time
            counts = self._counts()
            p.positions_per_sec, p.episodes_per_sec, p.steps_per_sec = (
                (now_count - then) / dt
                for now_count, then in zip(counts, self.last_counts, strict=True)
            )
            self.last_counts = counts
            self.last_rate_time = now
            remaining = p.max_steps - global_step
            p.eta_seconds = remaining / p.steps_per_sec if p.steps_per_sec > 0 else None
            if time_left is not None:
                p.eta_seconds = min(p.eta_seconds or time_left, max(0.0, time_left))
            info = self.step_info(global_step)
            self.flush_episode_metrics()
            self.stats.log_batch.remote(
                {
                    "Rate/Positions_per_sec": [(p.positions_per_sec, info)],
                    "Rate/Episodes_per_sec": [(p.episodes_per_sec, info)],
                    "Rate/Steps_per_sec": [(p.steps_per_sec, info)],
                    "Buffer/Size": [(float(p.buffer_size), info)],
                }
            )
            logger.info(self.progress_line())
        return p

    def progress_line(self) -> str:
        p, c = self.progress, self.counters
        loss = p.losses.get("Loss/Total", math.nan)
        eta = f"{p.eta_seconds / 60:.1f} min" if p.eta_seconds is not None else "?"
        return (
            f"step {c.global_step}/{p.max_steps} | buffer {p.buffer_size}/{p.buffer_capacity} | "
            f"episodes {c.episodes_played} | {p.positions_per_sec:.0f} pos/s | "
            f"{p.steps_per_sec:.2f} steps/s | loss {loss:.3f} | "
            f"recent score {p.mean_recent_score:.1f} | ETA {eta}"
        )
