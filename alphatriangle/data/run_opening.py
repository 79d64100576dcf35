"""`open_run`: a training run's directory, locked and checked, or one clear error.

Opening a run chooses its name (the latest run when resuming without one; a new directory
claimed with `mkdir`, so two starts in one second get two runs), takes its lock, loads what
it resumes from and has the caller check it against the configuration, and only then
writes: the leftovers of an interrupted save go, the folders are made, the configs saved.
Every refusal is a `ConfigError` of one line, raised before anything is written.
"""

import errno
import itertools
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from alphatriangle.config import ConfigError
from alphatriangle.data.data_manager import DataManager, is_complete_step
from alphatriangle.data.path_manager import PathManager, check_run_name, default_run_name
from alphatriangle.data.run_lock import RunInUseError, RunLock
from alphatriangle.data.schemas import LoadedTrainingState
from alphatriangle.utils import one_line

logger = logging.getLogger(__name__)
MIB = 1 << 20

ResumeCheck = Callable[[LoadedTrainingState], None]
"""Raises if a loaded checkpoint and buffer do not fit the run's configuration (a
`ConfigError` as it is; anything else becomes "cannot resume")."""


@dataclass
class OpenedRun:
    """A locked run directory with the state it resumes from (empty for a new run); a context
    manager that releases the lock."""

    paths: PathManager
    data_manager: DataManager
    loaded: LoadedTrainingState
    resuming: bool
    removed_leftovers: list[Path]
    lock: RunLock

    def close(self) -> None:
        self.lock.release()

    def __enter__(self) -> "OpenedRun":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _has_checkpoint(paths: PathManager) -> bool:
    return paths.pointer("latest").is_file() or any(is_complete_step(d) for d in paths.step_dirs())


def resolve_run_name(root: Path, run_name: str | None, resume: bool) -> tuple[str, bool]:
    """(run name, whether it resumes); never reuses a run's name without resuming it. A new
    run's directory is created here, with `mkdir` as the claim."""
    if run_name is not None:
        check_run_name(run_name)
        has_checkpoint = _has_checkpoint(PathManager(root, run_name))
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
    base = default_run_name()
    for suffix in itertools.count():
        name = base if suffix == 0 else f"{base}_{suffix}"
        try:
            PathManager(root, name).run_dir.mkdir(parents=True)
        except FileExistsError:
            continue
        return name, False
    raise AssertionError("unreachable")


def open_run(
    root: Path,
    run_name: str | None,
    resume: bool,
    configs: dict[str, Any],
    check: ResumeCheck,
    keep_checkpoints: int = 5,
) -> OpenedRun:
    """The run, locked, its resumed state loaded and checked, its folders made and
    `configs` saved; a `ConfigError` of one line, with nothing written, if it cannot be."""
    try:
        name, resuming = resolve_run_name(root, run_name, resume)
        paths = PathManager(root, name)
        lock = RunLock(paths.run_dir).acquire()
    except RunInUseError as error:
        raise ConfigError(str(error)) from None
    except OSError as error:
        raise _unwritable(root, error) from None
    try:
        data_manager = DataManager(paths, keep_checkpoints=keep_checkpoints)
        loaded = _load_checked(data_manager, name, check) if resuming else LoadedTrainingState()
        try:
            removed = data_manager.remove_leftovers()
            _check_free_space(root, data_manager)
            paths.create()
            data_manager.save_configs(configs)
        except OSError as error:
            raise _unwritable(root, error) from None
    except BaseException:
        lock.release()
        raise
    return OpenedRun(paths, data_manager, loaded, resuming, removed, lock)


def _load_checked(data_manager: DataManager, name: str, check: ResumeCheck) -> LoadedTrainingState:
    """The run's latest checkpoint and buffer, checked by `check` before anything is written."""
    try:
        data_manager.checkpoint_dir("best")
        loaded = data_manager.load_initial_state()
        if loaded.checkpoint is not None:
            check(loaded)
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(
            f"cannot resume run {name!r}: {one_line(error)}; start a new run "
            "(--no-resume --run-name NEW) or repair the file"
        ) from None
    buffer, checkpoint = loaded.buffer, loaded.checkpoint
    if (
        buffer is not None
        and checkpoint is not None
        and buffer.global_step != checkpoint.global_step
    ):
        logger.warning(
            "resuming step %d with the buffer saved at step %d (buffers are saved every "
            "BUFFER_SAVE_FREQ_STEPS steps; the examples since were lost)",
            checkpoint.global_step,
            buffer.global_step,
        )
    return loaded


def _check_free_space(root: Path, data_manager: DataManager) -> None:
    """Refuse a resume whose next checkpoint could not be written: it would train until its
    first save and fail there."""
    needed = data_manager.save_bytes_needed()
    free = shutil.disk_usage(data_manager.paths.run_dir).free
    if free < needed:
        raise OSError(
            errno.ENOSPC,
            f"{os.strerror(errno.ENOSPC)}: {free / MIB:.1f} MiB free, the next checkpoint and "
            f"buffer need {needed / MIB:.1f} MiB",
        )


def _unwritable(root: Path, error: OSError) -> ConfigError:
    return ConfigError(
        f"cannot write run data under {root} ({one_line(error)}); free some space or choose a "
        "writable persistence.ROOT_DATA_DIR"
    )
