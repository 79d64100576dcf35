"""The n-tuple baseline's run: TD self-play rounds on the run's threads, in the run layout of
every run (checkpoints, best checkpoint, MLflow, TensorBoard, time budget, resume).

No Ray, network or buffer: the weights are one table in this process, and the games in play
when a run stops are the only thing a resume does not have (it starts new ones).
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from alphatriangle.baselines.ntuple import (
    WEIGHTS_KEY,
    NTuplePlayer,
    RoundStats,
    learn_round,
    learning_rate,
    new_lanes,
    ntuple_actions,
)
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.config import RunConfig
from alphatriangle.data import CheckpointData, DataManager, LoadedTrainingState, RunCounters
from alphatriangle.evaluation.selection import replaces_best
from alphatriangle.evaluation.suite import play_suite, selection_seeds
from alphatriangle.game.geometry import engine_tables
from alphatriangle.stats import StatsCollector
from alphatriangle.training.live_view import TrainingProgress
from alphatriangle.training.loop import ProgressCallback
from alphatriangle.utils import StepInfo

logger = logging.getLogger(__name__)


def ntuple_weights(config: RunConfig, loaded: LoadedTrainingState) -> npt.NDArray[np.float32]:
    """The weights to start from: the checkpoint's (checked against the tuples), else zeros."""
    layout_size = NTuplePlayer.empty(config.env, config.ntuple).weights.shape[0]
    if loaded.weights is None:
        return np.zeros(layout_size, dtype=np.float32)
    weights = np.array(loaded.weights[WEIGHTS_KEY], dtype=np.float32)
    NTuplePlayer(config.env, config.ntuple, weights)
    return weights


@dataclass
class _Window:
    """What the rounds since the last metrics line played."""

    scores: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    moves: int = 0
    squared_error: float = 0.0
    steps: int = 0
    seconds: float = 0.0


class NTupleLoop:
    """Rounds of TD self-play until the step or time budget, or a stop request."""

    def __init__(
        self,
        config: RunConfig,
        data_manager: DataManager,
        loaded: LoadedTrainingState,
        collector: StatsCollector,
        mlflow_run_id: str | None,
        stop_event: threading.Event | None = None,
        progress_callback: ProgressCallback | None = None,
    ) -> None:
        self.config = config
        self.data_manager = data_manager
        self.collector = collector
        self.mlflow_run_id = mlflow_run_id
        self.stop_event = stop_event or threading.Event()
        self.progress_callback = progress_callback
        self.weights = ntuple_weights(config, loaded)
        checkpoint = loaded.checkpoint
        self.counters = checkpoint.counters.model_copy() if checkpoint else RunCounters()
        self.best_score = checkpoint.best_eval_score if checkpoint else None
        self.best_scores = checkpoint.best_eval_scores if checkpoint else None
        if checkpoint is not None and checkpoint.stats_collector_state:
            collector.set_state(checkpoint.stats_collector_state)
        self.threads = config.selfplay.WORKERS
        self.player = NTuplePlayer(config.env, config.ntuple, self.weights)
        self.tables = engine_tables(config.env)
        games = self.threads * config.ntuple.GAMES_PER_THREAD
        seed = config.train.RANDOM_SEED * 1_000_003 + self.counters.global_step
        self.lanes = new_lanes(games, config.env.NUM_SHAPE_SLOTS, seed)
        self.last_eval_step = self.counters.global_step
        self.progress = TrainingProgress(
            run_name=data_manager.paths.run_name,
            counters=self.counters,
            max_steps=config.train.MAX_TRAINING_STEPS,
            workers=self.threads,
            status="training",
        )

    def fraction_done(self) -> float:
        train = self.config.train
        fraction = self.counters.global_step / train.MAX_TRAINING_STEPS
        if train.MAX_TRAINING_MINUTES is not None:
            minutes = self.counters.training_seconds / 60
            fraction = max(fraction, minutes / train.MAX_TRAINING_MINUTES)
        return fraction

    def run(self) -> str:
        """Train; returns "completed" (a budget reached, the final weights evaluated as a
        candidate for best) or "stopped" (a stop request)."""
        train, ntuple = self.config.train, self.config.ntuple
        window = _Window()
        status = "completed"
        with ThreadPoolExecutor(self.threads, thread_name_prefix="ntuple") as pool:
            while self.fraction_done() < 1.0:
                if self.stop_event.is_set():
                    status = "stopped"
                    break
                started = time.monotonic()
                rate = learning_rate(self.config.ntuple, self.fraction_done())
                stats = learn_round(
                    pool, self.tables.core, self.player.layout, self.weights, self.lanes,
                    ntuple.TRAIN_BEAM_WIDTH, ntuple.HANDS_PER_ROUND, rate, self.threads,
                )  # fmt: skip
                self._count(stats, window)
                step = self.counters.global_step
                if step % train.METRICS_LOG_FREQ_STEPS == 0:
                    self._log_window(window, rate)
                    window = _Window()
                if step % train.CHECKPOINT_SAVE_FREQ_STEPS == 0:
                    self.save()
                if step - self.last_eval_step >= self.config.evaluation.FREQ_STEPS:
                    self.evaluate(pool)
                elapsed = time.monotonic() - started
                self.counters.training_seconds += elapsed
                window.seconds += elapsed
            if status == "completed" and self.last_eval_step < self.counters.global_step:
                self.evaluate(pool)
        self.save()
        return status

    def _count(self, stats: RoundStats, window: _Window) -> None:
        self.counters.global_step += 1
        for g in range(stats.finished_count.shape[0]):
            window.scores += stats.finished[g, : stats.finished_count[g]].tolist()
        finished = int(stats.finished_count.sum())
        self.counters.episodes_played += finished
        if finished:
            window.lengths.append(int(stats.finished_moves.sum()) // finished)
        moves = int(stats.moves.sum())
        self.counters.positions_played += moves
        self.counters.experiences_added += int(stats.steps.sum())
        window.moves += moves
        window.squared_error += float(stats.squared_error.sum())
        window.steps += int(stats.steps.sum())

    def _log_window(self, window: _Window, rate: float) -> None:
        info = StepInfo(global_step=self.counters.global_step)
        metrics: dict[str, float] = {
            "Train/Learning_Rate": rate,
            "Loss/TD_RMSE": (window.squared_error / max(1, window.steps)) ** 0.5,
            "Rate/Positions_per_sec": window.moves / max(window.seconds, 1e-9),
            "Progress/Training_Minutes": self.counters.training_seconds / 60,
        }
        if window.scores:
            metrics["RL/Episode_Score"] = float(np.mean(window.scores))
            metrics["RL/Episode_Length"] = float(np.mean(window.lengths))
            self.progress.recent_scores.extend(window.scores)
        self.collector.log_batch({name: [(value, info)] for name, value in metrics.items()})
        p = self.progress
        p.positions_per_sec = metrics["Rate/Positions_per_sec"]
        p.steps_per_sec = self.config.train.METRICS_LOG_FREQ_STEPS / max(window.seconds, 1e-9)
        p.episodes_per_sec = len(window.scores) / max(window.seconds, 1e-9)
        p.losses = {"Loss/TD_RMSE": metrics["Loss/TD_RMSE"]}
        p.elapsed = self.counters.training_seconds
        logger.info(
            "step %d: %.0f positions/s, %d games, recent mean score %.1f, TD error %.1f, "
            "rate %.4f",
            self.counters.global_step, p.positions_per_sec, self.counters.episodes_played,
            p.mean_recent_score, metrics["Loss/TD_RMSE"], rate,
        )  # fmt: skip
        if self.progress_callback is not None:
            self.progress_callback(p)

    def save(self) -> None:
        """A checkpoint of the weights and the run's counters at this step."""
        checkpoint = CheckpointData(
            run_name=self.data_manager.paths.run_name,
            counters=self.counters.model_copy(),
            best_eval_score=self.best_score,
            best_eval_scores=self.best_scores,
            mlflow_run_id=self.mlflow_run_id,
            configs=self.config.model_dump(mode="json"),
            stats_collector_state=self.collector.get_state(),
        )
        weights = {WEIGHTS_KEY: self.weights.copy()}
        self.data_manager.save_checkpoint(checkpoint, weights, {"format": "ntuple"})

    def evaluate(self, pool: ThreadPoolExecutor) -> None:
        """The player (at `BEAM_WIDTH`) on the selection seeds; the best checkpoint marked."""
        step = self.counters.global_step
        self.last_eval_step = step
        step_dir = self.data_manager.paths.step_dir(step)
        if not step_dir.is_dir():
            self.save()
        started = time.monotonic()
        seeds = selection_seeds(self.config.evaluation.GAMES)
        rng = game_policy_streams(list(seeds))
        player = NTuplePlayer(self.config.env, self.config.ntuple, self.weights.copy())
        result = play_suite(
            "ntuple", seeds,
            lambda batch: ntuple_actions(batch, rng, player, pool=pool, threads=self.threads),
            self.config.env,
        )  # fmt: skip
        seconds = time.monotonic() - started
        info = StepInfo(global_step=step)
        summary = result.summary()
        metrics = {f"Eval/{key.title()}": value for key, value in summary.items()}
        metrics["Eval/Seconds"] = seconds
        metrics["Eval/Training_Minutes"] = self.counters.training_seconds / 60
        self.collector.log_batch({name: [(value, info)] for name, value in metrics.items()})
        logger.info(
            "evaluation at step %d: mean score %.1f in %.0f s", step, summary["mean"], seconds
        )
        if replaces_best(result.scores, self.best_scores, self.best_score):
            self.best_score, self.best_scores = summary["mean"], list(result.scores)
            self.data_manager.mark_best(step_dir)
            logger.info("best checkpoint is now %s", step_dir.name)
