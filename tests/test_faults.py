"""Fault injection on the `quick` preset, against the real `alphatriangle train` process.

- SIGKILL the trainer at random moments and resume every time: `FAULT_KILLS` times (3 in
  CI; `make faults` runs 20). Each resume succeeds, the step never goes back by more than
  one checkpoint interval, the killed run's Ray actors are gone, no temporary file survives.
- SIGKILL its self-play worker, evaluator and stats actor mid-run: each is replaced, the
  run keeps playing and checkpointing, and metrics reach MLflow through the new collector.
- Fill its disk (a small tmpfs, where this process may mount one) and make it read-only: one
  line, the last checkpoint intact, and a resume once space is back.
- Damage every file kind of a run and plant pickle payloads in the files resume loads: one
  line, exit 2, nothing in the run written and no payload run.
"""

import errno
import os
import pickle
import random
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray
from run_files import copy_run, quick_config, snapshot, train_command
from waiting import wait_for

from alphatriangle.config import ConfigError, load_run_config
from alphatriangle.data import DataManager, PathManager, Serializer
from alphatriangle.data.serializer import buffer_from_file, read_json
from alphatriangle.nn import NeuralNetwork
from alphatriangle.training import run_training

pytestmark = [pytest.mark.usefixtures("ray_local"), pytest.mark.faults]
INTERVAL = 10


def _steps_on_disk(paths: PathManager) -> int:
    steps = [int(d.name.split("_")[1]) for d in paths.step_dirs()]
    return max(steps, default=0)


def _alive_actors_of_other_jobs() -> list[int]:
    """Pids of Ray actors alive now that this test process did not create (the trainer's)."""
    from ray._private.state import state

    own = ray.get_runtime_context().get_job_id()
    return [
        int(actor["Pid"])
        for actor in state.actor_table(None).values()
        if actor["State"] == "ALIVE" and actor["JobID"] != own
    ]


def _actors_of(driver_pid: int, class_name: str) -> list[int]:
    """Pids of the live actors of `class_name` that the process `driver_pid` created."""
    from ray._private.state import state

    table: list[dict[str, Any]] = state.job_table()  # type: ignore[no-untyped-call]
    jobs = {job["JobID"] for job in table if job["DriverPid"] == driver_pid}
    return [
        int(actor["Pid"])
        for actor in state.actor_table(None).values()
        if actor["State"] == "ALIVE"
        and actor["JobID"] in jobs
        and actor["ActorClassName"] == class_name
    ]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_sigkill_at_random_moments_and_resume(tmp_path: Path) -> None:
    kills = int(os.environ.get("FAULT_KILLS", "3"))
    rng = random.Random(2026)
    paths = PathManager(tmp_path, "faults")
    command = train_command(
        tmp_path, "faults", f"train.CHECKPOINT_SAVE_FREQ_STEPS={INTERVAL}",
        "persistence.BUFFER_SAVE_FREQ_STEPS=20", "evaluation.FREQ_STEPS=30",
    )  # fmt: skip
    log = tmp_path / "train.out"
    resumed_steps: list[int] = []
    on_disk_at_kill = 0
    for round_index in range(kills + 1):
        with log.open("w") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            first = _steps_on_disk(paths)
            while _steps_on_disk(paths) <= first and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
            assert _steps_on_disk(paths) > first, "no new checkpoint: " + log.read_text()[-3000:]
            text = log.read_text()
            if round_index > 0:
                found = re.search(r"resumed at step (\d+)", text)
                assert found is not None, text[-3000:]
                resumed_steps.append(int(found.group(1)))
                assert int(found.group(1)) >= on_disk_at_kill - INTERVAL
            if round_index == kills:
                proc.send_signal(signal.SIGINT)
                assert proc.wait(timeout=240) == 130, log.read_text()[-3000:]
                break
            time.sleep(rng.uniform(0.0, 4.0))
            on_disk_at_kill = _steps_on_disk(paths)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            _stop(proc)
        wait_for(lambda: not _alive_actors_of_other_jobs(), 60, "the killed run's actors to go")
    assert len(resumed_steps) == kills
    leftovers = [*paths.run_dir.rglob("*.tmp"), *paths.run_dir.rglob("*.partial")]
    assert leftovers == []
    final = DataManager(paths).load_initial_state()
    assert final.checkpoint is not None and final.checkpoint.global_step >= max(resumed_steps)


def _positions_played(paths: PathManager) -> int:
    """Self-play positions counted by the newest checkpoint (one pruned while read is
    skipped)."""
    for step_dir in reversed(paths.step_dirs()):
        try:
            return int(read_json(step_dir / "state.json")["counters"]["positions_played"])
        except FileNotFoundError:
            continue
    return 0


def _kill_actor_and_watch_the_run_go_on(
    proc: subprocess.Popen[bytes], paths: PathManager, log: Path, class_name: str, message: str
) -> int:
    """SIGKILL the trainer's actor of `class_name`; the log names the fault, a new actor takes
    its place and checkpoints keep coming with new self-play positions. Returns the step
    on disk once the fault was logged."""
    wait_for(lambda: _actors_of(proc.pid, class_name), 240, f"the trainer's {class_name}")
    killed = _actors_of(proc.pid, class_name)[0]
    positions = _positions_played(paths)
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: message in log.read_text(), 120, f"'{message}' in the log")
    logged_at = _steps_on_disk(paths)
    wait_for(
        lambda: [pid for pid in _actors_of(proc.pid, class_name) if pid != killed],
        240,
        f"a new {class_name}",
    )
    wait_for(lambda: _positions_played(paths) > positions, 240, "a checkpoint with new games")
    assert proc.poll() is None, log.read_text()[-3000:]
    return logged_at


def test_killed_worker_evaluator_and_stats_actor_are_replaced_mid_run(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    paths = PathManager(tmp_path, "actors")
    log = tmp_path / "train.out"
    command = train_command(
        tmp_path, "actors", "evaluation.FREQ_STEPS=20", "evaluation.GAMES=16",
        "evaluation.SIMULATIONS=16",
    )  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        for class_name, message in [
            ("SelfPlayWorker", "self-play worker 0 failed"),
            ("Evaluator", "evaluation failed ("),
            ("StatsCollector", "replaced it (1 of 3)"),
        ]:
            replaced_at = _kill_actor_and_watch_the_run_go_on(proc, paths, log, class_name, message)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=240) == 130, log.read_text()[-3000:]
    finally:
        _stop(proc)
    assert "restarting it in 1 s (failure 1 of 5)" in log.read_text()
    client = MlflowClient(tracking_uri=paths.default_tracking_uri())
    run_id = read_json(paths.step_dir(_steps_on_disk(paths)) / "state.json")["mlflow_run_id"]
    logged = [m.step for m in client.get_metric_history(run_id, "Loss/Total")]
    assert max(logged) > replaced_at, "no metrics from the new stats collector"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MiB tmpfs: a real file system that fills up (skipped where mount is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)]
    if subprocess.run(command, capture_output=True).returncode != 0:
        pytest.skip("filling a disk needs a small tmpfs, and this process may not mount one")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _write_until_full(fd: int, chunk: int) -> int:
    """Write `chunk`-byte blocks until the file system refuses; returns the errno."""
    try:
        while True:
            os.write(fd, b"\0" * chunk)
    except OSError as error:
        return error.errno or 0


def _fill(directory: Path) -> Path:
    """Write a file until the file system has no byte left; returns it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        assert [_write_until_full(fd, chunk) for chunk in (1 << 20, 4096, 1)] == [errno.ENOSPC] * 3
    finally:
        os.close(fd)
    return filler


def test_a_full_then_read_only_disk_gets_one_line_and_keeps_the_last_checkpoint(
    small_disk: Path, tmp_path: Path
) -> None:
    paths = PathManager(small_disk, "full")
    log = tmp_path / "train.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            train_command(small_disk, "full"), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: _steps_on_disk(paths) >= INTERVAL, 240, "a checkpoint")
        filler = _fill(small_disk)
        saved = _steps_on_disk(paths)
        code = proc.wait(timeout=240)
    finally:
        _stop(proc)
    text = log.read_text()
    assert code == 1, text[-3000:]
    stop_lines = [line for line in text.splitlines() if "training stopped:" in line]
    assert len(stop_lines) == 1 and "No space left on device" in stop_lines[0], text[-3000:]
    loaded = DataManager(paths).load_initial_state()
    assert loaded.checkpoint is not None and loaded.checkpoint.global_step >= saved
    assert loaded.weights is not None

    full = subprocess.run(train_command(small_disk, "full"), capture_output=True, text=True)
    assert full.returncode == 2 and full.stderr.count("\n") == 1, full.stderr[-3000:]
    assert "No space left on device" in full.stderr and "Traceback" not in full.stderr

    filler.unlink()
    before = snapshot(small_disk)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    read_only = subprocess.run(train_command(small_disk, "full"), capture_output=True, text=True)
    assert read_only.returncode == 2 and read_only.stderr.count("\n") == 1, read_only.stderr
    assert "Read-only file system" in read_only.stderr and "Traceback" not in read_only.stderr
    assert snapshot(small_disk) == before

    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    target = _steps_on_disk(paths) + INTERVAL
    resumed = subprocess.run(
        [*train_command(small_disk, "full"), "--max-steps", str(target)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert _steps_on_disk(paths) == target


class _Payload:
    """Unpickling this runs a shell command that leaves a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _damage(paths: PathManager, what: str, marker: Path) -> None:
    step = paths.step_dir(20)
    if what == "best pointer":
        paths.pointer("best").write_text('{"step_dir": 7}')
    elif what == "state":
        (step / "state.json").write_text("[1, 2")
    elif what == "trainer":
        (step / "trainer.pt").write_bytes(b"\x80\x02not a torch file")
    elif what == "trainer with a pickle payload":
        (step / "trainer.pt").write_bytes(pickle.dumps({"optimizer": _Payload(marker)}, protocol=2))
    elif what == "weights of another size":
        other = load_run_config("quick", overrides=["model.CONV_FILTERS=4"])
        weights = NeuralNetwork(other.model, other.env, device="cpu").get_weights()
        Serializer().save_weights(step / "model.safetensors", weights)
    elif what == "buffer with a pickle payload":
        with np.load(paths.buffer_path) as stored:
            arrays = dict(stored)
        arrays["value"] = np.array([_Payload(marker)], dtype=object)
        with paths.buffer_path.open("wb") as out:
            np.savez(out, allow_pickle=True, **arrays)
    else:
        data = buffer_from_file(paths.buffer_path)
        if what == "buffer of other shapes":
            data.other = data.other[:, :-1]
        elif what == "buffer with NaN":
            data.value[0] = np.nan
        else:
            data.priorities[0] = -1.0
        Serializer().save_buffer(paths.buffer_path, data)


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("best pointer", "names 7, not a step directory"),
        ("state", "cannot resume run 'base'"),
        ("trainer", "cannot resume run 'base'"),
        ("trainer with a pickle payload", "cannot resume run 'base'"),
        ("weights of another size", "cannot resume run 'base'"),
        ("buffer of other shapes", "buffer other has shape"),
        ("buffer with NaN", "buffer value holds NaN"),
        ("buffer with a negative priority", "buffer priorities holds negative"),
        ("buffer with a pickle payload", "cannot resume run 'base'"),
    ],
)
def test_damaged_files_are_refused_before_anything_is_written(
    trained_run: Path, tmp_path: Path, what: str, message: str
) -> None:
    root, paths = copy_run(trained_run, tmp_path)
    marker = tmp_path / "payload-ran"
    _damage(paths, what, marker)
    before = snapshot(root)
    with pytest.raises(ConfigError, match=message) as error:
        run_training(quick_config(root, "train.MAX_TRAINING_STEPS=30"), run_name="base")
    assert "\n" not in str(error.value)
    assert snapshot(root) == before
    assert not marker.exists()
