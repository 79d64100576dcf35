"""`DataManager`: saves and restores a run's checkpoints, buffer and configs."""

import logging
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from alphatriangle.data.path_manager import PathManager, is_step_dir_name
from alphatriangle.data.schemas import (
    CHECKPOINT_FORMAT_VERSION,
    BufferData,
    CheckpointData,
    LoadedTrainingState,
)
from alphatriangle.data.serializer import Serializer, fsync_dir

logger = logging.getLogger(__name__)

MODEL_FILE = "model.safetensors"
TRAINER_FILE = "trainer.pt"
STATE_FILE = "state.json"


class DataManager:
    """Checkpoint layout: `checkpoints/step_<n>/{model.safetensors, trainer.pt, state.json}`,
    with `latest.json` and `best.json` naming a step directory; the buffer in
    `buffers/buffer.npz`; the resolved configs in `configs.json`."""

    def __init__(self, paths: PathManager, keep_checkpoints: int = 5) -> None:
        self.paths = paths
        self.keep_checkpoints = keep_checkpoints
        self.serializer = Serializer()

    def save_configs(self, configs: dict[str, Any]) -> Path:
        self.paths.create()
        self.serializer.save_json(self.paths.config_path, configs)
        return self.paths.config_path

    def save_checkpoint(
        self,
        checkpoint: CheckpointData,
        weights: Mapping[str, npt.NDArray[np.generic]],
        trainer_state: dict[str, Any],
    ) -> Path:
        """Write a complete step directory, then point `latest` at it.

        A new step is written beside the others and renamed into place whole. A step that
        already has a directory (the final save of a run just saved, an evaluation's step)
        has each file replaced atomically in place: at one step the weights and optimizer
        are the same, so any mix of old and new files is a valid checkpoint, and `latest` or
        `best` never names a missing directory.
        """
        self.paths.create()
        final = self.paths.step_dir(checkpoint.global_step)
        checkpoint = checkpoint.model_copy(update={"saved_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        target = final
        if not final.is_dir():
            target = final.with_name(final.name + ".partial")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
        self.serializer.save_weights(target / MODEL_FILE, weights)
        self.serializer.save_torch_state(target / TRAINER_FILE, trainer_state)
        self.serializer.save_json(
            target / STATE_FILE, checkpoint.model_dump(mode="json"), compact=True
        )
        if target != final:
            target.rename(final)
            fsync_dir(final.parent)
        self.serializer.save_json(self.paths.pointer("latest"), {"step_dir": final.name})
        self._prune()
        return final

    def mark_best(self, step_dir: Path) -> None:
        """Point `best.json` at an existing step directory."""
        self.serializer.save_json(self.paths.pointer("best"), {"step_dir": step_dir.name})

    def _prune(self) -> None:
        """Keep the newest step directories and whichever ones the pointers name."""
        named = {self._pointer_target(name) for name in ("latest", "best")}
        dirs = self.paths.step_dirs()
        for old in dirs[: max(0, len(dirs) - self.keep_checkpoints)]:
            if old.name not in named:
                shutil.rmtree(old, ignore_errors=True)

    def _pointer_target(self, name: str) -> str | None:
        pointer = self.paths.pointer(name)
        if not pointer.is_file():
            return None
        target = self.serializer.load_json(pointer)["step_dir"]
        if not isinstance(target, str) or not is_step_dir_name(target):
            raise ValueError(f"{pointer} names {target!r}, not a step directory")
        return target

    def checkpoint_dir(self, name: str = "latest") -> Path | None:
        target = self._pointer_target(name)
        return None if target is None else self.paths.checkpoints_dir / target

    def resume_dir(self) -> Path | None:
        """The step directory to resume from: what `latest` names, else (a pointer missing,
        damaged or naming nothing, as a crash can leave) the newest complete step, with a
        warning."""
        try:
            named = self.checkpoint_dir("latest")
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("the latest-checkpoint pointer is damaged (%s)", error)
            named = None
        if named is not None and is_complete_step(named):
            return named
        complete = [d for d in self.paths.step_dirs() if is_complete_step(d)]
        if not complete:
            if named is not None:
                raise FileNotFoundError(f"checkpoint {named} named by latest.json is missing")
            return None
        logger.warning(
            "latest.json does not name a complete checkpoint; resuming from %s", complete[-1].name
        )
        return complete[-1]

    def remove_leftovers(self) -> list[Path]:
        """Delete what an interrupted save leaves (`*.partial` directories, `.*.tmp` files);
        returns what was removed."""
        removed = []
        for folder in (self.paths.checkpoints_dir, self.paths.buffers_dir, self.paths.run_dir):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.is_dir() and path.name.endswith(".partial"):
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
                elif path.is_file() and path.name.startswith(".") and path.name.endswith(".tmp"):
                    path.unlink(missing_ok=True)
                    removed.append(path)
        for step_dir in self.paths.step_dirs():
            for path in step_dir.glob(".*.tmp"):
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def save_bytes_needed(self) -> int:
        """Bytes the next checkpoint and buffer save write beside what they replace: the
        latest step directory's size plus the buffer file's (0 for a run with neither)."""
        step_dir = self.resume_dir()
        files = [] if step_dir is None else [p for p in step_dir.iterdir() if p.is_file()]
        if self.paths.buffer_path.is_file():
            files.append(self.paths.buffer_path)
        return sum(path.stat().st_size for path in files)

    def save_buffer(self, data: BufferData) -> Path:
        self.serializer.save_buffer(self.paths.buffer_path, data)
        return self.paths.buffer_path

    def load_initial_state(self) -> LoadedTrainingState:
        """The checkpoint to resume from (`resume_dir`) and the run's buffer, if any."""
        step_dir = self.resume_dir()
        if step_dir is None:
            return LoadedTrainingState()
        state = load_checkpoint_dir(step_dir)
        if self.paths.buffer_path.is_file():
            state.buffer = self.serializer.load_buffer(self.paths.buffer_path)
        return state


def is_complete_step(step_dir: Path) -> bool:
    return all((step_dir / name).is_file() for name in (MODEL_FILE, TRAINER_FILE, STATE_FILE))


def load_checkpoint_dir(step_dir: Path) -> LoadedTrainingState:
    """Read one step directory (raises `FileNotFoundError` / `ValueError` when damaged)."""
    for name in (MODEL_FILE, TRAINER_FILE, STATE_FILE):
        if not (step_dir / name).is_file():
            raise FileNotFoundError(f"checkpoint {step_dir} has no {name}")
    serializer = Serializer()
    payload = serializer.load_json(step_dir / STATE_FILE)
    if not isinstance(payload, dict):
        raise ValueError(f"{step_dir / STATE_FILE} is not a checkpoint state (a JSON object)")
    version = checkpoint_format_version(payload, step_dir)
    checkpoint = CheckpointData.model_validate({**payload, "format_version": version})
    return LoadedTrainingState(
        checkpoint=checkpoint,
        weights=serializer.load_weights(step_dir / MODEL_FILE),
        trainer_state=serializer.load_torch_state(step_dir / TRAINER_FILE),
        checkpoint_dir=str(step_dir),
    )


def checkpoint_format_version(payload: dict[str, Any], where: Path) -> int:
    """The format a saved state declares (1 when it has none); raises `ValueError` for a newer
    format than this code reads."""
    version = payload.get("format_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"{where} declares an invalid format version {version!r}")
    if version > CHECKPOINT_FORMAT_VERSION:
        raise ValueError(
            f"{where} is checkpoint format {version}, newer than format "
            f"{CHECKPOINT_FORMAT_VERSION} that this alphatriangle reads: upgrade alphatriangle"
        )
    return version
