"""Runs that survive: one writer per run, saves that never orphan a pointer, resume after a
crash's leftovers, another network refused by name, a lost MLflow store, failing workers,
evaluator and stats collector (the fault-injection script is `test_faults.py`)."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import ray
from run_files import copy_run, quick_config, snapshot
from waiting import wait_for

from alphatriangle.cli import main
from alphatriangle.config import ConfigError
from alphatriangle.data import BufferData, CheckpointData, DataManager, PathManager, RunCounters
from alphatriangle.data.run_lock import RunInUseError, RunLock
from alphatriangle.data.run_opening import resolve_run_name
from alphatriangle.data.serializer import buffer_from_file, read_json
from alphatriangle.training import TrainingLoop, run_training, setup_training_components
from alphatriangle.training.setup import prepare_local_ray_environment
from alphatriangle.training.worker_manager import WorkerFailedError, WorkerManager, backoff_seconds

CLI = [sys.executable, "-m", "alphatriangle"]
TASK_EVENTS = "RAY_task_events_max_num_task_in_gcs"


def test_run_lock_is_exclusive_and_freed_when_its_holder_dies(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "r"
    first = RunLock(run_dir).acquire()
    with pytest.raises(RunInUseError, match=rf"run 'r' is in use .*pid {os.getpid()}"):
        RunLock(run_dir).acquire()
    first.release()
    with RunLock(run_dir):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from alphatriangle.data.run_lock import "
         f"RunLock; RunLock(Path({str(run_dir)!r})).acquire(); print('held', flush=True); "
         "time.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUseError, match=f"pid {holder.pid}"):
            RunLock(run_dir).acquire()
    finally:
        holder.kill()
        holder.wait()
    with RunLock(run_dir):
        pass


def test_a_second_train_on_a_run_in_use_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "busy"
    with RunLock(run_dir):
        before = snapshot(tmp_path)
        proc = subprocess.run(
            [*CLI, "train", "--preset", "quick", "--run-name", "busy",
             "--set", f"persistence.ROOT_DATA_DIR={tmp_path}"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and "run 'busy' is in use" in proc.stderr
    assert snapshot(tmp_path) == before


def test_two_new_runs_in_the_same_second_get_two_names(tmp_path: Path) -> None:
    config = quick_config(tmp_path)
    first, resumed_first = resolve_run_name(config.persistence_root, None, resume=False)
    second, resumed_second = resolve_run_name(config.persistence_root, None, resume=False)
    assert first != second and not resumed_first and not resumed_second
    assert (tmp_path / "runs" / first).is_dir() and (tmp_path / "runs" / second).is_dir()


def _checkpoint(step: int) -> CheckpointData:
    return CheckpointData(run_name="r", counters=RunCounters(global_step=step), configs={"x": 1})


def test_saving_a_step_again_never_leaves_a_pointer_to_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = DataManager(PathManager(tmp_path, "r"))
    step_dir = manager.save_checkpoint(_checkpoint(7), {"w": np.ones(2, np.float32)}, {})
    manager.mark_best(step_dir)

    def failing_rename(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "rename", failing_rename)
    manager.save_checkpoint(_checkpoint(7), {"w": np.ones(2, np.float32)}, {"n": 1})
    monkeypatch.undo()
    assert manager.checkpoint_dir("latest") == step_dir == manager.checkpoint_dir("best")
    loaded = manager.load_initial_state()
    assert loaded.checkpoint is not None and loaded.checkpoint.global_step == 7
    assert loaded.trainer_state == {"n": 1}


def test_resume_falls_back_to_the_newest_complete_step_and_clears_leftovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = DataManager(PathManager(tmp_path, "r"))
    for step in (5, 10):
        manager.save_checkpoint(_checkpoint(step), {"w": np.full(2, step, np.float32)}, {})
    pointer = manager.paths.pointer("latest")
    (manager.paths.checkpoints_dir / "step_000000015.partial").mkdir()
    (manager.paths.checkpoints_dir / ".latest.json.abc.tmp").write_text("{")
    (manager.paths.step_dir(10) / ".model.safetensors.x.tmp").write_bytes(b"half")
    for damage in ("missing", "garbage", "elsewhere", "traversal"):
        if damage == "missing":
            pointer.unlink()
        elif damage == "garbage":
            pointer.write_text("{not json")
        elif damage == "elsewhere":
            pointer.write_text(json.dumps({"step_dir": "step_000000099"}))
        else:
            pointer.write_text(json.dumps({"step_dir": "../../../etc"}))
        with caplog.at_level(logging.WARNING):
            loaded = manager.load_initial_state()
        assert loaded.checkpoint is not None and loaded.checkpoint.global_step == 10, damage
        assert "resuming from step_000000010" in caplog.text
        caplog.clear()
    removed = {p.name for p in manager.remove_leftovers()}
    assert removed == {"step_000000015.partial", ".latest.json.abc.tmp", ".model.safetensors.x.tmp"}
    assert not list(manager.paths.run_dir.rglob("*.tmp"))
    assert not list(manager.paths.run_dir.rglob("*.partial"))


def test_the_bytes_a_save_needs_are_the_latest_step_and_the_buffer(tmp_path: Path) -> None:
    manager = DataManager(PathManager(tmp_path, "r"))
    assert manager.save_bytes_needed() == 0
    for step in (5, 10):
        manager.save_checkpoint(_checkpoint(step), {"w": np.zeros(4 * step, np.float32)}, {})
    latest = manager.paths.step_dir(10)
    step_bytes = sum(p.stat().st_size for p in latest.iterdir())
    assert step_bytes > 4 * 10 * 4
    assert manager.save_bytes_needed() == step_bytes
    manager.paths.buffer_path.write_bytes(b"\0" * 1000)
    assert manager.save_bytes_needed() == step_bytes + 1000


def test_a_buffer_checks_its_shapes_and_values() -> None:
    n, board_shape, other_dim, actions = 4, (2, 3, 3), 5, 6

    def buffer(**changes: Any) -> BufferData:
        data = BufferData(
            board=np.zeros((n, *board_shape), np.uint8),
            other=np.zeros((n, other_dim), np.float32),
            policy=np.full((n, actions), 1 / actions, np.float32),
            value=np.zeros(n, np.float32),
            position=0,
            size=n,
            priorities=np.ones(n),
            max_priority=1.0,
        )
        for key, value in changes.items():
            setattr(data, key, value)
        return data

    buffer().check(board_shape, other_dim, actions, 3)
    cases: dict[str, dict[str, Any]] = {
        "board has shape": {"board": np.zeros((n, 2, 3, 4), np.uint8)},
        "board has type": {"board": np.zeros((n, *board_shape), np.float32)},
        "policy has shape": {"policy": np.zeros((n, actions + 1), np.float32)},
        "value holds NaN": {"value": np.array([0, np.nan, 0, 0], np.float32)},
        "priorities holds negative": {"priorities": np.array([1.0, -1.0, 1.0, 1.0])},
        "position 9": {"position": 9},
        "max priority": {"max_priority": float("nan")},
    }
    for message, changes in cases.items():
        with pytest.raises(ValueError, match=message):
            buffer(**changes).check(board_shape, other_dim, actions, 3)


def test_resuming_with_another_network_names_the_setting_before_loading_weights(
    trained_run: Path, tmp_path: Path
) -> None:
    root, _ = copy_run(trained_run, tmp_path)
    before = snapshot(root)
    other = quick_config(root, "train.MAX_TRAINING_STEPS=30", "model.CONV_FILTERS=4")
    with pytest.raises(ConfigError, match="was trained with different model settings"):
        run_training(other, run_name="base")
    assert snapshot(root) == before


def test_resume_after_losing_the_mlflow_store_starts_a_new_mlflow_run(
    trained_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, paths = copy_run(trained_run, tmp_path)
    old_run = read_json(paths.step_dir(20) / "state.json")["mlflow_run_id"]
    (root / "mlflow.db").unlink()
    with caplog.at_level(logging.WARNING):
        code = run_training(quick_config(root, "train.MAX_TRAINING_STEPS=30"), run_name="base")
    assert code == 0
    assert "logging to a new MLflow run" in caplog.text
    new_run = read_json(paths.step_dir(30) / "state.json")["mlflow_run_id"]
    assert new_run not in (None, old_run)
    assert buffer_from_file(paths.buffer_path).global_step == 30


def test_local_ray_keeps_token_authentication_and_bounds_its_gcs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("RAY_AUTH_MODE", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", TASK_EVENTS):
        monkeypatch.delenv(name, raising=False)
    prepare_local_ray_environment()
    assert "RAY_AUTH_MODE" not in os.environ
    assert os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"
    assert os.environ[TASK_EVENTS] == "2000"
    monkeypatch.setenv(TASK_EVENTS, "500")
    prepare_local_ray_environment()
    assert os.environ[TASK_EVENTS] == "500"  # the user's own setting wins


def _manager_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_per_actor: list[int]
) -> WorkerManager:
    config = quick_config(tmp_path, "selfplay.WORKERS=1")
    created = iter(fail_per_actor)

    class FlakyWorker:
        """A real actor standing in for a self-play worker: raises on its first `fail` calls
        (defined here so that Ray ships the class by value to its worker processes)."""

        def __init__(self, fail: int) -> None:
            self.fail = fail

        def run_for(self, max_seconds: float) -> list[object]:
            if self.fail > 0:
                raise RuntimeError("injected fault")
            return []

        def get_info(self) -> dict[str, int]:
            if self.fail > 1:
                raise RuntimeError("injected fault at start")
            return {"worker_id": 0, "pid": os.getpid()}

        def set_weights(self, weights: object) -> None:
            return None

        def set_current_trainer_step(self, step: int) -> None:
            return None

    flaky: Any = ray.remote(num_cpus=0)(FlakyWorker)
    monkeypatch.setattr(
        WorkerManager, "_create", lambda self, worker_id: flaky.remote(next(created))
    )
    components: Any = SimpleNamespace(config=config, num_workers=1, stats_collector_actor=None)
    manager = WorkerManager(components)
    manager.initialize_workers({}, 0)
    manager.worker_info()
    manager.submit_all()
    return manager


def _collect_until(manager: WorkerManager, done: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        for worker_id, _ in manager.get_completed_tasks(timeout=0.2):
            manager.submit_task(worker_id)


@pytest.mark.usefixtures("ray_local")
def test_a_worker_that_raises_is_restarted_with_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        manager = _manager_with(tmp_path, monkeypatch, [1, 1, 0])
        _collect_until(manager, lambda: manager.replacements == 2 and manager.failures[0] == 0)
    assert manager.replacements == 2 and manager.failures[0] == 0
    lines = [
        r.getMessage() for r in caplog.records if "self-play worker 0 failed" in r.getMessage()
    ]
    assert len(lines) == 2
    assert "injected fault" in lines[0] and "restarting it in 1 s (failure 1 of 5)" in lines[0]
    assert "restarting it in 2 s (failure 2 of 5)" in lines[1]
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 9)] == [1.0, 2.0, 4.0, 8.0, 30.0]
    manager.cleanup()


@pytest.mark.usefixtures("ray_local")
def test_a_worker_that_dies_at_start_is_restarted_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        manager = _manager_with(tmp_path, monkeypatch, [2, 0])
        assert 0 in manager.restart_due and 0 not in manager.workers
        _collect_until(manager, lambda: manager.replacements == 1 and manager.failures[0] == 0)
    assert manager.replacements == 1 and manager.failures[0] == 0
    assert "injected fault at start" in caplog.text
    assert "restarting it in 1 s (failure 1 of 5)" in caplog.text
    manager.cleanup()


@pytest.mark.usefixtures("ray_local")
def test_a_worker_that_always_fails_ends_the_run_with_one_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("alphatriangle.training.worker_manager.MAX_BACKOFF_SECONDS", 0.1)
    manager = _manager_with(tmp_path, monkeypatch, [1] * 10)
    with pytest.raises(WorkerFailedError, match="failed 5 times in a row; the last error") as error:
        _collect_until(manager, lambda: False, seconds=60)
    assert "injected fault" in str(error.value) and "\n" not in str(error.value)
    manager.cleanup()


@pytest.mark.usefixtures("ray_local")
def test_a_dead_evaluator_is_replaced_and_a_stop_does_not_wait_for_evaluation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = quick_config(
        tmp_path, "train.MAX_TRAINING_STEPS=100000", "evaluation.FREQ_STEPS=10",
        "evaluation.GAMES=64", "evaluation.SIMULATIONS=64",
    )  # fmt: skip
    components, _ = setup_training_components(
        config, "evalfault", tracking_uri=f"sqlite:///{tmp_path}/m.db"
    )
    assert components is not None
    loop = TrainingLoop(components)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(loop.run()))
    with caplog.at_level(logging.INFO):
        thread.start()
        try:
            wait_for(lambda: loop.evaluation.in_flight is not None, 240, "an evaluation")
            first = loop.evaluation.evaluator
            ray.kill(first)
            wait_for(lambda: loop.evaluation.failures == 1, 120, "the failure to be seen")
            evaluation = loop.evaluation
            wait_for(
                lambda: evaluation.evaluator is not None and evaluation.evaluator is not first,
                240,
                "a new evaluator",
            )
            wait_for(lambda: loop.evaluation.in_flight is not None, 240, "the next evaluation")
        finally:
            loop.request_stop()
            thread.join(timeout=240)
    assert result == ["stopped"]
    assert "evaluation failed (" in caplog.text
    assert "stopping without waiting for the running evaluation" in caplog.text
    ray.kill(components.stats_collector_actor)


def test_an_unwritable_data_directory_gets_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    setting = f"persistence.ROOT_DATA_DIR={blocker}/data"
    assert main(["train", "--preset", "quick", "--set", setting]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write run data under" in err, err
    assert "Traceback" not in err
    assert blocker.read_text() == "a file where the data directory should be"
