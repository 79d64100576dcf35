"""Fault injection: SIGKILL `alphatriangle train` at random moments and resume every time.

CI kills it `FAULT_KILLS` times (3 by default); `make faults` runs 20. Each round checks that
the resume succeeds, that the step never goes back by more than one checkpoint interval,
that the killed run's Ray actors are gone and that no temporary file outlives a resume.
"""

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray

from alphatriangle.data import DataManager, PathManager

pytestmark = [pytest.mark.usefixtures("ray_local"), pytest.mark.faults]
CLI = [sys.executable, "-m", "alphatriangle"]
INTERVAL = 10


def _steps_on_disk(paths: PathManager) -> int:
    steps = [int(d.name.split("_")[1]) for d in paths.step_dirs()]
    return max(steps, default=0)


def _alive_actors_of_other_jobs() -> int:
    """Ray actors still alive that this test process did not create (the killed run's)."""
    from ray._private.state import state

    own = ray.get_runtime_context().get_job_id()
    return sum(
        1
        for actor in state.actor_table(None).values()
        if actor["State"] == "ALIVE" and actor["JobID"] != own
    )


def test_sigkill_at_random_moments_and_resume(tmp_path: Path) -> None:
    kills = int(os.environ.get("FAULT_KILLS", "3"))
    rng = random.Random(2026)
    address = ray.get_runtime_context().gcs_address
    paths = PathManager(tmp_path, "faults")
    command = [
        *CLI, "train", "--preset", "quick", "--run-name", "faults", "--max-steps", "1000000",
        "--ray-address", address, "--set", f"persistence.ROOT_DATA_DIR={tmp_path}",
        "--set", f"train.CHECKPOINT_SAVE_FREQ_STEPS={INTERVAL}",
        "--set", "persistence.BUFFER_SAVE_FREQ_STEPS=20", "--set", "train.EVAL_FREQ_STEPS=30",
    ]  # fmt: skip
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
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + 60
        while _alive_actors_of_other_jobs() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _alive_actors_of_other_jobs() == 0, "the killed run's Ray actors are still alive"
    assert len(resumed_steps) == kills
    leftovers = [*paths.run_dir.rglob("*.tmp"), *paths.run_dir.rglob("*.partial")]
    assert leftovers == []
    final = DataManager(paths).load_initial_state()
    assert final.checkpoint is not None and final.checkpoint.global_step >= max(resumed_steps)
