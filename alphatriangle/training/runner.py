"""`run_training`: one headless training run from configuration to cleanup."""

import logging
import threading
from typing import Any

from alphatriangle.config import ConfigError, RunConfig
from alphatriangle.data import (
    DataManager,
    LoadedTrainingState,
    PathManager,
    check_run_name,
    default_run_name,
)
from alphatriangle.training.logging_utils import log_configs_to_mlflow, setup_file_logging
from alphatriangle.training.loop import ProgressCallback, TrainingLoop
from alphatriangle.training.setup import prepare_local_ray_environment, setup_training_components
from alphatriangle.utils import one_line

logger = logging.getLogger(__name__)

EXIT_COMPLETED, EXIT_FAILED, EXIT_STOPPED = 0, 1, 130


def resolve_run_name(config: RunConfig, run_name: str | None, resume: bool) -> tuple[str, bool]:
    """(run name, whether it resumes); never reuses a run's name without resuming it."""
    root = config.persistence_root
    if run_name is not None:
        check_run_name(run_name)
        has_checkpoint = DataManager(PathManager(root, run_name)).checkpoint_dir() is not None
        if has_checkpoint and not resume:
            raise ConfigError(
                f"run {run_name!r} already has checkpoints; resume it (--resume) or pick a new "
                "--run-name"
            )
        return run_name, has_checkpoint
    if resume:
        latest = PathManager(root, "_").latest_run_name()
        if latest is not None:
            return latest, True
    name = default_run_name()
    while PathManager(root, name).run_dir.exists():
        name = f"{name}_1"
    return name, False


def _load_for_resume(data_manager: DataManager, name: str) -> LoadedTrainingState:
    try:
        return data_manager.load_initial_state()
    except Exception as error:
        raise ConfigError(
            f"cannot resume run {name!r}: its latest checkpoint is damaged or from an "
            f"incompatible version ({one_line(error)}); start a new run "
            "(--no-resume --run-name NEW)"
        ) from None


def _check_resumable(config: RunConfig, loaded: LoadedTrainingState) -> None:
    if loaded.checkpoint is None:
        return
    saved = loaded.checkpoint.configs
    for section in ("env", "model"):
        if saved.get(section) != getattr(config, section).model_dump(mode="json"):
            raise ConfigError(
                f"run {loaded.checkpoint.run_name!r} was trained with different {section} settings;"
                " resume with the same ones, or start a new run (--no-resume --run-name NEW)"
            )


def _start_mlflow(config: RunConfig, paths: PathManager, uri: str, previous: str | None) -> str:
    import mlflow

    mlflow.set_tracking_uri(uri)
    name = config.persistence.MLFLOW_EXPERIMENT_NAME
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        location = paths.mlflow_artifacts.resolve().as_uri() if uri.startswith("sqlite") else None
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    if previous is not None:
        run = mlflow.start_run(run_id=previous)
        mlflow.log_artifact(str(paths.config_path))
    else:
        run = mlflow.start_run(experiment_id=experiment_id, run_name=paths.run_name)
        log_configs_to_mlflow(config.model_dump(mode="json"))
    return str(run.info.run_id)


def run_training(
    config: RunConfig,
    *,
    run_name: str | None = None,
    resume: bool = True,
    workers: int | None = None,
    device: str | None = None,
    ray_address: str | None = None,
    mlflow_uri: str | None = None,
    stop_event: threading.Event | None = None,
    progress_callback: ProgressCallback | None = None,
) -> int:
    """Train until `MAX_TRAINING_STEPS` or a stop request; returns the exit code
    (0 completed, 130 stopped on request, 1 failed). Raises `ConfigError` before touching
    any run data when the request is wrong."""
    name, resuming = resolve_run_name(config, run_name, resume)
    paths = PathManager(config.persistence_root, name)
    data_manager = DataManager(paths, keep_checkpoints=config.persistence.KEEP_CHECKPOINTS)
    loaded = _load_for_resume(data_manager, name) if resuming else LoadedTrainingState()
    _check_resumable(config, loaded)

    if ray_address is None:
        prepare_local_ray_environment()
    paths.create()
    log_path = setup_file_logging(paths.logs_dir, name)
    logger.info("run %s (%s); log file %s", name, "resuming" if resuming else "new", log_path)
    data_manager.save_configs(config.model_dump(mode="json"))
    uri = mlflow_uri or config.persistence.MLFLOW_TRACKING_URI or paths.default_tracking_uri()

    import mlflow
    import ray

    ray_started = False
    components: Any = None
    code = EXIT_FAILED
    try:
        previous = loaded.checkpoint.mlflow_run_id if loaded.checkpoint else None
        run_id = _start_mlflow(config, paths, uri, previous)
        components, ray_started = setup_training_components(
            config, name, ray_address=ray_address, workers=workers, device=device,
            tracking_uri=uri, mlflow_run_id=run_id,
        )  # fmt: skip
        if components is None:
            return EXIT_FAILED
        loop = TrainingLoop(components, stop_event, progress_callback)
        loop.set_initial_state(loaded)
        status = loop.run()
        code = EXIT_COMPLETED if status == "completed" else EXIT_STOPPED
        logger.info("run %s %s at step %d", name, status, loop.global_step)
        return code
    except Exception:
        logger.exception("training failed")
        return EXIT_FAILED
    finally:
        if components is not None:
            try:
                ray.get(components.stats_collector_actor.close.remote(), timeout=60)
            except Exception:
                logger.exception("closing the stats collector failed")
        if mlflow.active_run() is not None:
            mlflow_status = {EXIT_COMPLETED: "FINISHED", EXIT_STOPPED: "KILLED"}.get(code, "FAILED")
            mlflow.end_run(status=mlflow_status)
        if ray_started:
            ray.shutdown()
