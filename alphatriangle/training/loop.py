"""`TrainingLoop`: one run, from its first self-play game to its final checkpoint.

A run keeps one self-play task in flight per worker (`WorkerManager`) and, each pass:
collects finished games into the replay buffer, trains one batch when the buffer is ready
and the examples are not yet drawn `MAX_SAMPLES_PER_EXPERIENCE` times, sends the workers new
weights every `selfplay.WEIGHT_UPDATE_FREQ_STEPS`, checkpoints every `CHECKPOINT_SAVE_FREQ_STEPS`,
starts an evaluation when one is due (`EvaluationManager`) and keeps the stats collector
alive (`StatsManager`). It ends at `MAX_TRAINING_STEPS` or `MAX_TRAINING_MINUTES`
("completed", after evaluating its final weights) or on a stop request ("stopped"), always
with a checkpoint and the buffer.
"""

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from alphatriangle.data import CheckpointData, LoadedTrainingState, RunCounters
from alphatriangle.training.components import TrainingComponents
from alphatriangle.training.evaluation_manager import EvaluationManager
from alphatriangle.training.live_view import TrainingProgress
from alphatriangle.training.loop_helpers import LoopHelpers
from alphatriangle.training.mlflow_artifacts import log_artifacts
from alphatriangle.training.stats_manager import StatsManager
from alphatriangle.training.warm_start import learn_warm_start, load_warm_start
from alphatriangle.training.worker_manager import WorkerManager

logger = logging.getLogger(__name__)

EVAL_WAIT_ON_STOP_SECONDS = 5.0
"""On a stop request the final checkpoint waits this long at most for a running evaluation."""
EVAL_WAIT_AT_END_SECONDS = 600.0
"""A completed run waits this long at most for a running evaluation, then as long again for
the evaluation of its final weights."""

ProgressCallback = Callable[[TrainingProgress], None]


class TrainingLoop:
    """The asynchronous loop of one run; `run()` returns "completed" or "stopped"."""

    def __init__(
        self,
        components: TrainingComponents,
        stop_event: threading.Event | None = None,
        progress_callback: ProgressCallback | None = None,
    ) -> None:
        self.components = components
        self.stop_event = stop_event or threading.Event()
        self.progress_callback = progress_callback
        self.worker_manager = WorkerManager(components)
        self.counters = RunCounters()
        self.helpers = LoopHelpers(components, self.counters)
        self.training_seconds_before = 0.0
        self.session_started = time.monotonic()
        self.last_saved_step = -1
        self.last_saved_best: float | None = None
        self.last_buffer_save_step = 0
        self.evaluation = EvaluationManager(components)
        self.stats = StatsManager(components, self.worker_manager)

    def set_initial_state(self, loaded: LoadedTrainingState) -> None:
        """Continue from a checkpoint: weights, optimizer, buffer, counters, RNG, stats."""
        c = self.components
        if loaded.weights is not None:
            c.nn.set_weights(loaded.weights)
        if loaded.trainer_state is not None:
            c.trainer.load_state(loaded.trainer_state)
            if "torch_rng" in loaded.trainer_state:
                torch.set_rng_state(loaded.trainer_state["torch_rng"])
        if loaded.buffer is not None:
            c.buffer.load_data(loaded.buffer)
        checkpoint = loaded.checkpoint
        if checkpoint is not None:
            for name in RunCounters.model_fields:
                setattr(self.counters, name, getattr(checkpoint.counters, name))
            self.training_seconds_before = checkpoint.counters.training_seconds
            self.helpers.restart_rates()
            self.evaluation.best_score = checkpoint.best_eval_score
            self.evaluation.best_scores = checkpoint.best_eval_scores
            self.evaluation.last_step = checkpoint.global_step
            self.last_saved_step = checkpoint.global_step
            self.last_saved_best = checkpoint.best_eval_score
            self.last_buffer_save_step = checkpoint.global_step
            if checkpoint.buffer_rng_state:
                c.buffer.rng.bit_generator.state = checkpoint.buffer_rng_state
            if checkpoint.stats_collector_state:
                self.stats.restore(checkpoint.stats_collector_state)
            logger.info(
                "resumed at step %d with %d examples in the buffer", self.global_step, len(c.buffer)
            )

    @property
    def global_step(self) -> int:
        return self.counters.global_step

    def request_stop(self) -> None:
        self.stop_event.set()

    def _may_train(self) -> bool:
        c = self.components
        if not c.buffer.is_ready():
            return False
        drawn = self.counters.global_step * c.config.train.BATCH_SIZE
        return drawn <= c.config.replay.MAX_SAMPLES_PER_EXPERIENCE * self.counters.experiences_added

    def _collect(self, timeout: float) -> None:
        c, counters = self.components, self.counters
        for worker_id, played in self.worker_manager.get_completed_tasks(timeout):
            counters.positions_played += played.positions
            for result in played.results:
                experiences = self.helpers.validate_experiences(result.experiences)
                if experiences is not None:
                    c.buffer.add_batch(experiences)
                    counters.experiences_added += len(experiences)
                counters.episodes_played += 1
                counters.total_simulations += result.total_simulations
                self.helpers.log_episode(result)
            if worker_id in self.worker_manager.workers:
                self.worker_manager.submit_task(worker_id)

    def _update_clock(self) -> None:
        """Time in the training loop, this session and the resumed ones before it."""
        elapsed = time.monotonic() - self.session_started
        self.counters.training_seconds = self.training_seconds_before + elapsed

    def time_fraction(self) -> float:
        """The share of `MAX_TRAINING_MINUTES` spent (0 without a time budget)."""
        minutes = self.components.config.train.MAX_TRAINING_MINUTES
        return 0.0 if minutes is None else self.counters.training_seconds / (60.0 * minutes)

    def time_left(self) -> float | None:
        """Seconds of the time budget left (None without one)."""
        minutes = self.components.config.train.MAX_TRAINING_MINUTES
        return None if minutes is None else 60.0 * minutes - self.counters.training_seconds

    def progress(self) -> float:
        """The larger of steps over `MAX_TRAINING_STEPS` and time over the budget."""
        steps = self.global_step / self.components.config.train.MAX_TRAINING_STEPS
        return max(steps, self.time_fraction())

    def _train_step(self) -> None:
        c = self.components
        time_fraction = self.time_fraction()
        batch = c.buffer.sample(c.config.train.BATCH_SIZE, self.global_step, time_fraction)
        if batch is None:
            return
        c.trainer.set_progress(self.progress())
        metrics, errors = c.trainer.train_step(batch)
        c.buffer.update_priorities(batch.indices, errors)
        self.counters.global_step += 1
        metrics["Buffer/PER_Beta"] = c.buffer.beta(self.global_step, time_fraction)
        self.helpers.log_train_metrics(metrics, self.global_step)
        if self.global_step % c.config.selfplay.WEIGHT_UPDATE_FREQ_STEPS == 0:
            self.worker_manager.update_worker_networks(c.trainer.play_weights(), self.global_step)
            self.helpers.log_weight_update(self.global_step)
        if self.global_step % c.config.train.CHECKPOINT_SAVE_FREQ_STEPS == 0:
            self.save_checkpoint()
        if self.evaluation.is_due(self.global_step):
            self.start_evaluation()

    def start_evaluation(self) -> None:
        """Checkpoint the current weights and evaluate them in the evaluator actor."""
        self.save_checkpoint()
        minutes = self.counters.training_seconds / 60
        self.evaluation.start(self.components.trainer.play_weights(), self.global_step, minutes)

    def _evaluate_final_weights(self) -> None:
        """A completed run's last weights are a candidate for `best` like any others: after a
        running evaluation, evaluate them unless an evaluation already did. Without this the
        time share leaves the last minutes of a run unevaluated and `best` behind."""
        self.evaluation.poll(timeout=EVAL_WAIT_AT_END_SECONDS)
        if self.evaluation.can_start() and self.evaluation.last_step < self.global_step:
            logger.info("evaluating the final weights (step %d)", self.global_step)
            self.start_evaluation()

    def run(self) -> str:
        """Train until the budget is spent or a stop is requested; "completed" or "stopped".
        Workers are stopped, metrics flushed and a final checkpoint saved either way."""
        c = self.components
        self.worker_manager.initialize_workers(c.trainer.play_weights(), self.global_step)
        for info in self.worker_manager.worker_info():
            logger.info(
                "self-play worker %d: pid %d on node %s",
                info["worker_id"],
                info["pid"],
                info["node_id"],
            )
        self.session_started = time.monotonic()
        self._warm_start_ntuple()
        self.worker_manager.submit_all()
        status = "stopped"
        last_callback = 0.0
        try:
            while not self.stop_event.is_set():
                self._update_clock()
                if self.progress() >= 1.0:
                    status = "completed"
                    break
                can_train = self._may_train()
                self._collect(timeout=0.0 if can_train else 0.05)
                self.evaluation.poll()
                self.stats.check()
                if can_train:
                    self._train_step()
                now = time.monotonic()
                if now - last_callback > 0.25:
                    last_callback = now
                    progress = self.helpers.update_progress(
                        "training" if can_train else "self-play", self.time_left()
                    )
                    if self.progress_callback is not None:
                        self.progress_callback(progress)
        finally:
            self.worker_manager.cleanup()
            self.helpers.flush_train_metrics(self.global_step)
            self.helpers.flush_episode_metrics()
        progress = self.helpers.update_progress(
            status, 0.0 if status == "completed" else self.time_left()
        )
        if self.progress_callback is not None:
            self.progress_callback(progress)
        if status == "completed":
            self._evaluate_final_weights()
        wait = EVAL_WAIT_AT_END_SECONDS if status == "completed" else EVAL_WAIT_ON_STOP_SECONDS
        self.evaluation.finish(wait)
        self.save_checkpoint(save_buffer=True)
        return status

    def _warm_start_ntuple(self) -> None:
        """With `WARM_START_PLAYER="ntuple"` and warm-start games still to play: learn the
        n-tuple player (or finish the saved one) within the run's time, checkpoint, and send
        it to the workers."""
        c = self.components
        selfplay = c.config.selfplay
        if selfplay.WARM_START_PLAYER != "ntuple" or self.global_step >= selfplay.teacher_end_step:
            return
        path = c.paths.warm_start_path
        learned = load_warm_start(path, c.config).seconds_learned
        self.training_seconds_before = max(self.training_seconds_before, learned)
        last_callback = 0.0

        def should_stop() -> bool:
            self._update_clock()
            return self.stop_event.is_set() or self.progress() >= 1.0

        def on_round() -> None:
            nonlocal last_callback
            now = time.monotonic()
            if self.progress_callback is not None and now - last_callback > 0.25:
                last_callback = now
                self.progress_callback(
                    self.helpers.update_progress("n-tuple warm start", self.time_left())
                )

        state = learn_warm_start(c.config, path, should_stop, on_round)
        self.worker_manager.set_warm_start_ntuple(state.weights)
        if (
            self.global_step == 0
            and c.config.model.NTUPLE_VALUE_FROM_WARM_START
            and c.trainer.start_ntuple_table(state.weights)
        ):
            logger.info("the value head's n-tuple table starts from the warm-start player's")
        if state.done(c.config):
            self.save_checkpoint()

    def checkpoint_data(self) -> CheckpointData:
        c = self.components
        stats_state = self.stats.state()
        self._update_clock()
        return CheckpointData(
            run_name=c.run_name,
            counters=self.counters.model_copy(),
            best_eval_score=self.evaluation.best_score,
            best_eval_scores=self.evaluation.best_scores,
            mlflow_run_id=c.mlflow_run_id,
            configs=c.config.model_dump(mode="json"),
            stats_collector_state=stats_state,
            buffer_rng_state=_json_state(c.buffer.rng.bit_generator.state),
        )

    def save_checkpoint(self, save_buffer: bool = False) -> None:
        """Write a checkpoint (and the buffer when due or asked) and log them to MLflow."""
        c = self.components
        step_dir = c.paths.step_dir(self.global_step)
        best = self.evaluation.best_score
        changed = self.global_step != self.last_saved_step or best != self.last_saved_best
        if changed or not step_dir.is_dir():
            trainer_state = c.trainer.get_state()
            trainer_state["torch_rng"] = torch.get_rng_state()
            step_dir = c.data_manager.save_checkpoint(
                self.checkpoint_data(), c.trainer.play_weights(), trainer_state
            )
            self.last_saved_step = self.global_step
            self.last_saved_best = best
            logger.info("saved checkpoint %s", step_dir)
        persistence = c.config.persistence
        due = self.global_step - self.last_buffer_save_step >= persistence.BUFFER_SAVE_FREQ_STEPS
        if persistence.SAVE_BUFFER and (save_buffer or due):
            data = dataclasses.replace(c.buffer.to_data(), global_step=self.global_step)
            c.data_manager.save_buffer(data)
            self.last_buffer_save_step = self.global_step
        log_artifacts(c, step_dir, "checkpoints/latest")
        if save_buffer and persistence.SAVE_BUFFER:
            log_artifacts(c, c.paths.buffers_dir, "buffers")


def _json_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A NumPy bit generator state with plain ints (JSON-safe)."""
    plain: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, Mapping):
            plain[key] = _json_state(value)
        else:
            plain[key] = int(value) if isinstance(value, np.integer) else value
    return plain
