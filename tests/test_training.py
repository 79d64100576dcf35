"""The training pipeline end to end: real Ray, a real MLflow store and server, TensorBoard."""

import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray
import torch
from run_files import copy_run, quick_config, snapshot, train_command
from safetensors.numpy import load_file
from waiting import wait_for

from alphatriangle.config import RunConfig
from alphatriangle.data import DataManager, PathManager, RunCounters
from alphatriangle.data.serializer import buffer_from_file, read_json
from alphatriangle.evaluation import play_baseline, selection_seeds
from alphatriangle.training import TrainingLoop, run_training, setup_training_components

pytestmark = pytest.mark.usefixtures("ray_local")
LOOPBACK = "127.0.0.1"


def _latest_state(root: Path, run: str) -> dict[str, Any]:
    pointer = PathManager(root, run).pointer("latest")
    state: dict[str, Any] = read_json(
        pointer.parent / read_json(pointer)["step_dir"] / "state.json"
    )
    return state


def _latest_step(root: Path, run: str) -> int:
    return int(_latest_state(root, run)["counters"]["global_step"])


def _check_mlflow_run(client: Any, run_id: str) -> None:
    """Finished, with parameters, interval-mean losses, grad norm mean <= max, episodes."""
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["train.BATCH_SIZE"] == "16"
    assert run.data.tags["machine.vector_isa"] == torch.backends.cpu.get_cpu_capability()
    assert run.data.tags["machine.cpus"] == str(os.cpu_count())
    losses = client.get_metric_history(run_id, "Loss/Total")
    assert sorted(int(m.step) for m in losses) == [5, 10, 15, 20]
    grad_mean = {int(m.step): m.value for m in client.get_metric_history(run_id, "Train/Grad_Norm")}
    grad_max = {
        int(m.step): m.value for m in client.get_metric_history(run_id, "Train/Grad_Norm_Max")
    }
    assert grad_mean.keys() == grad_max.keys() and all(
        grad_max[s] >= grad_mean[s] for s in grad_mean
    )
    assert "RL/Episode_Score" in run.data.metrics
    weight_updates = client.get_metric_history(run_id, "Events/Weight_Update")
    assert sorted({int(m.step) for m in weight_updates}) == [10, 20]
    assert all(m.value == m.step for m in weight_updates)


def _check_evaluation(client: Any, run_id: str, config: RunConfig, paths: PathManager) -> None:
    """One evaluation at step 20 with the baselines' means, the best checkpoint and replay."""
    evaluations = client.get_metric_history(run_id, "Eval/Mean")
    assert [int(m.step) for m in evaluations] == [20]
    seeds = selection_seeds(config.evaluation.GAMES)
    for policy in ("planner", "greedy"):
        reference = client.get_metric_history(run_id, f"Eval/{policy.title()}_Mean")
        expected = play_baseline(policy, seeds, config.env, config.planner).summary()["mean"]
        assert [int(m.step) for m in reference] == [20]
        assert reference[0].value == pytest.approx(expected)
    assert DataManager(paths).checkpoint_dir("best") == paths.step_dir(20)
    best_score = read_json(paths.step_dir(20) / "state.json")["best_eval_score"]
    assert best_score == pytest.approx(evaluations[0].value)
    assert (paths.run_dir / "replays" / "step_000000020_best.html").is_file()


def _check_artifacts(client: Any, run_id: str) -> None:
    """MLflow holds the configs, the latest and best checkpoints (not every one), replays."""
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"configs.json", "checkpoints", "buffers", "replays"} <= artifacts
    checkpoints = {a.path for a in client.list_artifacts(run_id, "checkpoints")}
    assert checkpoints == {"checkpoints/latest", "checkpoints/best"}
    latest_files = {a.path for a in client.list_artifacts(run_id, "checkpoints/latest")}
    assert "checkpoints/latest/state.json" in latest_files
    replays = {a.path for a in client.list_artifacts(run_id, "replays")}
    assert replays == {"replays/step_000000020_best.html"}


def _check_restored_state(paths: PathManager, config: RunConfig) -> None:
    """A loop set up from the checkpoint has its counters and the saved buffer."""
    saved = buffer_from_file(paths.buffer_path)
    components, started = setup_training_components(
        config, paths.run_name, tracking_uri=paths.default_tracking_uri()
    )
    assert components is not None and not started
    loop = TrainingLoop(components)
    loop.set_initial_state(DataManager(paths).load_initial_state())
    state = read_json(paths.step_dir(20) / "state.json")
    assert loop.counters == RunCounters.model_validate(state["counters"])
    assert state["counters"]["global_step"] == 20
    assert state["counters"]["positions_played"] >= state["counters"]["experiences_added"] > 0
    assert len(components.buffer) == saved.size
    assert sorted(components.buffer.value[: saved.size]) == sorted(saved.value)
    assert np.array_equal(np.sort(components.buffer.priorities()), np.sort(saved.priorities))
    ray.kill(components.stats_collector_actor)


def test_quick_run_checkpoints_logs_to_mlflow_and_tensorboard_then_resumes(
    trained_run: Path, tmp_path: Path
) -> None:
    """The session's 20-step quick run (`trained_run`, copied), then 10 steps more."""
    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    untouched = snapshot(trained_run)
    root, paths = copy_run(trained_run, tmp_path)
    config = quick_config(root, "train.MAX_TRAINING_STEPS=20")
    assert _latest_step(root, "base") == 20
    assert paths.step_dir(10).is_dir()
    assert paths.buffer_path.is_file()
    assert json.loads(paths.config_path.read_text())["train"]["MAX_TRAINING_STEPS"] == 20

    client = MlflowClient(tracking_uri=paths.default_tracking_uri())
    run_id = read_json(paths.step_dir(20) / "state.json")["mlflow_run_id"]
    _check_mlflow_run(client, run_id)
    _check_evaluation(client, run_id, config, paths)
    _check_artifacts(client, run_id)
    events = EventAccumulator(str(paths.tensorboard_dir))
    events.Reload()
    assert "Loss/Total" in events.Tags()["scalars"]

    _check_restored_state(paths, quick_config(root, "train.MAX_TRAINING_STEPS=30"))
    resumed = subprocess.run(  # a new process: MLflow caches where a run's artifacts go
        [*train_command(root, "base"), "--max-steps", "30"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert _latest_step(root, "base") == 30
    assert read_json(paths.step_dir(30) / "state.json")["mlflow_run_id"] == run_id
    evaluated = [int(m.step) for m in client.get_metric_history(run_id, "Eval/Mean")]
    assert evaluated == [20, 30]  # the final weights, 10 steps before an evaluation was due
    assert snapshot(trained_run) == untouched  # the copy's MLflow store names its own files


def test_a_time_budget_ends_the_run_and_anneals_the_schedules(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    config = quick_config(
        tmp_path, "train.MAX_TRAINING_STEPS=1000000", "train.MAX_TRAINING_MINUTES=0.1",
        "train.CHECKPOINT_SAVE_FREQ_STEPS=1000000", "evaluation.FREQ_STEPS=1000000",
    )  # fmt: skip
    assert run_training(config, run_name="budget") == 0
    paths = PathManager(tmp_path, "budget")
    state = _latest_state(tmp_path, "budget")
    counters = state["counters"]
    assert counters["training_seconds"] >= 6.0
    assert 0 < counters["global_step"] < 1_000_000
    client = MlflowClient(tracking_uri=paths.default_tracking_uri())
    rates = client.get_metric_history(state["mlflow_run_id"], "LearningRate")
    betas = client.get_metric_history(state["mlflow_run_id"], "Buffer/PER_Beta")
    last_rate = max(rates, key=lambda m: m.step).value
    first_rate = min(rates, key=lambda m: m.step).value
    train = config.train
    assert first_rate > last_rate
    assert last_rate < train.LR_SCHEDULER_ETA_MIN + 0.2 * (
        train.LEARNING_RATE - train.LR_SCHEDULER_ETA_MIN
    )
    assert max(betas, key=lambda m: m.step).value > 0.8
    assert run_training(config, run_name="budget") == 0
    again = _latest_state(tmp_path, "budget")["counters"]
    assert again["global_step"] - counters["global_step"] < 50


def test_an_ntuple_warm_start_learns_in_the_runs_time_teaches_and_is_not_learnt_again(
    tmp_path: Path,
) -> None:
    """The n-tuple warm-start player is learnt first, inside the time budget, saved in the
    run, sent to the workers (whose warm-start games need it), and a resume past the warm
    start does not learn it again; a resume with other tuples is refused."""
    from alphatriangle.config import ConfigError
    from alphatriangle.training.warm_start import load_warm_start

    warm = ("selfplay.WARM_START_PLAYER=ntuple", "selfplay.NTUPLE_WARM_START_MINUTES=0.05",
            "selfplay.PLANNER_WARM_START_STEPS=20", "evaluation.FREQ_STEPS=1000000",
            "model.NTUPLE_VALUE_DIM=2", "model.NTUPLE_VALUE_FROM_WARM_START=true")  # fmt: skip
    config = quick_config(tmp_path, *warm, "train.MAX_TRAINING_STEPS=30")
    assert run_training(config, run_name="warm") == 0
    paths = PathManager(tmp_path, "warm")
    learnt = load_warm_start(paths.warm_start_path, config)
    assert learnt.done(config) and learnt.seconds_learned < 60
    assert np.count_nonzero(learnt.weights) > 1000
    table = load_file(paths.step_dirs()[0] / "model.safetensors")["ntuple.table.weight"]
    seen = learnt.weights != 0
    assert np.corrcoef(table[seen, 0], learnt.weights[seen])[0, 1] > 0.9
    counters = _latest_state(tmp_path, "warm")["counters"]
    assert counters["global_step"] == 30
    assert counters["training_seconds"] > learnt.seconds_learned
    log = paths.logs_dir / "warm.log"
    seeded = "the value head's n-tuple table starts from the warm-start player's"
    assert log.read_text().count("learning the n-tuple warm-start player") == 1
    assert log.read_text().count(seeded) == 1
    assert run_training(quick_config(tmp_path, *warm, "train.MAX_TRAINING_STEPS=40"), "warm") == 0
    assert log.read_text().count("learning the n-tuple warm-start player") == 1
    assert log.read_text().count(seeded) == 1
    np.testing.assert_array_equal(load_warm_start(paths.warm_start_path, config).weights,
                                  learnt.weights)  # fmt: skip
    other_tuples = quick_config(tmp_path, *warm, "ntuple.PATCHES=[[2, 4]]")
    with pytest.raises(ConfigError, match="different ntuple settings"):
        run_training(other_tuples, run_name="warm")


def test_sigint_saves_a_final_checkpoint_and_exits_130(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        train_command(tmp_path, "sig"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    paths = PathManager(tmp_path, "sig")
    try:
        wait_for(lambda: paths.pointer("latest").is_file(), 240, "a first checkpoint")
        seen = _latest_step(tmp_path, "sig")
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, output[-2000:]
    final = _latest_step(tmp_path, "sig")
    assert final >= seen
    assert "stopped at step" in output
    assert paths.buffer_path.is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_runs_are_recorded_by_a_real_mlflow_server(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--artifacts-destination", str(tmp_path / "server-artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},  # no job runners
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        wait_for(healthy, 120, "the MLflow server")
        config = quick_config(
            tmp_path / "data",
            "train.MAX_TRAINING_STEPS=10",
            f"persistence.MLFLOW_TRACKING_URI={uri}",
        )
        assert run_training(config, run_name="remote") == 0
        client = MlflowClient(tracking_uri=uri)
        experiment = client.get_experiment_by_name("AlphaTriangle")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id])
        assert [r.info.run_name for r in runs] == ["remote"]
        assert "Loss/Total" in runs[0].data.metrics
        assert runs[0].data.params["train.MAX_TRAINING_STEPS"] == "10"
        assert {a.path for a in client.list_artifacts(runs[0].info.run_id)} >= {
            "configs.json",
            "checkpoints",
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def _listening_addresses(pids: set[int]) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The local addresses on which the processes `pids` listen (TCP) or receive (UDP), an
    IPv4 address mapped into IPv6 as itself."""
    import psutil

    addresses = {
        ipaddress.ip_address(connection.laddr.ip)
        for connection in psutil.net_connections("inet")
        if connection.pid in pids
        and isinstance(connection.laddr, tuple)
        and connection.laddr
        and (connection.status == psutil.CONN_LISTEN or connection.type == socket.SOCK_DGRAM)
    }
    return {
        a.ipv4_mapped if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped else a
        for a in addresses
    }


def _own_process_tree() -> set[int]:
    import psutil

    me = psutil.Process()
    return {me.pid, *(child.pid for child in me.children(recursive=True))}


def test_the_tests_local_ray_listens_on_loopback_only() -> None:
    """The session's local Ray (and the actors earlier tests of this process left alive)
    bind nothing but loopback addresses."""
    listening = _listening_addresses(_own_process_tree())
    assert listening and all(address.is_loopback for address in listening), listening


def _cluster_actors(gcs_address: str) -> list[dict[str, Any]]:
    """Every actor the cluster at `gcs_address` knows, read from its GCS (this process stays
    joined to its own Ray)."""
    from ray._private.state import GlobalState
    from ray._raylet import GcsClientOptions  # type: ignore[attr-defined]

    state = GlobalState()  # type: ignore[no-untyped-call]
    state._initialize_global_state(GcsClientOptions.create(gcs_address, None, True, False))
    try:
        return list(state.actor_table(None).values())
    finally:
        state.disconnect()  # type: ignore[no-untyped-call]


def test_a_cluster_that_loses_a_node_mid_run_replaces_its_actors_and_completes(
    tmp_path: Path,
) -> None:
    """Workers spread over a head and a second node, all on 127.0.0.1; the node is removed
    without warning mid-run: its actors are replaced on the head and the run completes."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 2, "include_dashboard": False, "node_ip_address": LOOPBACK},
    )
    assert cluster.head_node is not None
    head = cluster.head_node.node_id
    node = cluster.add_node(num_cpus=1, node_ip_address=LOOPBACK)
    paths = PathManager(tmp_path, "cluster")
    log = tmp_path / "train.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*train_command(
                tmp_path, "cluster", "train.MAX_TRAINING_MINUTES=0.4", "replay.CAPACITY=50000",
                "train.CHECKPOINT_SAVE_FREQ_STEPS=20", "evaluation.FREQ_STEPS=100",
                ray_address=cluster.address,
            ), "--workers", "2"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        run_log = paths.logs_dir / "cluster.log"

        def worker_nodes() -> dict[str, str]:
            text = run_log.read_text() if run_log.is_file() else ""
            return dict(re.findall(r"self-play worker (\d+): pid \d+ on node (\w+)", text))

        wait_for(lambda: len(worker_nodes()) == 2, 240, "two self-play workers")
        assert set(worker_nodes().values()) == {n.node_id for n in cluster.list_all_nodes()}
        wait_for(lambda: paths.pointer("latest").is_file(), 240, "a first checkpoint")
        listening = _listening_addresses(_own_process_tree())
        assert listening and all(address.is_loopback for address in listening), listening
        lost = [
            actor["ActorClassName"]
            for actor in _cluster_actors(cluster.address)
            if actor["State"] == "ALIVE" and actor["Address"]["NodeID"] == node.node_id
        ]
        cluster.remove_node(node, allow_graceful=False)
        assert proc.wait(timeout=240) == 0, log.read_text()[-3000:]
        workers = [
            actor["Address"]["NodeID"]
            for actor in _cluster_actors(cluster.address)
            if actor["ActorClassName"] == "SelfPlayWorker"
        ]
    finally:
        if proc.poll() is None:
            proc.kill()
        cluster.shutdown()
    text = run_log.read_text()
    lost_worker = next(w for w, n in worker_nodes().items() if n == node.node_id)
    assert "SelfPlayWorker" in lost, lost
    failed = text.index(f"self-play worker {lost_worker} failed")
    assert text.index(f"self-play worker {lost_worker} restarted", failed) > failed
    if "StatsCollector" in lost:
        assert "the stats collector failed" in text and "replaced it (1 of 3)" in text, text
    assert re.search(r"run cluster completed at step \d+", text), text[-3000:]
    assert sorted(workers) == sorted([head, head, node.node_id])  # the replacement ran on the head
    state = _latest_state(tmp_path, "cluster")
    counters = state["counters"]
    saved = buffer_from_file(paths.buffer_path)
    assert saved.global_step == counters["global_step"]
    assert 0 < saved.size == counters["experiences_added"] < 50_000
    final = DataManager(paths).load_initial_state()
    assert final.checkpoint is not None and final.weights is not None


def test_worker_count_and_trainer_threads_fit_the_cpus() -> None:
    from alphatriangle.training.setup import adjusted_worker_count, trainer_threads

    assert adjusted_worker_count(4, 2) == 1
    assert adjusted_worker_count(3, 8) == 3
    assert adjusted_worker_count(1, 1) == 1
    assert trainer_threads(1, 2) == 1
    assert trainer_threads(3, 8) == 5
    assert trainer_threads(16, 8) == 1


def test_a_runs_log_file_stops_taking_lines_when_its_run_ends(tmp_path: Path) -> None:
    """A process that trains twice (a notebook, the tests) logs the second run only to its
    own file: `run_training` closes the first one's."""
    import logging

    from alphatriangle.training import close_file_logging, setup_file_logging

    first = setup_file_logging(tmp_path, "first")
    logging.getLogger("alphatriangle.test").warning("while the first run trains")
    close_file_logging(first)
    second = setup_file_logging(tmp_path, "second")
    logging.getLogger("alphatriangle.test").warning("while the second run trains")
    close_file_logging(second)
    first_lines = Path(first).read_text().splitlines()
    assert len(first_lines) == 1 and first_lines[0].endswith("while the first run trains")
    assert Path(second).read_text().endswith("while the second run trains\n")
    handlers = [getattr(h, "baseFilename", None) for h in logging.getLogger().handlers]
    assert first not in handlers and second not in handlers
