"""The command line, driven as a person would: in a pseudo-terminal, with scripted input."""

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
import torch

from alphatriangle.cli import main, train
from alphatriangle.config import EnvConfig, load_run_config
from alphatriangle.data.run_lock import LOCK_FILE
from alphatriangle.evaluation import play_baseline
from alphatriangle.game import GameState
from alphatriangle.training.cli_train import FLAG_SETTINGS

CLI = [sys.executable, "-m", "alphatriangle"]
SHIPPED_AGENT = Path(__file__).resolve().parents[1] / "models" / "laptop"


def _spawn(*args: str) -> pexpect.spawn:
    return pexpect.spawn(
        CLI[0], [*CLI[1:], *args], encoding="utf-8", timeout=60, dimensions=(60, 200)
    )


def test_a_person_plays_moves_sees_errors_and_quits() -> None:
    game = GameState(initial_seed=1)
    action = min(game.valid_actions())
    slot, row, col = game.decode_action(action)
    illegal = next(a for a in range(360) if a not in game.valid_actions() and a // 120 == slot)
    bad_slot, bad_row, bad_col = game.decode_action(illegal)

    child = _spawn("play", "--seed", "1")
    child.expect("move> ")
    assert "slot 0" in child.before and "score 0" in child.before
    child.sendline("m")
    child.expect(f"slot {slot}: {row},{col}")
    child.expect("move> ")
    child.sendline("hello")
    child.expect("could not read 'hello'")
    child.expect("move> ")
    child.sendline(f"{bad_slot} {bad_row} {bad_col}")
    child.expect("does not fit")
    child.expect("move> ")
    child.sendline("7 0 0")
    child.expect("outside the slots or the board")
    child.expect("move> ")
    child.sendline(f"{slot} {row} {col}")
    game.step(action)
    child.expect(f"score {game.game_score():g}   move 1")
    child.expect("move> ")
    child.sendline("q")
    child.expect(f"quit with score {game.game_score():g} after 1 moves")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_person_plays_a_whole_game() -> None:
    game = GameState(initial_seed=2)
    child = _spawn("play", "--seed", "2")
    while not game.is_over():
        child.expect("move> ")
        action = max(game.valid_actions())
        child.sendline(" ".join(str(v) for v in game.decode_action(action)))
        game.step(action)
    child.expect(f"game over: score {game.game_score():g} in {game.current_step} moves")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("policy", ["random", "greedy", "planner"])
def test_watching_a_baseline_play(policy: str) -> None:
    child = _spawn("play", "--policy", policy, "--watch", "--delay", "0", "--seed", "5")
    child.expect(f"{policy}: slot")
    child.expect(rf"game over: {policy} scored (\d+) in (\d+) moves")
    score, moves = int(child.match.group(1)), int(child.match.group(2))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    same_game = play_baseline(policy, [5], EnvConfig())
    assert (score, moves) == (same_game.scores[0], same_game.lengths[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["play", "--seed", "abc"], "'--seed'"),
        (["play", "--policy", "alphago"], "'alphago' is not one of"),
        (["play", "--watch"], "--watch shows a policy's game"),
        (["play", "--policy", "agent"], "--agent PATH goes with --policy agent"),
        (["play", "--agent", "models/laptop"], "--agent PATH goes with --policy agent"),
        (["play", "--policy", "greedy", "--simulations", "8"], "--simulations sets an agent"),
        (["play", "--policy", "agent", "--agent", "nope"], "no checkpoint at 'nope'"),
        (["export", "nope", "--out", "agent"], "no checkpoint at 'nope'"),
        (["bench", "planner", "--games", "0"], "'--games'"),
        (["play", "--delay", "-1"], "'--delay'"),
        (["bench", "engine", "--seconds", "0"], "'--seconds'"),
        (["fly"], "No such command 'fly'"),
        (["bench", "search", "--root", "alphazero"], "'alphazero' is not one of"),
        (["bench", "search", "--inference", "tpu"], "'tpu' is not one of"),
        (["watch", "planner", "--simulations", "8"], "the planner baseline has none"),
        (["train", "--set", "mcts.num_simulations=8"], "mcts.num_simulations is now"),
        (["train", "--preset", "huge"], "unknown preset 'huge'"),
        (["train", "--set", "train.BATCH_SIZE=0"], "train.BATCH_SIZE"),
        (["train", "--set", "mcts.NUM_SIMULATIONS"], "must look like section.KEY=value"),
        (["train", "--config", "missing.toml"], "config file missing.toml does not exist"),
        (["train", "--run-name", "../escape"], "run name '../escape'"),
        (["train", "--log-level", "LOUD"], "'LOUD' is not one of"),
        (["train", "--max-steps", "0"], "'--max-steps'"),
        (["train", "--minutes", "0"], "'--minutes'"),
        (["eval", "missing-run"], "no checkpoint at 'missing-run'"),
        (["eval", "x", "--seeds", "nofile.txt"], "--seeds must be 'default' or an existing file"),
        (["eval", "x", "--games", "0"], "'--games'"),
        (["watch", "nothing-here"], "no checkpoint at 'nothing-here'"),
        (
            ["bench", "scaling", str(SHIPPED_AGENT), "--set", "mcts.CHANCE_SAMPLING=x"],
            "CHANCE_SAMPLING",
        ),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in err + out
    assert not (tmp_path / ".alphatriangle_data").exists()


def test_the_installed_command_reports_bad_input_the_same_way(tmp_path: Path) -> None:
    """The cases above run `main` in this process; this one runs the real entry point."""
    proc = subprocess.run(
        [*CLI, "train", "--preset", "huge"], capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr == "error: unknown preset 'huge': choose quick, laptop, ntuple, large\n"
    assert "Traceback" not in proc.stdout and not (tmp_path / ".alphatriangle_data").exists()


def test_version() -> None:
    proc = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("alphatriangle ")


def _bench(
    tmp_path: Path, args: list[str], timeout: int = 600, on_ray: bool = False
) -> tuple[dict[str, Any], str]:
    """`alphatriangle bench ARGS --out FILE` in a process of its own (joining the test
    session's Ray with `on_ray`): the JSON report it wrote and what it printed."""
    out = tmp_path / "bench.json"
    env = dict(os.environ)
    if on_ray:
        import ray

        env["RAY_ADDRESS"] = ray.get_runtime_context().gcs_address
    proc = subprocess.run(
        [*CLI, "bench", *args, "--out", str(out)],
        capture_output=True, text=True, timeout=timeout, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_bench_engine_prints_and_writes_json(tmp_path: Path) -> None:
    report, printed = _bench(
        tmp_path, ["engine", "--seconds", "0.2", "--batch-size", "64"], timeout=300
    )
    assert "batched_speedup" in printed
    names = [row["implementation"] for row in report["results"]]
    assert names == ["batched core (64 games)", "GameState object API", "pure-Python baseline"]
    assert all(row["moves"] > 0 and row["moves/s"] > 0 for row in report["results"])
    assert report["summary"]["batched_target"] == 200.0


def test_bench_planner_prints_and_writes_json(tmp_path: Path) -> None:
    report, printed = _bench(tmp_path, ["planner", "--games", "4", "--beam", "4"], timeout=300)
    assert [row["beam"] for row in report["results"]] == [2, 4, 8]
    assert all(row["games"] == 4 and row["moves/s"] > 0 for row in report["results"])
    main = report["results"][1]
    assert report["summary"]["games_per_second"] == pytest.approx(main["games/s"])
    assert "moves_per_second" in printed


def test_bench_ntuple_prints_and_writes_json(tmp_path: Path) -> None:
    report, printed = _bench(
        tmp_path, ["ntuple", "--games", "2", "--seconds", "0.5", "--threads", "2"], timeout=300
    )
    rows = report["results"]
    assert [(r["what"], r["threads"], r["beam"]) for r in rows] == [
        ("learning", 1, 8), ("learning", 2, 8), ("playing", 1, 8), ("playing", 1, 32),
    ]  # fmt: skip
    assert all(r["positions/s"] > 0 for r in rows)
    assert rows[2]["games"] == rows[3]["games"] == 2
    assert report["summary"]["learning_positions_per_second"] == rows[1]["positions/s"]
    assert "playing_moves_per_second" in printed


def test_bench_search_prints_and_writes_json(tmp_path: Path) -> None:
    report, _ = _bench(
        tmp_path, ["search", "--seconds", "0.1", "--games", "4", "--simulations", "4"]
    )
    names = [row["measurement"] for row in report["results"]]
    assert "network forward, batch 512" in names
    assert "search simulations, 4 games" in names
    assert "self-play positions, one worker" in names
    assert all(row["per second"] > 0 for row in report["results"])
    assert report["summary"]["search_to_forward_ratio"] > 0
    assert 0 < report["summary"]["search_time_in_network"] <= 1


@pytest.mark.usefixtures("ray_local")
def test_bench_train_prints_and_writes_json(tmp_path: Path) -> None:
    report, _ = _bench(
        tmp_path,
        ["train", "--seconds", "0.5", "--workers", "1", "--games", "2", "--simulations", "2",
         "--batch-size", "16", "--device", "cpu"],
        on_ray=True,
    )  # fmt: skip
    assert [row["measurement"] for row in report["results"]] == [
        "input pipeline samples",
        "Trainer.train_step samples",
        "raw forward+backward samples",
        "self-play positions, 1 worker",
        "self-play positions, 1 Ray workers",
    ]
    assert all(row["per second"] > 0 for row in report["results"])
    assert report["summary"]["trainer_to_raw_ratio"] > 0
    assert report["summary"]["self_play_scaling"] > 0
    assert 0 < report["summary"]["input_pipeline_share_of_step"] < 1
    assert report["summary"]["batch_size"] == 16
    assert report["summary"]["device"] == "cpu"


@pytest.mark.usefixtures("ray_local")
def test_bench_selfplay_measures_real_workers(tmp_path: Path) -> None:
    report, printed = _bench(
        tmp_path,
        ["selfplay", "--preset", "quick", "--seconds", "0.5", "--workers", "1", "--games", "3",
         "--simulations", "4", "--device", "cpu"],
        on_ray=True,
    )  # fmt: skip
    assert [row["worker"] for row in report["results"]] == ["0", "all"]
    summary = report["summary"]
    assert summary["workers"] == 1 and summary["games_per_worker"] == 3
    assert summary["positions_per_second"] > 0
    # Every position of a self-play move is searched with the full budget of 4 simulations.
    assert summary["simulations_per_second"] == pytest.approx(4 * summary["positions_per_second"])
    assert "bench selfplay" in printed


def test_bench_selfplay_refuses_an_absent_gpu_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU: the refusal is for machines without one")
    assert main(["bench", "selfplay", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no CUDA GPU is available" in err


def test_train_refuses_to_overwrite_a_run_and_bad_config_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / ".alphatriangle_data" / "runs" / "kept" / "checkpoints"
    step = run_dir / "step_000000005"
    step.mkdir(parents=True)
    (run_dir / "latest.json").write_text('{"step_dir": "step_000000005"}')
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[train\nBATCH_SIZE = 3")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("optimizer:\n  lr: 1\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    cases = [
        (["--run-name", "kept", "--no-resume"], "already has checkpoints"),
        (["--run-name", "kept"], "cannot resume run 'kept': checkpoint"),
        (["--config", str(bad_toml)], "is not valid"),
        (["--config", str(unknown)], "unknown section 'optimizer'"),
    ]
    if not torch.cuda.is_available():
        cases.append((["--set", "selfplay.DEVICE=cuda"], "no CUDA GPU is available"))
    for args, message in cases:
        assert main(["train", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    after = sorted(p.name for p in tmp_path.rglob("*") if p.name != LOCK_FILE)
    assert after == before


def test_first_ctrl_c_requests_a_stop_and_a_second_quits_at_once() -> None:
    script = """
import os, signal, threading, time
from rich.console import Console
from alphatriangle.training.cli_train import _install_stop_handler
stop = threading.Event()
_install_stop_handler(stop, Console())
os.kill(os.getpid(), signal.SIGINT)
os.kill(os.getpid(), signal.SIGINT)
time.sleep(0.2)
print("stop requested" if stop.is_set() else "not requested", flush=True)
print("a repeat at once is the same signal", flush=True)
time.sleep(1.0)
os.kill(os.getpid(), signal.SIGINT)
time.sleep(10)
print("still running", flush=True)
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 130
    assert "stop requested" in proc.stdout
    assert "a repeat at once is the same signal" in proc.stdout
    assert "saving a final checkpoint" in proc.stdout
    assert "still running" not in proc.stdout


def test_bench_scaling_prints_and_writes_json(tmp_path: Path) -> None:
    report, _ = _bench(
        tmp_path,
        ["scaling", "models/laptop", "--positions", "6", "--simulations", "2", "--simulations",
         "8", "--set", "mcts.CHANCE_SAMPLING=capped"],
    )  # fmt: skip
    assert [row["sims"] for row in report["results"]] == [2, 8]
    assert all(0 <= row["agree %"] <= 100 for row in report["results"])
    assert report["summary"]["positions"] == 6
    assert report["summary"]["chance_sampling"] == "capped"


def test_every_train_flag_that_overrides_a_setting_is_a_train_option() -> None:
    assert set(FLAG_SETTINGS) <= set(inspect.signature(train).parameters)
    config = load_run_config("quick").model_dump()
    for setting in FLAG_SETTINGS.values():
        section, name = setting.split(".")
        assert name in config[section], setting
