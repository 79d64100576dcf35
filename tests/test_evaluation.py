"""Evaluation suites with common random numbers, and `alphatriangle eval`."""

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from networks import seeded_network
from rich.console import Console

from alphatriangle.config import EnvConfig, PersistenceConfig, RunConfig, load_run_config
from alphatriangle.config.mcts_config import RENAMED_MCTS_SETTINGS
from alphatriangle.data import (
    CHECKPOINT_FORMAT_VERSION,
    CheckpointData,
    DataManager,
    PathManager,
    RunCounters,
    Serializer,
)
from alphatriangle.evaluation import (
    CheckpointError,
    SuiteResult,
    default_seeds,
    evaluation_mcts,
    load_agent,
    paired_difference,
    play_baseline,
    play_suite,
    read_seeds,
    resolve_checkpoint,
    selection_seeds,
)
from alphatriangle.evaluation.checkpoints import export_agent
from alphatriangle.evaluation.eval_command import (
    BASELINE_ORDER,
    EvalRequest,
    difference_cell,
    eval_payload,
    merge_payloads,
    recorded_games,
    results_table,
    run_eval,
)
from alphatriangle.evaluation.report import reference_means, run_description
from alphatriangle.evaluation.selection import replaces_best, seconds_until_next
from alphatriangle.game import GameBatch
from alphatriangle.nn import NeuralNetwork

CLI = [sys.executable, "-m", "alphatriangle"]
ENV = EnvConfig()


def _save_agent(root: Path, run: str, config: RunConfig, step: int = 7) -> Path:
    network = seeded_network(step, config.model, config.env)
    checkpoint = CheckpointData(
        run_name=run, counters=RunCounters(global_step=step), configs=config.model_dump(mode="json")
    )
    return DataManager(PathManager(root, run)).save_checkpoint(
        checkpoint, network.get_weights(), {}
    )


def _first_legal(batch: GameBatch) -> np.ndarray:
    masks = batch.legal_mask()
    return np.where(masks.any(axis=1), masks.argmax(axis=1), -1)


def test_a_suite_plays_each_seed_as_if_alone() -> None:
    seeds = default_seeds(6)
    together = play_suite("first", seeds, _first_legal, ENV)
    assert together.seeds == seeds
    random_together = play_baseline("random", seeds, ENV)
    for i, seed in enumerate(seeds):
        alone = play_suite("first", [seed], _first_legal, ENV)
        assert alone.scores == [together.scores[i]]
        assert alone.lengths == [together.lengths[i]]
        assert play_baseline("random", [seed], ENV).scores == [random_together.scores[i]]
    summary = play_baseline("greedy", seeds, ENV).summary()
    assert summary["p10"] <= summary["median"] <= summary["p90"] <= summary["max"]
    assert summary["games"] == 6


def test_paired_difference_and_its_interval() -> None:
    a = SuiteResult("a", [1, 2, 3, 4], [10.0, 12.0, 14.0, 16.0], [1] * 4, [0] * 4)
    b = SuiteResult("b", [1, 2, 3, 4], [9.0, 10.0, 11.0, 12.0], [1] * 4, [0] * 4)
    d = paired_difference(a, b)
    diff = np.array([1.0, 2.0, 3.0, 4.0])
    half = 1.959964 * diff.std(ddof=1) / 2
    assert d["mean_difference"] == pytest.approx(2.5)
    assert d["ci_low"] == pytest.approx(2.5 - half, rel=1e-5)
    assert d["ci_high"] == pytest.approx(2.5 + half, rel=1e-5)
    with pytest.raises(ValueError, match="same seeds"):
        paired_difference(a, SuiteResult("c", [9, 2, 3, 4], a.scores, a.lengths, a.lines))


def test_results_on_disjoint_seed_files_merge_into_one_in_seed_order() -> None:
    def shard(seeds: list[int], agent: list[float], planner: list[float]) -> dict[str, object]:
        results = [
            SuiteResult("agent", seeds, agent, [5] * len(seeds), [1] * len(seeds)),
            SuiteResult("planner", seeds, planner, [3] * len(seeds), [0] * len(seeds)),
        ]
        return eval_payload("models/x", 256, results)

    first, second = shard([3, 1], [30.0, 10.0], [6.0, 4.0]), shard([2], [20.0], [8.0])
    merged = merge_payloads([first, second])
    agent, planner = merged["results"]
    assert agent["seeds"] == [1, 2, 3] and agent["scores"] == [10.0, 20.0, 30.0]
    assert planner["scores"] == [4.0, 8.0, 6.0] and agent["summary"]["games"] == 3.0
    assert (merged["checkpoint"], merged["simulations"]) == ("models/x", 256)
    half = 1.959964 * np.std([6.0, 12.0, 24.0], ddof=1) / np.sqrt(3)
    difference = merged["paired_differences"]["planner"]
    assert difference["mean_difference"] == pytest.approx(14.0)
    assert difference["ci_high"] == pytest.approx(14.0 + half, rel=1e-5)
    with pytest.raises(ValueError, match="seed 2 is in two"):
        merge_payloads([first, second, second])
    with pytest.raises(ValueError, match="same agents at the same budget"):
        merge_payloads([first, {**second, "simulations": 64}])


def test_a_result_reads_back_from_its_json_and_picks_seeds_in_their_order() -> None:
    result = SuiteResult("a", [4, 2, 9], [40.0, 20.0, 90.0], [4, 2, 9], [1, 0, 3])
    back = SuiteResult.from_json(json.loads(json.dumps(result.to_json())))
    assert back == result
    assert back.on_seeds([9, 4]) == SuiteResult("a", [9, 4], [90.0, 40.0], [9, 4], [3, 1])
    with pytest.raises(KeyError):
        back.on_seeds([5])


def test_an_earlier_evaluations_games_pair_by_seed_in_the_new_ones_order(
    tmp_path: Path,
) -> None:
    results = [
        SuiteResult("hour@9", [5, 6, 7], [50.0, 60.0, 70.0], [8, 9, 10], [1, 2, 3]),
        SuiteResult("planner", [5, 6, 7], [5.0, 6.0, 7.0], [4, 4, 4], [0, 0, 0]),
    ]
    saved = tmp_path / "hour.json"
    saved.write_text(json.dumps(eval_payload("runs/hour", 64, results, ENV.game())))
    games = recorded_games(saved, [7, 5], ENV.game())
    assert games.name == "hour@9 (64 simulations, recorded in hour.json)"
    assert (games.seeds, games.scores) == ([7, 5], [70.0, 50.0])
    assert (games.lengths, games.lines) == ([10, 8], [3, 1])
    with pytest.raises(CheckpointError, match=r"no game on seed 8 \(1 of this evaluation's 2"):
        recorded_games(saved, [5, 8], ENV.game())
    two_slots = EnvConfig(NUM_SHAPE_SLOTS=2).game()
    assert two_slots["NUM_SHAPE_SLOTS"] == 2 and two_slots["ROWS"] == ENV.ROWS
    with pytest.raises(CheckpointError, match="another board or slot count"):
        recorded_games(saved, [5], two_slots)
    unrecorded = tmp_path / "older.json"
    unrecorded.write_text(json.dumps(eval_payload("runs/hour", 64, results)))
    assert recorded_games(unrecorded, [6], two_slots).scores == [60.0]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"simulations": 64, "results": [{"name": "x", "scores": [1]}]}))
    with pytest.raises(CheckpointError, match="is not what `alphatriangle eval --json` writes"):
        recorded_games(other, [5], ENV.game())


def test_checkpoints_are_picked_on_seeds_outside_the_default_suite() -> None:
    assert default_seeds(3) == [20_240_001, 20_240_002, 20_240_003]
    assert selection_seeds(3) == [10_240_001, 10_240_002, 10_240_003]
    assert set(selection_seeds(100_000)).isdisjoint(default_seeds(100_000))


def test_seed_files_and_checkpoint_resolution(tmp_path: Path) -> None:
    seeds_file = tmp_path / "seeds.txt"
    seeds_file.write_text("5, 6\n7\n")
    assert read_seeds(seeds_file) == [5, 6, 7]
    seeds_file.write_text("5 six")
    with pytest.raises(ValueError, match="whole numbers"):
        read_seeds(seeds_file)
    config = load_run_config("quick")
    step_dir = _save_agent(tmp_path, "r1", config)
    assert resolve_checkpoint("r1", tmp_path) == step_dir
    assert resolve_checkpoint(str(tmp_path / "runs" / "r1"), tmp_path) == step_dir
    assert resolve_checkpoint(str(step_dir), tmp_path) == step_dir
    agent = load_agent(str(step_dir), tmp_path)
    assert agent.global_step == 7 and agent.name == "r1@7"
    with pytest.raises(CheckpointError, match="no checkpoint"):
        resolve_checkpoint("r2", tmp_path)
    (step_dir / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="is damaged"):
        load_agent(str(step_dir), tmp_path)


def test_eval_command_compares_with_baselines_on_the_same_seeds(tmp_path: Path) -> None:
    config = load_run_config("quick")
    rewards = ["env.REWARD_PER_PLACED_TRIANGLE=1", "env.PENALTY_GAME_OVER=0"]
    first = _save_agent(tmp_path, "r1", config, step=3)
    second = _save_agent(tmp_path, "r2", load_run_config("quick", overrides=rewards), step=5)
    out = tmp_path / "eval.json"
    proc = subprocess.run(
        [*CLI, "eval", str(first), "--games", "6", "--simulations", "2", "--vs", str(second),
         "--json", str(out), "--processes", "2"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "on 6 games in 2 processes" in proc.stdout
    report = json.loads(out.read_text())
    assert report["game"] == config.env.game()
    names = [r["name"] for r in report["results"]]
    assert names == ["r1@3", "r2@5", "planner", "greedy", "random"]
    assert all(r["seeds"] == default_seeds(6) for r in report["results"])
    assert set(report["paired_differences"]) == {"r2@5", "planner", "greedy", "random"}
    planner = play_baseline("planner", default_seeds(6), config.env, config.planner)
    assert report["results"][2]["scores"] == planner.scores
    agent_scores = np.array(report["results"][0]["scores"])
    greedy_scores = np.array(report["results"][3]["scores"])
    assert report["paired_differences"]["greedy"]["mean_difference"] == pytest.approx(
        float((agent_scores - greedy_scores).mean())
    )
    for name in ("planner", "greedy", "random", "mean", "median", "p10", "p90"):
        assert name in proc.stdout
    assert "agent = r1@3" in proc.stdout and "vs = r2@5" in proc.stdout
    # The same games in one process as in two shards: streams follow each game's seed.
    # Against the file just written, r1's recorded games are a `vs` row, not played again;
    # r1 itself as the next `vs` plays them again, the same games.
    alone = run_eval(
        EvalRequest(str(second), default_seeds(6), 2, vs=(str(out), str(first))),
        1, None, Console(file=io.StringIO()),
    )  # fmt: skip
    assert alone["results"][0]["scores"] == report["results"][1]["scores"]
    assert alone["results"][0]["lengths"] == report["results"][1]["lengths"]
    recorded = "r1@3 (2 simulations, recorded in eval.json)"
    assert [r["name"] for r in alone["results"][:3]] == ["r2@5", recorded, "r1@3"]
    assert alone["results"][1]["scores"] == report["results"][0]["scores"]
    assert alone["results"][2]["scores"] == report["results"][0]["scores"]
    assert alone["paired_differences"][recorded]["mean_difference"] == pytest.approx(
        -report["paired_differences"]["r2@5"]["mean_difference"]
    )
    widening = ("mcts.CHANCE_SAMPLING=widening",)
    wider = run_eval(
        EvalRequest(str(second), default_seeds(6), 2, overrides=widening),
        1, None, Console(file=io.StringIO()),
    )  # fmt: skip
    assert wider["results"][0]["seeds"] == default_seeds(6)
    proc = subprocess.run(
        [*CLI, "eval", str(first), "--games", "2", "--set", "train.BATCH_SIZE=3"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2 and "only search settings (mcts.KEY=value)" in proc.stderr
    other_board = load_run_config("quick", overrides=["env.NUM_SHAPE_SLOTS=2"])
    third = _save_agent(tmp_path, "r3", other_board, step=1)
    proc = subprocess.run(
        [*CLI, "eval", str(first), "--games", "2", "--vs", str(third)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2 and "another board or slot count" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_difference_cells_drop_the_decimal_from_a_thousand_points_or_a_wide_interval() -> None:
    assert difference_cell(110.94, 48.76) == "+110.9 ± 48.8"
    assert difference_cell(-19.44, 37.12) == "-19.4 ± 37.1"
    assert difference_cell(1032.95, 266.2) == "+1033 ± 266"
    assert difference_cell(328.24, 375.31) == "+328 ± 375"


@pytest.mark.parametrize("scale", [1, 40, 100])
def test_eval_table_fits_80_columns(scale: int) -> None:
    """Also with agents scoring in the thousands and tens of thousands (greedy's scores
    times 40 or 100) and a `vs` agent 80% as strong, nothing cut off."""
    seeds = default_seeds(8)
    long_name = "run_20261125_233900_with_a_long_name@40000"
    agent = play_baseline("greedy", seeds, ENV)
    scores = [score * scale for score in agent.scores]
    lengths = [length * min(scale, 10) for length in agent.lengths]
    vs = SuiteResult("vs_run@2000", agent.seeds, [s * 0.8 for s in scores], lengths, agent.lines)
    agent = SuiteResult(long_name, agent.seeds, scores, lengths, agent.lines)
    results = [agent, vs, *(play_baseline(name, seeds, ENV) for name in BASELINE_ORDER)]
    text = io.StringIO()
    Console(file=text, width=80).print(results_table(results, agent))
    lines = text.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text.getvalue()
    rows = {line.split()[0]: line for line in lines if line.strip()}
    assert {"agent", "planner", "greedy", "random"} <= set(rows)
    planner_diff = paired_difference(agent, results[2])
    half = (planner_diff["ci_high"] - planner_diff["ci_low"]) / 2
    assert rows["planner"].rstrip().endswith(difference_cell(planner_diff["mean_difference"], half))
    assert any(f"agent = {long_name}" in line for line in lines)


def test_exported_agent_loads_and_keeps_what_was_there(tmp_path: Path) -> None:
    config = load_run_config("quick", overrides=[f"persistence.ROOT_DATA_DIR={tmp_path}"])
    step_dir = _save_agent(tmp_path, "ex", config, step=9)
    evaluation = run_eval(
        EvalRequest(str(step_dir), default_seeds(3), 2), 1, None, Console(file=io.StringIO())
    )
    out = tmp_path / "models" / "mine"
    export_agent(str(step_dir), out, evaluation, root=tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "agent.json", "model.safetensors"]
    card = (out / "README.md").read_text()
    assert "# ex@9" in card and "| planner |" in card and "| ex@9 |" in card
    exported = load_agent(str(out), tmp_path)
    original = load_agent(str(step_dir), tmp_path)
    portable = original.config.model_copy(update={"persistence": PersistenceConfig()})
    assert exported.name == "ex@9" and exported.config == portable
    assert str(tmp_path) not in (out / "agent.json").read_text() and str(step_dir) not in card
    for key, value in original.network.get_weights().items():
        assert np.array_equal(exported.network.get_weights()[key], value)
    again = run_eval(
        EvalRequest(str(out), default_seeds(3), 2), 1, None, Console(file=io.StringIO())
    )
    assert again["results"][0]["scores"] == evaluation["results"][0]["scores"]

    before = (out / "model.safetensors").read_bytes()
    with pytest.raises(CheckpointError, match="not empty"):
        export_agent(str(step_dir), out, None, root=tmp_path)
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not empty"):
        export_agent(str(step_dir), keep, None, force=True, root=tmp_path)
    assert (keep / "mine.txt").read_text() == "mine"
    assert (out / "model.safetensors").read_bytes() == before
    export_agent(str(step_dir), out, None, force=True, root=tmp_path)
    assert "| planner |" not in (out / "README.md").read_text()
    assert [p.name for p in out.parent.iterdir()] == ["mine"]


def test_checkpoint_formats_newer_and_older(tmp_path: Path) -> None:
    config = load_run_config("quick")
    step_dir = _save_agent(tmp_path, "fmt", config)
    state_file = step_dir / "state.json"
    state = json.loads(state_file.read_text())
    assert state["format_version"] == CHECKPOINT_FORMAT_VERSION
    newer = {**state, "format_version": CHECKPOINT_FORMAT_VERSION + 1}
    state_file.write_text(json.dumps(newer))
    with pytest.raises(CheckpointError, match=f"format {CHECKPOINT_FORMAT_VERSION + 1}, newer"):
        load_agent(str(step_dir), tmp_path)
    older = {k: v for k, v in state.items() if k != "format_version"}
    state_file.write_text(json.dumps(older))
    assert load_agent(str(step_dir), tmp_path).name == "fmt@7"
    other = load_run_config("quick", overrides=["model.CONV_FILTERS=4"])
    wrong = NeuralNetwork(other.model, other.env, device="cpu").get_weights()
    Serializer().save_weights(step_dir / "model.safetensors", wrong)
    with pytest.raises(CheckpointError, match="is checkpoint format 1; this alphatriangle reads"):
        load_agent(str(step_dir), tmp_path)


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def test_watch_writes_a_self_contained_replay_that_renders_in_chromium(tmp_path: Path) -> None:
    import shutil

    from matplotlib import image

    step_dir = _save_agent(tmp_path, "w", load_run_config("quick"))
    out = tmp_path / "game.html"
    proc = subprocess.run(
        [*CLI, "watch", str(step_dir), "--seed", "3", "--simulations", "4", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = out.read_text()
    assert "src=" not in page and "href=" not in page and "<link" not in page
    assert "wrote" in proc.stdout and "final score" in proc.stdout

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium)")
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000",
         "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert 'id="status">ready:' in dom.stdout, dom.stdout[-1500:] + dom.stderr[-1500:]
    assert 'id="status">error' not in dom.stdout
    assert "<title>ERROR</title>" not in dom.stdout
    assert dom.stdout.count("<polygon") >= 96
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1100,800",
         f"--screenshot={shot}", out.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    pixels = image.imread(shot)
    assert pixels.shape[0] >= 700 and pixels.shape[1] >= 1000
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 20
    assert pixels[..., :3].std() > 0.05


def test_watch_replays_a_baseline(tmp_path: Path) -> None:
    out = tmp_path / "planner.html"
    proc = subprocess.run(
        [*CLI, "watch", "planner", "--seed", "4", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    score = play_baseline("planner", [4], ENV).scores[0]
    assert f"final score {score:g}" in proc.stdout
    assert "the planner baseline, seed 4" in out.read_text()


def test_report_scales_by_the_baselines_the_run_logged_else_plays_them() -> None:
    config = load_run_config("quick")
    greedy = play_baseline("greedy", selection_seeds(config.evaluation.GAMES), config.env)
    series = {"Eval/Planner_Mean": ([20, 40], [321.5, 321.5])}
    means = reference_means(series, config)
    assert means == {"planner": 321.5, "greedy": pytest.approx(greedy.summary()["mean"])}


def test_a_reports_line_names_the_learner_and_what_plays_its_games() -> None:
    alphazero = load_run_config("laptop")
    ntuple = load_run_config("ntuple")
    assert run_description(alphazero) == "AlphaZero, 2 self-play workers and a trainer"
    assert run_description(ntuple) == "n-tuple TD, 2 learning threads"


def test_report_plots_the_runs_curves(tmp_path: Path) -> None:
    from matplotlib import image
    from torch.utils.tensorboard import SummaryWriter

    from alphatriangle.evaluation.report import read_scalars

    config = load_run_config("quick")
    paths = PathManager(tmp_path, "curves")
    paths.create()
    saved = config.model_dump(mode="json")  # as a run of the code before the UPPER_CASE rename
    saved["mcts"] = {
        key.lower(): value
        for key, value in saved["mcts"].items()
        if key.lower() in RENAMED_MCTS_SETTINGS
    }
    paths.config_path.write_text(json.dumps(saved))
    writer = SummaryWriter(str(paths.tensorboard_dir))
    for step in range(0, 200, 10):
        writer.add_scalar("Loss/Total", 3.0 - step / 100, step)
        writer.add_scalar("RL/Episode_Score", 60 + step / 2, step)
        writer.add_scalar("Rate/Positions_per_sec", 100.0, step)
        writer.add_scalar("Buffer/Size", 10.0 * step, step)
    for step in (50, 100, 150):
        writer.add_scalar("Eval/Mean", 80.0 + step, step)
    writer.close()
    assert len(read_scalars(paths)["Eval/Mean"][0]) == 3

    out = tmp_path / "report.png"
    proc = subprocess.run([*CLI, "report", str(paths.run_dir), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "wrote" in proc.stdout
    pixels = image.imread(out)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 800
    assert pixels[..., :3].std() > 0.05

    for args, message in (
        (["report", "nope"], "no run at 'nope'"),
        (["report", str(paths.run_dir), "--out", "x.jpg"], "must be a .png file"),
    ):
        bad = subprocess.run(
            [*CLI, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert bad.returncode == 2
        assert message in bad.stderr and bad.stderr.count("\n") == 1


def _payload(name: str, simulations: int, scores: list[float]) -> dict[str, Any]:
    seeds = list(range(len(scores)))
    planner = {"name": "planner", "seeds": seeds, "scores": [10.0] * len(scores)}
    agent = {"name": name, "seeds": seeds, "scores": scores}
    return {"checkpoint": name, "simulations": simulations, "results": [agent, planner]}


def test_strength_by_simulations_orders_budgets_and_draws_players_without_search_as_levels() -> (
    None
):
    """Means and 95% half-widths by hand: scores 100, 200, 300 have sd 100, so the half is
    1.96 * 100 / sqrt(3) = 113.16; an n-tuple player's file (simulations 0) is a level."""
    from alphatriangle.evaluation.report import strength_by_simulations

    payloads = [
        _payload("a", 256, [100.0, 200.0, 300.0]),
        _payload("a", 16, [50.0, 50.0, 50.0]),
        _payload("nt", 0, [400.0, 500.0, 600.0]),
    ]
    curves, levels = strength_by_simulations(payloads)
    assert list(curves) == ["a"]
    assert curves["a"].simulations == [16, 256]
    assert curves["a"].means == [50.0, 200.0]
    assert curves["a"].halves == [0.0, pytest.approx(113.16, abs=0.01)]
    assert curves["a"].games == [3, 3]
    assert levels == {"nt (no tree search)": 500.0, "planner": 10.0}


def test_report_charts_eval_files_by_simulations_and_refuses_what_is_not_one(
    tmp_path: Path,
) -> None:
    from matplotlib import image

    from alphatriangle.evaluation.report import write_simulation_chart

    files = []
    for simulations, scores in ((16, [80.0, 120.0]), (64, [150.0, 250.0])):
        path = tmp_path / f"eval-{simulations}.json"
        path.write_text(json.dumps(_payload("agent@5", simulations, scores)))
        files.append(str(path))
    out = tmp_path / "by-simulations.png"
    proc = subprocess.run([*CLI, "report", files[0], "--vs", files[1], "--out", str(out)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 evaluations of 1 agents" in proc.stdout
    assert image.imread(out)[..., :3].std() > 0.05
    mixed = subprocess.run([*CLI, "report", files[0], "--vs", "run", "--out", "x.png"],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert mixed.returncode == 2 and mixed.stderr.count("\n") == 1
    assert "not both" in mixed.stderr
    (tmp_path / "bad.json").write_text('{"simulations": 4}')
    for name, message in (
        ("none.json", "no evaluation file at"),
        ("bad.json", "is not what `alphatriangle eval --json` writes"),
    ):
        with pytest.raises(CheckpointError, match=message):
            write_simulation_chart([tmp_path / name], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_evaluation_search_takes_the_runs_evaluation_settings() -> None:
    config = load_run_config(
        "quick",
        overrides=["evaluation.SIMULATIONS=12", "evaluation.MAX_CONSIDERED_ACTIONS=2"],
    )
    search = evaluation_mcts(config)
    assert (search.NUM_SIMULATIONS, search.GUMBEL_MAX_CONSIDERED_ACTIONS) == (12, 2)
    assert search.GUMBEL_SCALE == 0.0 and search.DIRICHLET_EPSILON == 0.0
    assert evaluation_mcts(config, simulations=5).NUM_SIMULATIONS == 5
    plain = load_run_config("quick")
    assert evaluation_mcts(plain).NUM_SIMULATIONS == plain.mcts.NUM_SIMULATIONS
    assert (
        evaluation_mcts(plain).GUMBEL_MAX_CONSIDERED_ACTIONS
        == plain.mcts.GUMBEL_MAX_CONSIDERED_ACTIONS
    )


def test_a_later_checkpoint_takes_the_best_place_unless_the_same_games_show_it_worse() -> None:
    best = [100.0, 200.0, 300.0, 400.0]
    # Differences -10, -20, +10, -20: mean -10, sd 14.14, half-width 1.96 * 14.14 / 2 = 13.9,
    # so the interval (-23.9, +3.9) reaches zero: not shown worse, the later one wins.
    assert replaces_best([90.0, 180.0, 310.0, 380.0], best)
    # Differences -50, -60, -40, -50: mean -50, sd 8.16, interval (-58, -42): worse.
    assert not replaces_best([50.0, 140.0, 260.0, 350.0], best)
    # A higher mean always replaces.
    assert replaces_best([500.0, 500.0, 500.0, 500.0], best)


def test_without_per_game_scores_the_best_mean_decides() -> None:
    assert replaces_best([100.0, 200.0], None, None)
    assert replaces_best([100.0, 200.0], None, best_mean=150.0)
    assert not replaces_best([100.0, 199.0], None, best_mean=150.0)
    # Scores of another suite size (evaluation.GAMES changed on resume) are not paired either.
    assert not replaces_best([100.0, 199.0], [1.0, 2.0, 3.0], best_mean=150.0)


def test_evaluations_keep_to_their_share_of_the_wall_time() -> None:
    assert seconds_until_next(40.0, 0.1) == pytest.approx(360.0)
    assert seconds_until_next(30.0, 0.25) == pytest.approx(90.0)
    assert seconds_until_next(30.0, 1.0) == 0.0
