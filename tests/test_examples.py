"""The examples run from a clone as the README says."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_maskable_ppo_trains_and_is_scored_like_eval(tmp_path: Path) -> None:
    pytest.importorskip("sb3_contrib", reason="the examples extra: pip install -e '.[examples]'")
    model = tmp_path / "ppo.zip"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "maskable_ppo.py"), "--timesteps", "300", "--envs", "2",
         "--games", "3", "--save", str(model)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MaskablePPO: 3" in proc.stdout
    rows = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    assert {"agent", "planner", "greedy", "random"} <= set(rows)
    assert "agent = maskable_ppo" in proc.stdout
    assert model.stat().st_size > 0
    bad = subprocess.run(
        [sys.executable, str(EXAMPLES / "maskable_ppo.py"), "--games", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
