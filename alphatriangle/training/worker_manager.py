"""`WorkerManager`: the pool of self-play actors: create, submit, collect, replace, update."""

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from alphatriangle.nn.network import Weights
from alphatriangle.rl import SelfPlayBatch, remote_self_play_worker
from alphatriangle.training.components import TrainingComponents
from alphatriangle.utils import failure_reason
from alphatriangle.utils.seeding import Stream, integer_seed, seed_sequence

logger = logging.getLogger(__name__)

MAX_CONSECUTIVE_FAILURES = 5
"""A worker that fails this many times in a row (raising or dying) ends the run."""
MAX_BACKOFF_SECONDS = 30.0
TASK_SECONDS = 2.0
"""A self-play task returns after this long even if no game ended, with the positions it
played, so the live view and `Rate/Positions_per_sec` move with a slow network too."""


class WorkerFailedError(RuntimeError):
    """A self-play worker keeps failing; the message is one line for the user."""


def backoff_seconds(failures: int) -> float:
    """Wait before restarting a worker after its `failures`-th failure in a row: 1, 2, 4 ... s."""
    return float(min(MAX_BACKOFF_SECONDS, 2.0 ** (failures - 1)))


class WorkerManager:
    """Keeps one `run_for` task in flight per worker; a worker that raises or dies is
    restarted after a growing delay, and one that keeps failing ends the run."""

    def __init__(self, components: TrainingComponents) -> None:
        self.components = components
        self.workers: dict[int, Any] = {}
        self.tasks: dict[Any, int] = {}
        self.weights_ref: Any = None
        self.weights_step = 0
        self.warm_start_ref: Any = None
        self.replacements = 0
        self.generation: dict[int, int] = {}
        self.failures: dict[int, int] = {}
        self.restart_due: dict[int, float] = {}

    def _create(self, worker_id: int) -> Any:
        cfg = self.components.config
        generation = self.generation.get(worker_id, 0)
        self.generation[worker_id] = generation + 1
        life = (worker_id, generation, self.weights_step)
        seed = integer_seed(seed_sequence(cfg.train.RANDOM_SEED, Stream.SELF_PLAY, *life))
        actor_class = remote_self_play_worker(num_cpus=1)
        actor = actor_class.options(scheduling_strategy="SPREAD").remote(
            worker_id,
            cfg.env,
            cfg.mcts,
            cfg.model,
            cfg.selfplay,
            seed=seed,
            stats_collector=self.components.stats_collector_actor,
            planner_config=cfg.planner,
            ntuple_config=cfg.ntuple,
        )
        if self.weights_ref is not None:
            actor.set_weights.remote(self.weights_ref)
            actor.set_current_trainer_step.remote(self.weights_step)
        if self.warm_start_ref is not None:
            actor.set_warm_start_ntuple.remote(self.warm_start_ref)
        return actor

    def initialize_workers(self, weights: Weights, global_step: int) -> None:
        import ray

        self.weights_ref = ray.put(weights)
        self.weights_step = global_step
        for worker_id in range(self.components.num_workers):
            self.workers[worker_id] = self._create(worker_id)
        logger.info("started %d self-play workers", len(self.workers))

    def submit_task(self, worker_id: int) -> None:
        ref = self.workers[worker_id].run_for.remote(TASK_SECONDS)
        self.tasks[ref] = worker_id

    def submit_all(self) -> None:
        busy = set(self.tasks.values())
        for worker_id in self.workers:
            if worker_id not in busy:
                self.submit_task(worker_id)

    def _failed(self, worker_id: int, error: Exception) -> None:
        """Drop a worker that raised or died and schedule its restart, or end the run."""
        import ray

        failures = self.failures.get(worker_id, 0) + 1
        self.failures[worker_id] = failures
        reason = failure_reason(error)
        if failures >= MAX_CONSECUTIVE_FAILURES:
            raise WorkerFailedError(
                f"self-play worker {worker_id} failed {failures} times in a row; "
                f"the last error: {reason}"
            )
        old = self.workers.pop(worker_id, None)
        if old is not None:
            ray.kill(old, no_restart=True)
        delay = backoff_seconds(failures)
        self.restart_due[worker_id] = time.monotonic() + delay
        logger.warning(
            "self-play worker %d failed (%s); restarting it in %.0f s (failure %d of %d)",
            worker_id, reason, delay, failures, MAX_CONSECUTIVE_FAILURES,
        )  # fmt: skip

    def restart_due_workers(self) -> None:
        """Start a new actor, with work, for each failed worker whose wait is over."""
        now = time.monotonic()
        for worker_id, due in list(self.restart_due.items()):
            if now >= due:
                del self.restart_due[worker_id]
                self.workers[worker_id] = self._create(worker_id)
                self.replacements += 1
                self.submit_task(worker_id)
                logger.info("self-play worker %d restarted", worker_id)

    def get_completed_tasks(self, timeout: float) -> list[tuple[int, SelfPlayBatch]]:
        """Finished tasks' results (waiting up to `timeout` s for the first one); a task whose
        worker raised or died schedules that worker's restart instead."""
        import ray
        from ray.exceptions import RayActorError, RayTaskError

        self.restart_due_workers()
        if not self.tasks:
            if timeout > 0:
                time.sleep(timeout)
            return []
        ready, _ = ray.wait(list(self.tasks), num_returns=len(self.tasks), timeout=timeout)
        completed = []
        for ref in ready:
            worker_id = self.tasks.pop(ref)
            try:
                completed.append((worker_id, ray.get(ref)))
            except (RayActorError, RayTaskError) as error:
                self._failed(worker_id, error)
            else:
                self.failures[worker_id] = 0
        return completed

    def update_worker_networks(self, weights: Weights, global_step: int) -> None:
        """Send one copy of the new weights (`ray.put`) and the step they belong to."""
        import ray

        self.weights_ref = ray.put(weights)
        self.weights_step = global_step
        for actor in self.workers.values():
            actor.set_weights.remote(self.weights_ref)
            actor.set_current_trainer_step.remote(global_step)

    def set_warm_start_ntuple(self, weights: npt.NDArray[np.float32]) -> None:
        """Send every worker, and every replacement later, the n-tuple warm-start player."""
        import ray

        self.warm_start_ref = ray.put(weights)
        for actor in self.workers.values():
            actor.set_warm_start_ntuple.remote(self.warm_start_ref)

    def set_stats_collector(self, stats_collector: Any) -> None:
        """Point every worker at a new stats collector (new workers get it at creation)."""
        for actor in self.workers.values():
            actor.set_stats_collector.remote(stats_collector)

    def worker_info(self) -> list[dict[str, Any]]:
        """Where each worker runs (pid, node); a worker that died meanwhile (at its start,
        say) is dropped and scheduled for a restart like one whose task failed."""
        import ray
        from ray.exceptions import RayActorError, RayTaskError

        info = []
        for worker_id, actor in list(self.workers.items()):
            try:
                info.append(ray.get(actor.get_info.remote()))
            except (RayActorError, RayTaskError) as error:
                self._failed(worker_id, error)
        return info

    def cleanup(self) -> None:
        import ray

        for actor in self.workers.values():
            ray.kill(actor, no_restart=True)
        self.workers.clear()
        self.tasks.clear()
        self.restart_due.clear()
