"""Helpers for tests that build, copy and compare training runs on disk."""

import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from alphatriangle.config import RunConfig, load_run_config
from alphatriangle.data import PathManager
from alphatriangle.data.run_lock import LOCK_FILE


def quick_config(root: Path, *extra: str) -> RunConfig:
    """The `quick` preset writing under `root`, with `section.KEY=value` overrides."""
    return load_run_config("quick", overrides=[f"persistence.ROOT_DATA_DIR={root}", *extra])


def train_command(
    root: Path, run_name: str, *settings: str, ray_address: str | None = None
) -> list[str]:
    """`alphatriangle train` on the quick preset with no step limit, joined to the tests' Ray
    (or the cluster at `ray_address`), with `section.KEY=value` overrides; flags after it
    override its own."""
    import ray

    command = [
        sys.executable, "-m", "alphatriangle", "train", "--preset", "quick",
        "--run-name", run_name, "--max-steps", "1000000",
        "--ray-address", ray_address or ray.get_runtime_context().gcs_address,
        "--set", f"persistence.ROOT_DATA_DIR={root}",
    ]  # fmt: skip
    for setting in settings:
        command += ["--set", setting]
    return command


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with its size and modification time (but the run lock, which
    names its latest holder)."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != LOCK_FILE
    }


def copy_run(trained: Path, tmp_path: Path) -> tuple[Path, PathManager]:
    """A private copy of the `trained_run` fixture's data directory and its run's paths; its
    MLflow store names the copy's artifacts, so a resumed copy writes nothing outside it."""
    root = tmp_path / "data"
    shutil.copytree(trained, root)
    store = root / "mlflow.db"
    if store.is_file():
        with closing(sqlite3.connect(store)) as db, db:
            for table, column in (("experiments", "artifact_location"), ("runs", "artifact_uri")):
                db.execute(
                    f"UPDATE {table} SET {column} = replace({column}, ?, ?)",
                    (trained.resolve().as_uri(), root.resolve().as_uri()),
                )
    return root, PathManager(root, "base")
