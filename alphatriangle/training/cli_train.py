"""`alphatriangle train`: configuration from flags, signals, the live view, the run."""

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.live import Live

from alphatriangle.config import ConfigError, load_run_config
from alphatriangle.data import check_run_name
from alphatriangle.nn import resolve_device
from alphatriangle.training.live_view import LiveView, TrainingProgress, render_progress
from alphatriangle.training.logging_utils import setup_console_logging
from alphatriangle.training.runner import EXIT_STOPPED, run_training
from alphatriangle.utils import UserError

REPEAT_GRACE_SECONDS = 1.0
"""A second signal this soon after the first is the same one delivered twice (`timeout` and
`kill -INT -PGID` signal the process and its group), not a second Ctrl-C."""


def _install_stop_handler(stop: threading.Event, console: Console) -> None:
    """First Ctrl-C (or SIGTERM): stop after a final checkpoint. Second: quit at once."""
    first_signal_at: float | None = None

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal first_signal_at
        now = time.monotonic()
        if first_signal_at is not None:
            if now - first_signal_at >= REPEAT_GRACE_SECONDS:
                os._exit(EXIT_STOPPED)
            return
        first_signal_at = now
        stop.set()
        console.print(
            "[yellow]stopping: saving a final checkpoint (Ctrl-C again quits at once)[/yellow]"
        )
        console.file.flush()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


FLAG_SETTINGS = {
    "max_steps": "train.MAX_TRAINING_STEPS",
    "minutes": "train.MAX_TRAINING_MINUTES",
    "seed": "train.RANDOM_SEED",
    "workers": "selfplay.WORKERS",
    "device": "train.DEVICE",
    "ray_address": "train.RAY_ADDRESS",
    "mlflow_uri": "persistence.MLFLOW_TRACKING_URI",
}
"""`alphatriangle train` flags and the setting each one overrides (after `--set`)."""


@dataclass(frozen=True)
class TrainRequest:
    """What `alphatriangle train` was asked: where the settings come from, and the run."""

    preset: str
    config_file: Path | None
    overrides: list[str]
    flags: dict[str, Any]
    """Flag name (a key of `FLAG_SETTINGS`) to value, for the flags given."""
    run_name: str | None
    resume: bool
    log_level: str
    """DEBUG, INFO, WARNING or ERROR, in any case (the command line checks it)."""


def train_command(request: TrainRequest, console: Console) -> int:
    """Validate everything the user asked for, then run; user errors raise `UserError`."""
    level = request.log_level.upper()
    settings = {FLAG_SETTINGS[flag]: value for flag, value in request.flags.items()}
    try:
        config = load_run_config(request.preset, request.config_file, request.overrides, settings)
        if config.train.AGENT == "ntuple" and config.train.RAY_ADDRESS is not None:
            raise ValueError(
                "the n-tuple baseline trains in one process on this machine's cores "
                "(--workers threads); leave out --ray-address"
            )
        resolve_device(config.train.DEVICE)
        try:
            resolve_device(config.selfplay.DEVICE)
        except ValueError:
            raise ValueError(
                f"selfplay.DEVICE is {config.selfplay.DEVICE!r} but no CUDA GPU is "
                "available; use cpu or auto"
            ) from None
        if request.run_name is not None:
            check_run_name(request.run_name)
    except (ConfigError, ValueError) as error:
        raise UserError(str(error)) from None

    interactive = console.is_terminal
    setup_console_logging(getattr(logging, level), stream=sys.stderr if interactive else sys.stdout)
    if interactive:
        logging.getLogger().handlers[-1].setLevel(logging.WARNING)
    stop = threading.Event()
    _install_stop_handler(stop, console)
    try:
        if not interactive:
            return run_training(config, request.run_name, request.resume, stop_event=stop)
        placeholder = render_progress(TrainingProgress(run_name=request.run_name or "..."))
        with Live(placeholder, console=console, refresh_per_second=4) as live:
            return run_training(
                config, request.run_name, request.resume, stop_event=stop,
                progress_callback=LiveView(live).update,
            )  # fmt: skip
    except ConfigError as error:
        raise UserError(str(error)) from None
