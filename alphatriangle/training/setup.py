"""`setup_training_components`: Ray, resources, worker count and the components of a run."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from alphatriangle.config import RunConfig
from alphatriangle.data import DataManager, PathManager
from alphatriangle.features import feature_spec
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.core import ExperienceBuffer, ReplaySettings, Trainer
from alphatriangle.stats import stats_collector_actor
from alphatriangle.training.components import TrainingComponents
from alphatriangle.utils.seeding import Stream, integer_seed, seed_sequence

logger = logging.getLogger(__name__)


LOCAL_TASK_EVENTS_KEPT = 2_000
"""Task events a local Ray's GCS keeps. Each costs it about 3 KB; Ray's default, 100,000, let
its memory grow by 114 MB over a 2-hour laptop run, still growing at the end. A training
run makes a few actor calls a second, so the cap is reached within about 15 minutes."""


def prepare_local_ray_environment() -> None:
    """Before Ray is imported: keep a local Ray's servers on 127.0.0.1 and its GCS memory
    bounded. Token authentication stays as Ray sets it (on for a new local cluster: Ray
    creates `~/.ray/auth_token`)."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_task_events_max_num_task_in_gcs", str(LOCAL_TASK_EVENTS_KEPT))


def init_ray(ray_address: str | None) -> bool:
    """Start a local Ray, or join the cluster at `ray_address` (or `$RAY_ADDRESS`);
    True if this call started Ray."""
    import ray

    if ray.is_initialized():
        return False
    ray_address = ray_address or os.environ.get("RAY_ADDRESS")
    if ray_address:
        ray.init(address=ray_address, log_to_driver=False)
    else:
        ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
    return True


@contextmanager
def ray_for_benchmark() -> Iterator[None]:
    """Ray for the block: the cluster at `$RAY_ADDRESS`, else a local one prepared as
    training prepares it; shut down after the block only if the block started it."""
    prepare_local_ray_environment()
    started = init_ray(None)
    try:
        yield
    finally:
        if started:
            import ray

            ray.shutdown()


def adjusted_worker_count(requested: int, cpus: int) -> int:
    """Leave one CPU to the trainer; at least one worker."""
    available = max(1, cpus - 1)
    if requested > available:
        logger.warning(
            "reducing self-play workers from %d to %d to fit %d CPUs (one is kept for training)",
            requested,
            available,
            cpus,
        )
        return available
    return requested


def trainer_threads(num_workers: int, local_cpus: int) -> int:
    """CPU threads for a CPU trainer: the cores self-play workers on this machine leave free."""
    local_workers = min(num_workers, max(0, local_cpus - 1))
    return max(1, local_cpus - local_workers)


def start_stats_collector(paths: PathManager, tracking_uri: str, mlflow_run_id: str | None) -> Any:
    """A new `StatsCollectorActor` writing to the run's MLflow run and TensorBoard folder."""
    return stats_collector_actor().remote(
        mlflow_tracking_uri=tracking_uri,
        mlflow_run_id=mlflow_run_id,
        tensorboard_dir=str(paths.tensorboard_dir.resolve()),
    )


def setup_training_components(
    config: RunConfig,
    run_name: str,
    *,
    tracking_uri: str,
    mlflow_run_id: str | None = None,
    data_manager: DataManager | None = None,
) -> tuple[TrainingComponents | None, bool]:
    """Initialise Ray (`RAY_ADDRESS`), detect CPUs/GPUs, size the worker pool
    (`selfplay.WORKERS`) and build every component (the network on `DEVICE`), saving
    through `data_manager` (the opened run's; None: a new one for `run_name`).

    Returns (components, whether Ray was started here); components is None on failure.
    """
    import ray

    ray_started = init_ray(config.train.RAY_ADDRESS)
    try:
        resources: dict[str, Any] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        cpus = int(resources.get("CPU", 1))
        gpus = int(resources.get("GPU", 0))
        logger.info("Ray resources: %d CPUs, %d GPUs", cpus, gpus)
        num_workers = adjusted_worker_count(config.selfplay.WORKERS, cpus)
        train, replay = config.train, config.replay
        torch.manual_seed(integer_seed(seed_sequence(train.RANDOM_SEED, Stream.TORCH)))
        network = NeuralNetwork(config.model, config.env, device=train.DEVICE)
        if network.device.type == "cpu":
            threads = trainer_threads(num_workers, os.cpu_count() or 1)
            torch.set_num_threads(threads)
            logger.info("trainer uses %d CPU thread(s)", threads)
        spec = feature_spec(config.env)
        buffer = ExperienceBuffer(
            ReplaySettings(
                capacity=replay.CAPACITY,
                min_size_to_train=replay.MIN_SIZE_TO_TRAIN,
                use_per=replay.USE_PER,
                alpha=replay.PER_ALPHA,
                beta_initial=replay.PER_BETA_INITIAL,
                beta_final=replay.PER_BETA_FINAL,
                beta_anneal_steps=config.per_beta_anneal_steps,
                epsilon=replay.PER_EPSILON,
            ),
            spec.board_shape,
            spec.other_dim,
            config.env.ACTION_DIM,
            spec.num_slots,
            seed=seed_sequence(train.RANDOM_SEED, Stream.BUFFER),
        )
        if data_manager is None:
            data_manager = DataManager(
                PathManager(config.persistence_root, run_name),
                keep_checkpoints=config.persistence.KEEP_CHECKPOINTS,
            )
        paths = data_manager.paths
        stats = start_stats_collector(paths, tracking_uri, mlflow_run_id)
        components = TrainingComponents(
            nn=network,
            buffer=buffer,
            trainer=Trainer(network, train, seed_sequence(train.RANDOM_SEED, Stream.AUGMENTATION)),
            data_manager=data_manager,
            stats_collector_actor=stats,
            config=config,
            run_name=run_name,
            paths=paths,
            num_workers=num_workers,
            tracking_uri=tracking_uri,
            mlflow_run_id=mlflow_run_id,
        )
        logger.info(
            "network on %s; %d self-play workers x %d games; buffer %d",
            network.device,
            num_workers,
            config.selfplay.GAMES_PER_WORKER,
            replay.CAPACITY,
        )
        return components, ray_started
    except Exception:
        logger.exception("setting up the training components failed")
        return None, ray_started
