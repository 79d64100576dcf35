"""`run_training`: one headless training run from configuration to cleanup."""

import errno
import logging
import threading
from typing import Any

import torch

from alphatriangle.config import ConfigError, RunConfig
from alphatriangle.data import LoadedTrainingState, PathManager
from alphatriangle.data.run_opening import OpenedRun, ResumeCheck, open_run
from alphatriangle.features import feature_spec
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.core import Trainer
from alphatriangle.stats import StatsCollector
from alphatriangle.training.logging_utils import (
    close_file_logging,
    log_configs_to_mlflow,
    setup_file_logging,
)
from alphatriangle.training.loop import ProgressCallback, TrainingLoop
from alphatriangle.training.ntuple_loop import NTupleLoop, ntuple_weights
from alphatriangle.training.setup import prepare_local_ray_environment, setup_training_components
from alphatriangle.training.worker_manager import WorkerFailedError
from alphatriangle.utils import one_line
from alphatriangle.utils.machine import machine_info, machine_line

logger = logging.getLogger(__name__)

EXIT_COMPLETED, EXIT_FAILED, EXIT_STOPPED = 0, 1, 130
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG)
"""Write failures that mean the disk is full or read-only, not a bug."""


def _resume_check(config: RunConfig) -> ResumeCheck:
    """What `open_run` asks of a checkpoint to resume: the env and model settings of
    `config`, and each part loading into a throwaway network, optimizer and buffer check."""

    def check(loaded: LoadedTrainingState) -> None:
        _check_resumable(config, loaded)
        if config.train.AGENT == "ntuple":
            ntuple_weights(config, loaded)
            return
        network = NeuralNetwork(config.model, config.env, device="cpu")
        assert loaded.weights is not None and loaded.trainer_state is not None
        network.set_weights(loaded.weights)
        Trainer(network, config.train).load_state(loaded.trainer_state)
        rng_state = loaded.trainer_state.get("torch_rng")
        if rng_state is not None and not (
            isinstance(rng_state, torch.Tensor) and rng_state.dtype == torch.uint8
        ):
            raise ValueError("trainer.pt holds a torch RNG state that is not a byte tensor")
        if loaded.buffer is not None:
            spec = feature_spec(config.env)
            loaded.buffer.check(
                spec.board_shape, spec.other_dim, config.env.ACTION_DIM, spec.num_slots
            )

    return check


def _check_resumable(config: RunConfig, loaded: LoadedTrainingState) -> None:
    if loaded.checkpoint is None:
        return
    saved = loaded.checkpoint.configs
    saved_agent = saved.get("train", {}).get("AGENT", "alphazero")
    if saved_agent != config.train.AGENT:
        raise ConfigError(
            f"run {loaded.checkpoint.run_name!r} trains the {saved_agent} agent, not "
            f"{config.train.AGENT}; resume it with its own preset, or start a new run "
            "(--no-resume --run-name NEW)"
        )
    sections: tuple[str, ...] = (
        ("env", "ntuple") if config.train.AGENT == "ntuple" else ("env", "model")
    )
    if config.train.AGENT == "alphazero" and config.selfplay.WARM_START_PLAYER == "ntuple":
        sections = (*sections, "ntuple")  # the saved warm-start player's tuples
    for section in sections:
        if _shape_settings(saved.get(section), section) != _shape_settings(
            getattr(config, section).model_dump(mode="json"), section
        ):
            raise ConfigError(
                f"run {loaded.checkpoint.run_name!r} was trained with different {section} settings;"
                " resume with the same ones, or start a new run (--no-resume --run-name NEW)"
            )


def _shape_settings(settings: Any, section: str) -> Any:
    """The settings of `section` a checkpoint's weights depend on: all of them, but for the
    n-tuple player only its tuples (its search and learning settings may change on resume)."""
    if section != "ntuple" or not isinstance(settings, dict):
        return settings
    return {key: settings.get(key) for key in ("LINES", "PATCHES")}


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
        try:
            run = mlflow.start_run(run_id=previous)
        except Exception as error:
            logger.warning(
                "MLflow run %s of this run is not in %s (%s); logging to a new MLflow run",
                previous,
                uri,
                one_line(error),
            )
        else:
            mlflow.log_artifact(str(paths.config_path))
            _tag_machine()
            return str(run.info.run_id)
    run = mlflow.start_run(experiment_id=experiment_id, run_name=paths.run_name)
    log_configs_to_mlflow(config.model_dump(mode="json"))
    _tag_machine()
    return str(run.info.run_id)


def _tag_machine() -> None:
    """The machine this session of the run trains on, as `machine.*` tags of its MLflow run
    (a resume on another machine updates them; its log has a line per session)."""
    import mlflow

    mlflow.set_tags({f"machine.{key}": str(value) for key, value in machine_info().items()})


def run_training(
    config: RunConfig,
    run_name: str | None = None,
    resume: bool = True,
    *,
    stop_event: threading.Event | None = None,
    progress_callback: ProgressCallback | None = None,
) -> int:
    """Train until `MAX_TRAINING_STEPS`, the time budget or a stop request; returns the exit
    code (0 completed, 130 stopped on request, 1 failed). Raises `ConfigError` before
    touching any run data when the request is wrong. Devices, workers, Ray and MLflow come
    from `config` (the CLI's flags are overrides of it)."""
    configs = config.model_dump(mode="json")
    with open_run(
        config.persistence_root, run_name, resume, configs, _resume_check(config),
        keep_checkpoints=config.persistence.KEEP_CHECKPOINTS,
    ) as run:  # fmt: skip
        paths = run.paths
        try:
            log_path = setup_file_logging(paths.logs_dir, paths.run_name)
        except OSError as error:
            raise ConfigError(
                f"cannot write the run's log under {paths.logs_dir} ({one_line(error)}); free "
                "some space or choose a writable persistence.ROOT_DATA_DIR"
            ) from None
        logger.info("log file %s", log_path)
        for leftover in run.removed_leftovers:
            logger.warning("removed %s, left by an interrupted save", leftover)
        if config.train.AGENT == "alphazero" and config.train.RAY_ADDRESS is None:
            prepare_local_ray_environment()
        logger.info("run %s (%s)", paths.run_name, "resuming" if run.resuming else "new")
        logger.info("machine: %s", machine_line(machine_info()))
        train = _train_ntuple if config.train.AGENT == "ntuple" else _train
        try:
            return train(config, run, stop_event, progress_callback)
        finally:
            close_file_logging(log_path)


def _train(
    config: RunConfig,
    run: OpenedRun,
    stop_event: threading.Event | None,
    progress_callback: ProgressCallback | None,
) -> int:
    """Start MLflow, Ray and the components, run the loop, and clean up whatever happens."""
    import ray

    paths, loaded = run.paths, run.loaded
    uri = config.persistence.MLFLOW_TRACKING_URI or paths.default_tracking_uri()
    ray_started = False
    components: Any = None
    code = EXIT_FAILED
    try:
        previous = loaded.checkpoint.mlflow_run_id if loaded.checkpoint else None
        run_id = _start_mlflow(config, paths, uri, previous)
        components, ray_started = setup_training_components(
            config,
            paths.run_name,
            tracking_uri=uri,
            mlflow_run_id=run_id,
            data_manager=run.data_manager,
        )
        if components is None:
            return EXIT_FAILED
        loop = TrainingLoop(components, stop_event, progress_callback)
        loop.set_initial_state(loaded)
        status = loop.run()
        code = EXIT_COMPLETED if status == "completed" else EXIT_STOPPED
        logger.info("run %s %s at step %d", paths.run_name, status, loop.global_step)
        return code
    except WorkerFailedError as error:
        logger.error("training stopped: %s", error)
        return EXIT_FAILED
    except OSError as error:
        _log_os_error(error)
        return EXIT_FAILED
    except Exception:
        logger.exception("training failed")
        return EXIT_FAILED
    finally:
        if components is not None:
            try:
                ray.get(components.stats_collector_actor.close.remote(), timeout=60)
            except Exception:
                logger.exception("closing the stats collector failed")
        _end_mlflow(code)
        if ray_started:
            ray.shutdown()


def _train_ntuple(
    config: RunConfig,
    run: OpenedRun,
    stop_event: threading.Event | None,
    progress_callback: ProgressCallback | None,
) -> int:
    """The n-tuple baseline's run: MLflow and TensorBoard through an in-process collector,
    rounds of TD self-play on `selfplay.WORKERS` threads."""
    paths, loaded = run.paths, run.loaded
    uri = config.persistence.MLFLOW_TRACKING_URI or paths.default_tracking_uri()
    collector: StatsCollector | None = None
    code = EXIT_FAILED
    try:
        previous = loaded.checkpoint.mlflow_run_id if loaded.checkpoint else None
        run_id = _start_mlflow(config, paths, uri, previous)
        collector = StatsCollector(
            mlflow_tracking_uri=uri, mlflow_run_id=run_id,
            tensorboard_dir=str(paths.tensorboard_dir),
        )  # fmt: skip
        loop = NTupleLoop(config, run.data_manager, loaded, collector, run_id, stop_event,
                          progress_callback)  # fmt: skip
        status = loop.run()
        code = EXIT_COMPLETED if status == "completed" else EXIT_STOPPED
        logger.info("run %s %s at step %d", paths.run_name, status, loop.counters.global_step)
        return code
    except OSError as error:
        _log_os_error(error)
        return EXIT_FAILED
    except Exception:
        logger.exception("training failed")
        return EXIT_FAILED
    finally:
        if collector is not None:
            collector.close()
        _end_mlflow(code)


def _end_mlflow(code: int) -> None:
    """End the MLflow run, if one is active, with the status of exit code `code`."""
    import mlflow

    if mlflow.active_run() is not None:
        mlflow_status = {EXIT_COMPLETED: "FINISHED", EXIT_STOPPED: "KILLED"}.get(code, "FAILED")
        mlflow.end_run(status=mlflow_status)


def _log_os_error(error: OSError) -> None:
    """A full or read-only disk in one line (the last checkpoint is intact); anything else
    with its traceback."""
    if error.errno not in STORAGE_ERRNOS:
        logger.exception("training failed")
        return
    logger.error(
        "training stopped: cannot write the run's files (%s); its last complete checkpoint is "
        "intact",
        one_line(error),
    )
