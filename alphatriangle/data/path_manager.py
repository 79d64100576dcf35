"""Where a run's files live: `.alphatriangle_data/runs/<run>/...`."""

import re
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path(".alphatriangle_data")
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_STEP_DIR = re.compile(r"^step_(\d{9})$")


def default_run_name() -> str:
    return time.strftime("run_%Y%m%d_%H%M%S")


def is_step_dir_name(name: str) -> bool:
    return _STEP_DIR.match(name) is not None


def check_run_name(name: str) -> str:
    if not _RUN_NAME.match(name):
        raise ValueError(
            f"run name {name!r} must start with a letter or digit and use only letters, "
            "digits, '_', '-' and '.' (at most 100 characters)"
        )
    return name


@dataclass(frozen=True)
class PathManager:
    """Paths of one run under a data root."""

    root: Path
    run_name: str

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def run_dir(self) -> Path:
        return self.runs_dir / self.run_name

    @property
    def checkpoints_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    @property
    def buffers_dir(self) -> Path:
        return self.run_dir / "buffers"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def tensorboard_dir(self) -> Path:
        return self.run_dir / "tensorboard"

    @property
    def replays_dir(self) -> Path:
        return self.run_dir / "replays"

    def replay_path(self, step: int) -> Path:
        """The HTML replay of the best game of the evaluation at `step`."""
        return self.replays_dir / f"step_{step:09d}_best.html"

    @property
    def config_path(self) -> Path:
        return self.run_dir / "configs.json"

    @property
    def warm_start_path(self) -> Path:
        """The n-tuple warm-start player's weights (`selfplay.WARM_START_PLAYER="ntuple"`)."""
        return self.run_dir / "ntuple_warm_start.safetensors"

    @property
    def buffer_path(self) -> Path:
        return self.buffers_dir / "buffer.npz"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.root / "mlartifacts"

    def default_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db.resolve()}"

    def step_dir(self, step: int) -> Path:
        return self.checkpoints_dir / f"step_{step:09d}"

    def pointer(self, name: str) -> Path:
        """`latest.json` / `best.json`: which step directory holds that checkpoint."""
        return self.checkpoints_dir / f"{name}.json"

    def step_dirs(self) -> list[Path]:
        """Complete step checkpoints, oldest first."""
        if not self.checkpoints_dir.is_dir():
            return []
        dirs = [p for p in self.checkpoints_dir.iterdir() if p.is_dir() and _STEP_DIR.match(p.name)]
        return sorted(dirs)

    def create(self) -> None:
        for d in (self.checkpoints_dir, self.buffers_dir, self.logs_dir, self.tensorboard_dir):
            d.mkdir(parents=True, exist_ok=True)

    def latest_run_name(self) -> str | None:
        """The most recently modified run that has a checkpoint."""
        if not self.runs_dir.is_dir():
            return None
        runs = [p for p in self.runs_dir.iterdir() if (p / "checkpoints" / "latest.json").is_file()]
        if not runs:
            return None
        return max(runs, key=lambda p: (p / "checkpoints" / "latest.json").stat().st_mtime).name
