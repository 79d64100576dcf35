"""Logging for training runs: a file per run, console output, configs to MLflow."""

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def get_root_logger() -> logging.Logger:
    return logging.getLogger()


def setup_file_logging(
    log_dir: Path, run_name: str, mode: str = "a", level: int = logging.INFO
) -> str:
    """Add a handler writing the whole run's log to `<log_dir>/<run_name>.log`; return its
    absolute path (`close_file_logging` removes it)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = (log_dir / f"{run_name}.log").resolve()
    root = get_root_logger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler) and handler.baseFilename == str(path):
            return str(path)
    handler = logging.FileHandler(path, mode=mode)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return str(path)


def close_file_logging(path: str) -> None:
    """Remove and close the handler `setup_file_logging` added for `path`, so a later run in
    the same process does not write into this run's log."""
    root = get_root_logger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler) and handler.baseFilename == path:
            root.removeHandler(handler)
            handler.close()


def setup_console_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    root = get_root_logger()
    root.setLevel(level)
    if not any(getattr(h, "_alphatriangle_console", False) for h in root.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.setLevel(level)
        handler._alphatriangle_console = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for noisy in ("mlflow", "alembic", "urllib3", "numba", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Tee:
    """A text stream that writes to several streams (e.g. stdout and the run's log file)."""

    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def isatty(self) -> bool:
        return False


def flatten_params(configs: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested config dicts as `section.KEY` -> string value (MLflow params)."""
    flat: dict[str, str] = {}
    for key, value in configs.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_params(value, f"{name}."))
        else:
            flat[name] = json.dumps(value) if isinstance(value, list | tuple) else str(value)
    return flat


def log_configs_to_mlflow(configs: dict[str, Any]) -> None:
    """Every setting as an MLflow param, and the whole config as `configs.json`."""
    import mlflow

    params = flatten_params(configs)
    items = list(params.items())
    for start in range(0, len(items), 100):
        mlflow.log_params(dict(items[start : start + 100]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "configs.json"
        path.write_text(json.dumps(configs, indent=2, sort_keys=True))
        mlflow.log_artifact(str(path))
