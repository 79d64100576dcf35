"""The n-tuple baseline: its tuples, lookups and TD step by hand, its whole-hand search, its
learning, and its run (train, resume, eval, watch, export) on short budgets."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from run_files import copy_run, snapshot

from alphatriangle.baselines.ntuple import (
    NTuplePlayer,
    afterstate_value,
    learn_round,
    learning_rate,
    new_lanes,
    ntuple_actions,
    search_hand,
    td_step,
    tuple_cells,
    tuple_layout,
)
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.config import EnvConfig
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.data import DataManager, PathManager
from alphatriangle.evaluation.checkpoints import (
    CheckpointError,
    NTupleAgent,
    export_agent,
    load_agent,
    load_any_agent,
)
from alphatriangle.evaluation.report import read_scalars, strength_by_minutes
from alphatriangle.evaluation.suite import default_seeds, ntuple_chooser, play_suite
from alphatriangle.game import GameBatch, GameState
from alphatriangle.game.geometry import engine_tables, playable_cells

ENV = EnvConfig()
TABLES = engine_tables(ENV)
COLS = ENV.COLS
LINES_ONLY = NTupleConfig(PATCHES=())


def _words(cells: list[tuple[int, int]]) -> tuple[np.uint64, np.uint64]:
    state = GameState.from_snapshot(cells, [None, None, None])
    return state.batch.occ[0, 0], state.batch.occ[0, 1]


def test_the_lines_are_24_tuples_covering_each_cell_three_times() -> None:
    tuples = tuple_cells(TABLES, LINES_ONLY)
    assert len(tuples) == 24
    assert sorted(len(t) for t in tuples) == sorted([9, 11, 13, 15, 15, 13, 11, 9] * 3)
    counts = np.bincount([cell for t in tuples for cell in t], minlength=TABLES.core.cells)
    assert set(counts[TABLES.playable]) == {3} and set(counts[~TABLES.playable]) == {0}
    layout = tuple_layout(TABLES, LINES_ONLY)
    assert layout.num_weights == 6 * (2**9 + 2**11 + 2**13 + 2**15)
    assert layout.offsets[1] == 2 ** layout.sizes[0]


def test_a_window_keeps_only_its_playable_cells() -> None:
    tuples = tuple_cells(TABLES, NTupleConfig(LINES=False, PATCHES=((2, 5),)))
    # Rows 0-1, columns 0-4: row 0 plays from column 3, row 1 from column 2.
    assert tuples[0] == (3, 4, COLS + 2, COLS + 3, COLS + 4)
    assert all(len(t) >= 3 for t in tuples)
    assert len(tuples) == len(set(tuples))


def test_the_value_is_the_sum_of_each_tuples_weight_at_its_index() -> None:
    layout = tuple_layout(TABLES, LINES_ONLY)
    weights = np.zeros(layout.num_weights, dtype=np.float32)
    first, _, third = (divmod(int(cell), COLS) for cell in layout.cells[0, :3])
    weights[layout.offsets[0] + 0b101] = 7.0  # the line's first and third cells filled
    weights[layout.offsets[0]] = 0.5  # the line empty
    weights[layout.offsets[1]] = 0.25  # the second line empty
    lo, hi = _words([first, third])
    assert afterstate_value(layout, weights, lo, hi) == pytest.approx(7.0 + 0.25)
    assert afterstate_value(layout, weights, np.uint64(0), np.uint64(0)) == pytest.approx(0.75)


def test_a_td_step_moves_the_value_by_exactly_its_change() -> None:
    layout = tuple_layout(TABLES, NTupleConfig())
    rng = np.random.default_rng(3)
    weights = rng.normal(size=layout.num_weights).astype(np.float32)
    lo, hi = _words([(4, 7), (2, 5), (3, 9), (7, 8)])
    before = afterstate_value(layout, weights, lo, hi)
    td_step(layout, weights, lo, hi, 12.5)
    assert afterstate_value(layout, weights, lo, hi) == pytest.approx(before + 12.5, abs=1e-3)


def test_the_search_clears_a_line_and_reports_its_points() -> None:
    row_zero = [(0, c) for c in range(3, 12) if c != 5]
    lo, hi = _words(row_zero)
    layout = tuple_layout(TABLES, LINES_ONLY)
    weights = np.zeros(layout.num_weights, dtype=np.float32)
    hand = np.array([0, -1, -1], dtype=np.int8)  # one up triangle; (0, 5) is an up cell
    actions = np.empty(3, dtype=np.int64)
    rng = game_policy_streams([1])
    value, end_lo, end_hi, length, over = search_hand(
        TABLES.core, layout, weights, lo, hi, hand, 4, rng, 0, actions
    )
    assert (value, length, over) == (1 + 2 * 9, 1, False)
    assert actions[0] == 0 * TABLES.core.cells + 0 * COLS + 5
    assert int(end_lo) == int(end_hi) == 0


def test_the_search_with_no_legal_move_ends_the_game() -> None:
    downs = [(r, c) for r, c in playable_cells(ENV) if (r + c) % 2 == 0]
    lo, hi = _words(downs)
    layout = tuple_layout(TABLES, LINES_ONLY)
    weights = np.ones(layout.num_weights, dtype=np.float32)
    hand = np.array([2, -1, -1], dtype=np.int8)  # one down triangle, every down cell full
    actions = np.empty(3, dtype=np.int64)
    result = search_hand(
        TABLES.core, layout, weights, lo, hi, hand, 4, game_policy_streams([1]), 0, actions
    )
    assert result == (0.0, lo, hi, 0, True)


def test_a_searched_sequence_is_legal_and_worth_its_points_plus_the_value_it_leaves() -> None:
    config = NTupleConfig()
    layout = tuple_layout(TABLES, config)
    weights = np.random.default_rng(5).uniform(0, 1, layout.num_weights).astype(np.float32)
    actions = np.empty(3, dtype=np.int64)
    for seed in range(6):
        state = GameState(initial_seed=seed)
        for _ in range(3 * seed):  # a few moves in, so boards differ
            state.step(min(state.valid_actions()))
        if state.is_over():
            continue
        lo, hi = state.batch.occ[0, 0], state.batch.occ[0, 1]
        hand = state.batch.shapes[0].copy()
        value, end_lo, end_hi, length, over = search_hand(
            TABLES.core, layout, weights, lo, hi, hand, 8, game_policy_streams([seed]), 0, actions
        )
        score = state.game_score()
        copy = state.copy()
        for action in actions[:length]:
            assert action in copy.valid_actions()
            copy.step(int(action), refill=[0, 0, 0])
        assert (copy.batch.occ[0, 0], copy.batch.occ[0, 1]) == (end_lo, end_hi)
        future = 0.0 if over else afterstate_value(layout, weights, end_lo, end_hi)
        assert value == pytest.approx(copy.game_score() - score + future, rel=1e-6)


def _train(seed: int, rounds: int, threads: int = 1) -> np.ndarray:
    layout = tuple_layout(TABLES, NTupleConfig())
    weights = np.zeros(layout.num_weights, dtype=np.float32)
    lanes = new_lanes(4 * threads, ENV.NUM_SHAPE_SLOTS, seed)
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(rounds):
            learn_round(pool, TABLES.core, layout, weights, lanes, 4, 16, 0.1, threads)
    return weights


def test_learning_on_one_thread_is_reproducible_from_its_seed() -> None:
    first, again, other = _train(1, 20), _train(1, 20), _train(2, 20)
    assert np.count_nonzero(first) > 0
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_round_counts_what_it_played() -> None:
    layout = tuple_layout(TABLES, NTupleConfig())
    weights = np.zeros(layout.num_weights, dtype=np.float32)
    lanes = new_lanes(4, ENV.NUM_SHAPE_SLOTS, 9)
    with ThreadPoolExecutor(2) as pool:
        stats = learn_round(pool, TABLES.core, layout, weights, lanes, 4, 64, 0.1, 2)
    finished = stats.finished_count
    # Each game's first hand has no afterstate before it: one TD step fewer per game started
    # (the finished ones, and the one in play unless the round's last hand ended a game).
    in_play = (lanes.hand >= 0).any(axis=1)
    assert (stats.steps == 64 - finished - in_play).all()
    assert ((stats.moves >= 64 - finished) & (stats.moves <= 3 * 64)).all()
    assert (lanes.moves <= stats.moves).all()
    for g in range(4):
        scores = stats.finished[g, : finished[g]]
        assert (scores > 0).all()


def test_a_few_seconds_of_learning_beat_the_untrained_player() -> None:
    seeds = list(range(500, 516))

    def mean_score(weights: np.ndarray) -> float:
        player = NTuplePlayer(ENV, NTupleConfig(), weights)
        rng = game_policy_streams(list(seeds))
        result = play_suite("n", seeds, lambda b: ntuple_actions(b, rng, player, 4), ENV)
        return float(np.mean(result.scores))

    untrained = mean_score(np.zeros_like(_train(3, 0)))
    trained = mean_score(_train(3, 300))
    assert trained > 1.5 * untrained


def test_the_player_refuses_weights_of_other_tuples() -> None:
    with pytest.raises(ValueError, match="need"):
        NTuplePlayer(ENV, NTupleConfig(), np.zeros(10, dtype=np.float32))


def test_the_player_moves_in_every_live_game_of_a_batch() -> None:
    player = NTuplePlayer.empty(ENV, NTupleConfig())
    batch = GameBatch.new(5, ENV, seeds=list(range(5)))
    rng = game_policy_streams(list(range(5)))
    with ThreadPoolExecutor(2) as pool:
        actions = ntuple_actions(batch, rng, player, 4, pool, 2)
    mask = batch.legal_mask()
    assert all(mask[g, actions[g]] for g in range(5))


def test_the_learning_rate_falls_geometrically_over_the_run() -> None:
    config = NTupleConfig(LEARNING_RATE=0.1, LEARNING_RATE_FINAL=0.001)
    assert learning_rate(config, 0.0) == pytest.approx(0.1)
    assert learning_rate(config, 0.5) == pytest.approx(0.01)
    assert learning_rate(config, 1.0) == pytest.approx(0.001)
    assert learning_rate(config, 2.0) == pytest.approx(0.001)


def test_a_warm_start_player_stopped_midway_is_saved_and_continued(tmp_path: Path) -> None:
    """A stop (or a crash after a save) keeps what was learnt and the time it took; the next
    call starts from the saved weights and stops once its minutes are spent."""
    from alphatriangle.config import load_run_config
    from alphatriangle.training.warm_start import learn_warm_start, load_warm_start

    config = load_run_config("quick", overrides=[
        "selfplay.NTUPLE_WARM_START_MINUTES=0.15", "ntuple.GAMES_PER_THREAD=2",
        "ntuple.HANDS_PER_ROUND=4", "ntuple.TRAIN_BEAM_WIDTH=4",
    ])  # fmt: skip
    path = tmp_path / "warm.safetensors"
    assert load_warm_start(path, config).seconds_learned == 0.0
    rounds = iter(range(3))
    first = learn_warm_start(config, path, lambda: next(rounds, None) is None)
    assert first.seconds_learned > 0 and not first.done(config)
    saved = load_warm_start(path, config)
    np.testing.assert_array_equal(saved.weights, first.weights)
    assert saved.seconds_learned == first.seconds_learned
    second = learn_warm_start(config, path, lambda: False)
    assert second.done(config) and second.seconds_learned >= 9.0
    assert np.count_nonzero(second.weights) > np.count_nonzero(first.weights)
    again = learn_warm_start(config, path, lambda: False)
    assert again.seconds_learned == second.seconds_learned


CLI = [sys.executable, "-m", "alphatriangle"]
SMALL = (
    "ntuple.GAMES_PER_THREAD=2", "ntuple.HANDS_PER_ROUND=4", "ntuple.BEAM_WIDTH=4",
    "ntuple.TRAIN_BEAM_WIDTH=4", "train.CHECKPOINT_SAVE_FREQ_STEPS=10",
    "train.METRICS_LOG_FREQ_STEPS=5", "evaluation.FREQ_STEPS=20", "evaluation.GAMES=4",
)  # fmt: skip


def _train_command(root: Path, *extra: str) -> list[str]:
    command = [*CLI, "train", "--preset", "ntuple", "--run-name", "nt", "--workers", "2",
               "--set", f"persistence.ROOT_DATA_DIR={root}"]  # fmt: skip
    for setting in SMALL:
        command += ["--set", setting]
    return [*command, *extra]


@pytest.fixture(scope="module")
def ntuple_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short n-tuple run (30 steps, checkpoints every 10, evaluations every 20)."""
    root = tmp_path_factory.mktemp("ntuple")
    proc = subprocess.run(
        _train_command(root, "--max-steps", "30"), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root


def test_an_ntuple_run_checkpoints_logs_and_resumes(ntuple_run: Path, tmp_path: Path) -> None:
    root, paths = copy_run(ntuple_run, tmp_path)
    paths = PathManager(root, "nt")
    steps = [d.name for d in paths.step_dirs()]
    assert steps == ["step_000000010", "step_000000020", "step_000000030"]
    manager = DataManager(paths)
    loaded = manager.load_initial_state()
    assert loaded.checkpoint is not None and loaded.weights is not None
    counters = loaded.checkpoint.counters
    assert counters.global_step == 30 and counters.episodes_played > 0
    assert counters.positions_played >= 30 * 4 * 4  # 4 games, 4 hands a step, >= 1 move a hand
    # An evaluation every 20 steps, and of the final weights.
    assert manager.checkpoint_dir("best") in (paths.step_dir(20), paths.step_dir(30))
    assert np.count_nonzero(loaded.weights["ntuple"]) > 0
    scalars = read_scalars(paths)
    assert scalars["Eval/Mean"][0] == [20, 30]
    assert scalars["Loss/TD_RMSE"][0] == [5, 10, 15, 20, 25, 30]
    run_id = loaded.checkpoint.mlflow_run_id
    assert run_id is not None

    resumed = subprocess.run(
        _train_command(root, "--max-steps", "40"), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    again = manager.load_initial_state().checkpoint
    assert again is not None and again.global_step == 40
    assert again.counters.episodes_played > counters.episodes_played
    assert again.mlflow_run_id == run_id
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=paths.default_tracking_uri())
    history = client.get_metric_history(run_id, "Loss/TD_RMSE")
    assert sorted(m.step for m in history) == [5, 10, 15, 20, 25, 30, 35, 40]


def test_resuming_an_ntuple_run_with_other_tuples_or_agent_is_refused(
    ntuple_run: Path, tmp_path: Path
) -> None:
    root, _ = copy_run(ntuple_run, tmp_path)
    before = snapshot(root)
    other_tuples = subprocess.run(
        _train_command(root, "--max-steps", "40", "--set", "ntuple.PATCHES=[[2, 3]]"),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert other_tuples.returncode == 2, other_tuples.stderr[-2000:]
    assert "different ntuple settings" in other_tuples.stderr
    assert other_tuples.stderr.count("\n") == 1
    alphazero = subprocess.run(
        [*CLI, "train", "--preset", "quick", "--run-name", "nt", "--max-steps", "40",
         "--set", f"persistence.ROOT_DATA_DIR={root}"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert alphazero.returncode == 2 and "trains the ntuple agent" in alphazero.stderr
    assert alphazero.stderr.count("\n") == 1
    assert snapshot(root) == before


def test_an_ntuple_player_is_evaluated_watched_and_exported(
    ntuple_run: Path, tmp_path: Path
) -> None:
    run_dir = ntuple_run / "runs" / "nt"
    out = tmp_path / "eval.json"
    proc = subprocess.run(
        [*CLI, "eval", str(run_dir), "--games", "3", "--json", str(out), "--processes", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "a beam of 4 over the hand" in proc.stdout
    report = json.loads(out.read_text())
    agent = load_any_agent(str(run_dir))
    assert isinstance(agent, NTupleAgent) and agent.global_step in (20, 30)
    names = [r["name"] for r in report["results"]]
    assert names == [agent.name, "planner", "greedy", "random"]
    seeds = default_seeds(3)
    again = play_suite("n", seeds, ntuple_chooser(agent.player, list(seeds)), ENV)
    assert report["results"][0]["scores"] == again.scores

    with pytest.raises(CheckpointError, match="n-tuple player"):
        load_agent(str(run_dir))

    html = tmp_path / "game.html"
    watched = subprocess.run(
        [*CLI, "watch", str(run_dir), "--seed", "3", "--out", str(html)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert watched.returncode == 0, watched.stderr[-2000:]
    assert f"the n-tuple player {agent.name}" in html.read_text()

    exported = export_agent(str(run_dir), tmp_path / "exported")
    copy = load_any_agent(str(exported))
    assert isinstance(copy, NTupleAgent)
    assert np.array_equal(copy.player.weights, agent.player.weights)
    assert "n-tuple player" in (exported / "README.md").read_text()


def test_report_charts_each_runs_strength_by_its_minutes_of_training(
    ntuple_run: Path, trained_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "vs.png"
    ntuple_dir, alphazero_dir = ntuple_run / "runs" / "nt", trained_run / "runs" / "base"
    proc = subprocess.run(
        [*CLI, "report", str(ntuple_dir), "--vs", str(alphazero_dir), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "evaluations of 2 runs" in proc.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for root, name in ((ntuple_run, "nt"), (trained_run, "base")):
        minutes, means = strength_by_minutes(PathManager(root, name))
        assert len(minutes) == len(means) >= 1 and all(m > 0 for m in minutes)
    assert minutes == sorted(minutes)
