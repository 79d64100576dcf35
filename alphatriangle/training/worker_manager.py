"""`WorkerManager`: the pool of self-play actors: create, submit, collect, replace, update."""

import logging
from typing import Any

from alphatriangle.nn.network import Weights
from alphatriangle.rl import SelfPlayResult, remote_self_play_worker
from alphatriangle.training.components import TrainingComponents

logger = logging.getLogger(__name__)


class WorkerManager:
    """Keeps one `run_episodes` task in flight per worker."""

    def __init__(self, components: TrainingComponents) -> None:
        self.components = components
        self.workers: dict[int, Any] = {}
        self.tasks: dict[Any, int] = {}
        self.weights_ref: Any = None
        self.weights_step = 0
        self.replacements = 0
        self.generation: dict[int, int] = {}

    def _create(self, worker_id: int) -> Any:
        cfg = self.components.config
        generation = self.generation.get(worker_id, 0)
        self.generation[worker_id] = generation + 1
        actor_class = remote_self_play_worker(num_cpus=1)
        actor = actor_class.options(scheduling_strategy="SPREAD").remote(
            worker_id,
            cfg.env,
            cfg.mcts,
            cfg.model,
            cfg.train,
            initial_weights=None,
            seed=cfg.train.RANDOM_SEED + 1_000 * worker_id + 7_919 * generation + self.weights_step,
            stats_collector=self.components.stats_collector_actor,
        )
        if self.weights_ref is not None:
            actor.set_weights.remote(self.weights_ref)
            actor.set_current_trainer_step.remote(self.weights_step)
        return actor

    def initialize_workers(self, weights: Weights, global_step: int) -> None:
        import ray

        self.weights_ref = ray.put(weights)
        self.weights_step = global_step
        for worker_id in range(self.components.num_workers):
            self.workers[worker_id] = self._create(worker_id)
        logger.info("started %d self-play workers", len(self.workers))

    def submit_task(self, worker_id: int) -> None:
        ref = self.workers[worker_id].run_episodes.remote()
        self.tasks[ref] = worker_id

    def submit_all(self) -> None:
        busy = set(self.tasks.values())
        for worker_id in self.workers:
            if worker_id not in busy:
                self.submit_task(worker_id)

    def replace_worker(self, worker_id: int) -> None:
        """Start a new actor in place of one that died, and give it work."""
        import ray

        old = self.workers.get(worker_id)
        if old is not None:
            ray.kill(old, no_restart=True)
        self.workers[worker_id] = self._create(worker_id)
        self.replacements += 1
        logger.warning(
            "self-play worker %d died; replaced it (%d replacements)", worker_id, self.replacements
        )
        self.submit_task(worker_id)

    def get_completed_tasks(self, timeout: float) -> list[tuple[int, list[SelfPlayResult]]]:
        """Finished tasks' results (waiting up to `timeout` s for the first one)."""
        import ray
        from ray.exceptions import RayActorError

        if not self.tasks:
            return []
        ready, _ = ray.wait(list(self.tasks), num_returns=len(self.tasks), timeout=timeout)
        completed = []
        for ref in ready:
            worker_id = self.tasks.pop(ref)
            try:
                completed.append((worker_id, ray.get(ref)))
            except RayActorError:
                self.replace_worker(worker_id)
        return completed

    def update_worker_networks(self, weights: Weights, global_step: int) -> None:
        """Send one copy of the new weights (`ray.put`) and the step they belong to."""
        import ray

        self.weights_ref = ray.put(weights)
        self.weights_step = global_step
        for actor in self.workers.values():
            actor.set_weights.remote(self.weights_ref)
            actor.set_current_trainer_step.remote(global_step)

    def worker_info(self) -> list[dict[str, Any]]:
        import ray

        return list(ray.get([actor.get_info.remote() for actor in self.workers.values()]))

    def cleanup(self) -> None:
        import ray

        for actor in self.workers.values():
            ray.kill(actor, no_restart=True)
        self.workers.clear()
        self.tasks.clear()
