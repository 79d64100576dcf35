"""`StatsCollector`: bounded metric history, forwarded to MLflow and TensorBoard in batches.

Values arrive with a `StepInfo`; those carrying a `global_step` are averaged per step and
written by a background thread every `flush_interval` seconds, so logging never waits on
MLflow (a sqlite `log_metric` costs ~20 ms) or on TensorBoard's disk writes.
"""

import logging
import threading
import time
from collections import deque
from typing import Any

from alphatriangle.utils import StepInfo

logger = logging.getLogger(__name__)

MetricEntry = tuple[float, StepInfo]

STEP_INFO_KEYS = tuple(StepInfo.__annotations__)
CHECKPOINT_HISTORY = 1_000
"""Newest entries per metric a checkpoint keeps (the dashboards hold the full history)."""


class StatsCollector:
    """Use in-process or as a Ray actor (`stats_collector_actor()`)."""

    def __init__(
        self,
        max_history: int = 5_000,
        mlflow_tracking_uri: str | None = None,
        mlflow_run_id: str | None = None,
        tensorboard_dir: str | None = None,
        flush_interval: float = 2.0,
    ) -> None:
        self.max_history = max_history
        self._data: dict[str, deque[MetricEntry]] = {}
        self._pending: dict[tuple[str, int], list[float]] = {}
        self._lock = threading.Lock()
        self._mlflow: Any = None
        self._run_id = mlflow_run_id
        if mlflow_tracking_uri and mlflow_run_id:
            from mlflow.tracking import MlflowClient

            self._mlflow = MlflowClient(tracking_uri=mlflow_tracking_uri)
        self._writer: Any = None
        if tensorboard_dir:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=tensorboard_dir)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self._mlflow is not None or self._writer is not None:
            self._thread = threading.Thread(
                target=self._flush_loop, args=(flush_interval,), daemon=True
            )
            self._thread.start()

    def ping(self) -> bool:
        """Answers while the collector is alive (the training loop's health check)."""
        return True

    def log(self, name: str, value: float, step_info: StepInfo) -> None:
        self.log_batch({name: [(value, step_info)]})

    def log_batch(self, metrics: dict[str, list[MetricEntry]]) -> None:
        with self._lock:
            for name, entries in metrics.items():
                history = self._data.setdefault(name, deque(maxlen=self.max_history))
                for value, info in entries:
                    history.append((float(value), dict(info)))  # type: ignore[arg-type]
                    step = info.get("global_step")
                    if step is not None:
                        self._pending.setdefault((name, int(step)), []).append(float(value))

    def get_data(self) -> dict[str, list[MetricEntry]]:
        with self._lock:
            return {name: list(history) for name, history in self._data.items()}

    def get_metric_data(self, name: str) -> list[MetricEntry]:
        with self._lock:
            return list(self._data.get(name, ()))

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._pending.clear()

    def get_state(self) -> dict[str, Any]:
        """The newest `CHECKPOINT_HISTORY` entries per metric as columns of plain numbers
        (compact JSON for checkpoints): the values, and each `StepInfo` key (-1 if absent)."""
        with self._lock:
            columns = {}
            for name, history in self._data.items():
                entries = list(history)[-CHECKPOINT_HISTORY:]
                column: dict[str, list[float] | list[int]] = {"value": [v for v, _ in entries]}
                plain: list[dict[str, int]] = [dict(info) for _, info in entries]  # type: ignore[arg-type]
                for key in STEP_INFO_KEYS:
                    column[key] = [entry.get(key, -1) for entry in plain]
                columns[name] = column
            return {"max_history": self.max_history, "columns": columns}

    def set_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self.max_history = int(state.get("max_history", self.max_history))
            self._data = {}
            for name, column in state.get("columns", {}).items():
                history: deque[MetricEntry] = deque(maxlen=self.max_history)
                for i, value in enumerate(column["value"]):
                    info = {key: column[key][i] for key in STEP_INFO_KEYS if column[key][i] >= 0}
                    history.append((float(value), info))  # type: ignore[arg-type]
                self._data[name] = history

    def flush(self) -> int:
        """Write pending per-step averages to MLflow and TensorBoard; return how many."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        averages = {key: sum(vals) / len(vals) for key, vals in pending.items()}
        if self._writer is not None:
            for (name, step), value in averages.items():
                self._writer.add_scalar(name, value, step)
            self._writer.flush()
        if self._mlflow is not None:
            from mlflow.entities import Metric

            now = int(time.time() * 1000)
            metrics = [
                Metric(key=_mlflow_key(name), value=value, timestamp=now, step=step)
                for (name, step), value in averages.items()
            ]
            for start in range(0, len(metrics), 1000):
                self._mlflow.log_batch(self._run_id, metrics=metrics[start : start + 1000])
        return len(averages)

    def _flush_loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            except Exception:  # a dashboard hiccup must never stop training
                logger.exception("flushing metrics failed; will retry")

    def close(self) -> None:
        """Stop the background thread and write everything still pending."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()
        if self._writer is not None:
            self._writer.close()


def _mlflow_key(name: str) -> str:
    """MLflow keys allow letters, digits, '_', '-', '.', ' ', '/'."""
    return "".join(ch if ch.isalnum() or ch in "_-. /" else "_" for ch in name)


def stats_collector_actor(**options: Any) -> Any:
    """`StatsCollector` as a Ray actor class (Ray is imported only when asked for)."""
    import ray

    return ray.remote(num_cpus=0, **options)(StatsCollector)
