"""DataManager (atomic, safe checkpoints and buffers) and StatsCollector (MLflow, TensorBoard)."""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from networks import seeded_network

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.data import (
    CheckpointData,
    DataManager,
    PathManager,
    RunCounters,
    load_checkpoint_dir,
)
from alphatriangle.data.serializer import (
    atomic_write_bytes,
    buffer_from_file,
    torch_state_from_bytes,
)
from alphatriangle.features import feature_spec
from alphatriangle.rl import Experiences
from alphatriangle.rl.core import ExperienceBuffer, ReplaySettings
from alphatriangle.stats import StatsCollector
from alphatriangle.stats.collector import CHECKPOINT_HISTORY

ENV = EnvConfig()
SPEC = feature_spec(ENV)


def _checkpoint(step: int) -> CheckpointData:
    return CheckpointData(
        run_name="r",
        counters=RunCounters(global_step=step, episodes_played=step),
        configs={"x": 1},
    )


def _buffer(values: range) -> ExperienceBuffer:
    settings = ReplaySettings(capacity=8, min_size_to_train=1, use_per=True)
    buffer = ExperienceBuffer(
        settings, SPEC.board_shape, SPEC.other_dim, ENV.ACTION_DIM, SPEC.num_slots, seed=0
    )
    n = len(values)
    buffer.add_batch(
        Experiences.without_bootstrap(
            board=np.ones((n, *SPEC.board_shape), np.uint8),
            other=np.zeros((n, SPEC.other_dim), np.float32),
            policy=np.full((n, ENV.ACTION_DIM), 1 / ENV.ACTION_DIM, np.float32),
            value=np.array(values, np.float32),
            num_slots=SPEC.num_slots,
        )
    )
    return buffer


def test_checkpoints_round_trip_and_keep_pointers(tmp_path: Path) -> None:
    manager = DataManager(PathManager(tmp_path, "r"), keep_checkpoints=2)
    network = seeded_network(0, ModelConfig(), ENV)
    weights = network.get_weights()
    state = {"optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}, "rng": np.arange(3)}
    manager.mark_best(
        manager.save_checkpoint(_checkpoint(10), weights, {"optimizer": state["optimizer"]})
    )
    for step in (20, 30, 40):
        manager.save_checkpoint(_checkpoint(step), weights, {"optimizer": state["optimizer"]})
    names = [p.name for p in manager.paths.step_dirs()]
    assert names == ["step_000000010", "step_000000030", "step_000000040"]
    assert manager.checkpoint_dir("best") == manager.paths.step_dir(10)
    loaded = manager.load_initial_state()
    assert loaded.checkpoint is not None and loaded.checkpoint.global_step == 40
    assert loaded.weights is not None
    assert all(np.array_equal(loaded.weights[k], weights[k]) for k in weights)
    assert loaded.trainer_state == {"optimizer": state["optimizer"]}
    assert not list(manager.paths.checkpoints_dir.glob("*.partial"))
    assert not list(manager.paths.checkpoints_dir.rglob("*.tmp"))


def test_a_crash_mid_save_leaves_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = DataManager(PathManager(tmp_path, "r"))
    weights = {"w": np.ones(3, np.float32)}
    manager.save_checkpoint(_checkpoint(5), weights, {})

    def crash(_: object) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr("alphatriangle.data.serializer.torch_state_to_bytes", crash)
    with pytest.raises(KeyboardInterrupt):
        manager.save_checkpoint(_checkpoint(6), {"w": np.zeros(3, np.float32)}, {})
    monkeypatch.undo()
    loaded = manager.load_initial_state()
    assert loaded.checkpoint is not None
    assert loaded.checkpoint.global_step == 5
    assert loaded.weights is not None
    assert loaded.weights["w"].tolist() == [1.0, 1.0, 1.0]


def test_loading_never_unpickles(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    payload = pickle.dumps({"optimizer": Evil()}, protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        torch_state_from_bytes(payload)
    assert not (tmp_path / "pwned").exists()
    np.save(tmp_path / "obj.npy", np.array([Evil()], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        np.load(tmp_path / "obj.npy", allow_pickle=False)
    step_dir = tmp_path / "step"
    step_dir.mkdir()
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors"):
        load_checkpoint_dir(step_dir)


def test_buffer_round_trip_keeps_contents_in_order(tmp_path: Path) -> None:
    buffer = _buffer(range(13))
    buffer.arrays["reward_sum"][:] = 2 * buffer.value
    buffer.arrays["bootstrap_discount"][:] = 0.5
    buffer.arrays["bootstrap_occ"][:, 0] = np.arange(8, dtype=np.uint64) << np.uint64(40)
    buffer.arrays["bootstrap_shapes"][:] = 4
    buffer.update_priorities(np.arange(8), np.arange(8, dtype=np.float64))
    manager = DataManager(PathManager(tmp_path, "r"))
    path = manager.save_buffer(buffer.to_data())
    restored = _buffer(range(0))
    restored.load_data(buffer_from_file(path))
    assert len(restored) == 8
    assert restored.value.tolist() == list(range(5, 13))
    original = {float(v): p for v, p in zip(buffer.value, buffer.priorities(), strict=True)}
    for value, priority in zip(restored.value, restored.priorities(), strict=True):
        assert priority == pytest.approx(original[float(value)])
    rows = [int(np.flatnonzero(buffer.value == v)[0]) for v in restored.value[:8]]
    for name, array in restored.arrays.items():
        np.testing.assert_array_equal(array[:8], buffer.arrays[name][rows])


def test_a_buffer_saved_before_bootstrap_arrays_loads_with_final_targets(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    data = _buffer(range(5)).to_data()
    with path.open("wb") as out:
        np.savez(
            out, board=data.board, other=data.other, policy=data.policy, value=data.value,
            priorities=data.priorities, counters=np.array([data.position, data.size, 3]),
            max_priority=np.array([data.max_priority]),
        )  # fmt: skip
    old = buffer_from_file(path)
    assert old.reward_sum is None and old.bootstrap_occ is None
    old.check(SPEC.board_shape, SPEC.other_dim, ENV.ACTION_DIM, SPEC.num_slots)
    restored = _buffer(range(0))
    restored.load_data(old)
    assert restored.arrays["reward_sum"][:5].tolist() == list(range(5))
    assert not restored.arrays["bootstrap_discount"][:5].any()


def test_stats_collector_keeps_bounded_history_and_state() -> None:
    stats = StatsCollector(max_history=3)
    for i in range(5):
        stats.log("Loss/Total", float(i), {"global_step": i})
    stats.log_batch({"RL/Score": [(10.0, {"global_step": 1}), (20.0, {"game_step_index": 4})]})
    assert [v for v, _ in stats.get_metric_data("Loss/Total")] == [2.0, 3.0, 4.0]
    assert set(stats.get_data()) == {"Loss/Total", "RL/Score"}
    state = stats.get_state()
    other = StatsCollector()
    other.set_state(state)
    assert other.get_data() == stats.get_data()
    stats.clear()
    assert stats.get_data() == {}


def test_a_checkpoint_keeps_a_compact_bounded_stats_history(tmp_path: Path) -> None:
    stats = StatsCollector(max_history=5_000)
    for i in range(CHECKPOINT_HISTORY + 500):
        stats.log("Loss/Total", float(i), {"global_step": i, "buffer_size": 2 * i})
    state = stats.get_state()
    column = state["columns"]["Loss/Total"]
    assert column["value"][0] == 500.0 and len(column["value"]) == CHECKPOINT_HISTORY
    assert column["global_step"][-1] == CHECKPOINT_HISTORY + 499
    assert column["worker_id"][0] == -1
    manager = DataManager(PathManager(tmp_path, "r"))
    checkpoint = _checkpoint(3).model_copy(update={"stats_collector_state": state})
    step_dir = manager.save_checkpoint(checkpoint, {"w": np.ones(2, np.float32)}, {})
    text = (step_dir / "state.json").read_text()
    assert text.count("\n") == 1 and len(text) < 80 * CHECKPOINT_HISTORY
    restored = StatsCollector()
    loaded = manager.load_initial_state().checkpoint
    assert loaded is not None
    restored.set_state(loaded.stats_collector_state)
    entries = restored.get_metric_data("Loss/Total")
    assert entries[0] == (500.0, {"global_step": 500, "buffer_size": 1000})


def test_stats_are_forwarded_to_a_real_mlflow_store_and_tensorboard(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("t", artifact_location=str(tmp_path / "art"))
    run_id = client.create_run(experiment).info.run_id
    stats = StatsCollector(mlflow_tracking_uri=uri, mlflow_run_id=run_id,
                           tensorboard_dir=str(tmp_path / "tb"), flush_interval=0.1)  # fmt: skip
    for step in range(3):
        stats.log_batch(
            {"Loss/Total": [(1.0 * step, {"global_step": step}), (3.0, {"global_step": step})]}
        )
    stats.close()
    history = client.get_metric_history(run_id, "Loss/Total")
    assert sorted((m.step, m.value) for m in history) == [(0, 1.5), (1, 2.0), (2, 2.5)]
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert [e.value for e in events.Scalars("Loss/Total")] == [1.5, 2.0, 2.5]


def test_tee_writes_to_every_stream_and_configs_flatten_for_mlflow() -> None:
    import io

    from alphatriangle.training import Tee
    from alphatriangle.training.logging_utils import flatten_params

    first, second = io.StringIO(), io.StringIO()
    tee = Tee(first, second)
    assert tee.write("hello\n") == 6
    tee.flush()
    assert first.getvalue() == second.getvalue() == "hello\n"
    assert not tee.isatty()
    flat = flatten_params({"train": {"BATCH_SIZE": 16, "DIMS": (8, 4)}, "env": {"ROWS": 8}})
    assert flat == {"train.BATCH_SIZE": "16", "train.DIMS": "[8, 4]", "env.ROWS": "8"}


def test_a_format_2_checkpoint_is_read_in_format_3s_layout() -> None:
    payload = {
        "format_version": 2, "run_name": "r", "global_step": 7, "episodes_played": 3,
        "total_simulations": 9, "experiences_added": 5, "training_seconds": 1.5,
        "configs": {"mcts": {"num_simulations": 24, "discount": 0.9}, "train": {"X": 1}},
    }  # fmt: skip
    checkpoint = CheckpointData.model_validate(payload)
    assert checkpoint.counters == RunCounters(
        global_step=7, episodes_played=3, positions_played=5, experiences_added=5,
        total_simulations=9, training_seconds=1.5,
    )  # fmt: skip
    assert checkpoint.global_step == 7
    assert checkpoint.configs == {
        "mcts": {"NUM_SIMULATIONS": 24, "DISCOUNT": 0.9},
        "train": {"X": 1},
    }


def test_atomic_writes_get_the_permissions_of_a_plain_open(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    atomic = tmp_path / "atomic"
    atomic_write_bytes(atomic, b"x")
    assert atomic.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
