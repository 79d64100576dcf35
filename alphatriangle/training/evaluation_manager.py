"""`EvaluationManager`: the evaluator actor beside the workers: when to start, poll, best
checkpoint, replay files and their MLflow upload, failures."""

import logging
import time
from typing import Any

from alphatriangle.evaluation.evaluator import evaluator_actor, reference_tag
from alphatriangle.evaluation.selection import replaces_best, seconds_until_next
from alphatriangle.nn.network import Weights
from alphatriangle.training.components import TrainingComponents
from alphatriangle.training.mlflow_artifacts import log_artifacts
from alphatriangle.utils import failure_reason

logger = logging.getLogger(__name__)

MAX_EVALUATOR_FAILURES = 3
"""Evaluations stop for the rest of the run after this many failures of the evaluator."""


class EvaluationManager:
    """Runs one evaluation at a time in an evaluator actor, at least `evaluation.FREQ_STEPS` apart
    and within `evaluation.TIME_SHARE` of the wall time, and keeps the per-game scores of the
    checkpoint `best.json` names."""

    def __init__(self, components: TrainingComponents) -> None:
        self.components = components
        self.evaluator: Any = None
        self.in_flight: Any = None
        self.failures = 0
        self.best_score: float | None = None
        self.best_scores: list[float] | None = None
        self.last_step = 0
        self.started_at = 0.0
        self.started_minutes = 0.0
        """The run's training minutes when the evaluation in flight started."""
        self.next_start = 0.0

    def can_start(self) -> bool:
        return self.in_flight is None and self.failures < MAX_EVALUATOR_FAILURES

    def is_due(self, global_step: int) -> bool:
        """`evaluation.FREQ_STEPS` since the last evaluation, and its share of the time waited
        out."""
        evaluation = self.components.config.evaluation
        return (
            self.can_start()
            and global_step - self.last_step >= evaluation.FREQ_STEPS
            and time.monotonic() >= self.next_start
        )

    def start(self, weights: Weights, global_step: int, training_minutes: float = 0.0) -> None:
        """Evaluate `weights` (already saved as the checkpoint of `global_step`, after
        `training_minutes` of the run's training)."""
        if self.evaluator is None:
            self.evaluator = evaluator_actor().remote(self.components.config)
        self.in_flight = self.evaluator.evaluate.remote(weights, global_step)
        self.last_step = global_step
        self.started_at = time.monotonic()
        self.started_minutes = training_minutes

    def poll(self, timeout: float = 0.0) -> None:
        """Log a finished evaluation; if it is the best so far, mark its checkpoint best."""
        import ray

        if self.in_flight is None:
            return
        ready, _ = ray.wait([self.in_flight], timeout=timeout)
        if not ready:
            return
        ref, self.in_flight = self.in_flight, None
        now = time.monotonic()
        share = self.components.config.evaluation.TIME_SHARE
        self.next_start = now + seconds_until_next(now - self.started_at, share)
        try:
            outcome = ray.get(ref)
        except Exception as error:
            self._failed(error)
            return
        c = self.components
        info = {"global_step": outcome.global_step, "buffer_size": len(c.buffer)}
        summary = outcome.result.summary()
        metrics = {f"Eval/{key.title()}": [(value, info)] for key, value in summary.items()}
        metrics["Eval/Seconds"] = [(now - self.started_at, info)]
        metrics["Eval/Training_Minutes"] = [(self.started_minutes, info)]
        for policy, baseline_mean in outcome.baseline_means.items():
            metrics[reference_tag(policy)] = [(baseline_mean, info)]
        c.stats_collector_actor.log_batch.remote(metrics)
        mean = summary["mean"]
        logger.info("evaluation at step %d: mean score %.1f (best game %.0f, seed %d) in %.0f s",
                    outcome.global_step, mean, outcome.best_score, outcome.best_seed,
                    now - self.started_at)  # fmt: skip
        replay = c.paths.replay_path(outcome.global_step)
        replay.parent.mkdir(parents=True, exist_ok=True)
        replay.write_text(outcome.best_replay_html, encoding="utf-8")
        log_artifacts(c, replay, "replays")
        step_dir = c.paths.step_dir(outcome.global_step)
        scores = outcome.result.scores
        if replaces_best(scores, self.best_scores, self.best_score) and step_dir.is_dir():
            self.best_score, self.best_scores = mean, list(scores)
            c.data_manager.mark_best(step_dir)
            logger.info("best checkpoint is now %s", step_dir.name)
            log_artifacts(c, step_dir, "checkpoints/best")

    def finish(self, wait: float) -> None:
        """Collect a running evaluation for at most `wait` seconds, then stop the evaluator."""
        import ray

        if self.in_flight is not None:
            self.poll(timeout=wait)
            if self.in_flight is not None:
                logger.info("stopping without waiting for the running evaluation")
                self.in_flight = None
        if self.evaluator is not None:
            ray.kill(self.evaluator)
            self.evaluator = None

    def _failed(self, error: Exception) -> None:
        """Drop the evaluator (the next evaluation starts a new one); after
        `MAX_EVALUATOR_FAILURES` failures, evaluate no more in this run."""
        import ray

        self.failures += 1
        if self.evaluator is not None:
            ray.kill(self.evaluator)
            self.evaluator = None
        last = self.failures >= MAX_EVALUATOR_FAILURES
        logger.warning(
            "evaluation failed (%s); %s",
            failure_reason(error),
            "no more evaluations in this run" if last else "the next one gets a new evaluator",
        )
