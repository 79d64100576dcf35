"""Shared fixtures: the recorded transitions of the original engine, one local Ray, and work
done once for the whole session even under pytest-xdist (compiled kernels, a trained run)."""

import fcntl
import gzip
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# Before Ray is imported anywhere: no auth token, and every Ray server on 127.0.0.1.
os.environ["RAY_AUTH_MODE"] = "disabled"
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def conformance() -> dict[str, Any]:
    with gzip.open(DATA / "transitions.json.gz", "rt") as f:
        data: dict[str, Any] = json.load(f)
    return data


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """One local Ray for the whole test session, listening on loopback only (one per
    pytest-xdist worker under `make test`)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _session_dir(factory: pytest.TempPathFactory) -> Path:
    """A directory all of this session's pytest-xdist workers share (the session's own
    temporary directory when pytest runs alone)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _holding(lock: Path, wait: bool) -> Iterator[bool]:
    """Hold an exclusive lock on the file `lock` (waiting for it if `wait`); yields whether
    it is held."""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True


def _once(directory: Path, name: str, work: Callable[[], None], wait: bool = True) -> bool:
    """Run `work` unless a process of this session did it already; with `wait` False, return
    False at once while another process is doing it."""
    with _holding(directory / f"{name}.lock", wait) as held:
        if not held:
            return False
        done = directory / f"{name}.done"
        if not done.exists():
            work()
            done.touch()
        return True


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, ray_local: None) -> Path:
    """A quick run named `base` of 20 steps (checkpoints at 10 and 20, a buffer), to copy and
    damage; trained once per session."""
    from run_files import quick_config

    from alphatriangle.training import run_training

    shared = _session_dir(tmp_path_factory)
    root = shared / "trained"

    def train() -> None:
        config = quick_config(root, "train.MAX_TRAINING_STEPS=20")
        assert run_training(config, run_name="base") == 0

    _once(shared, "trained-run", train)
    return root


def _warm_up_baselines() -> None:
    from alphatriangle.config import EnvConfig
    from alphatriangle.evaluation.suite import play_baseline

    for policy in ("random", "greedy", "planner"):
        play_baseline(policy, [1], EnvConfig())


def _warm_up_search() -> None:
    from alphatriangle.config import load_run_config
    from alphatriangle.evaluation.suite import evaluation_mcts, play_agent
    from alphatriangle.nn import NeuralNetwork

    config = load_run_config("quick")
    network = NeuralNetwork(config.model, config.env, device="cpu")
    for root in ("gumbel", "puct"):
        mcts = evaluation_mcts(config, 4).model_copy(update={"ROOT_SELECTION": root})
        play_agent("warm-up", network, mcts, [1], config.env)


def _warm_up_environments() -> None:
    import numpy as np

    from alphatriangle.config import EnvConfig
    from alphatriangle.envs.vector_env import AlphaTriangleVectorEnv
    from alphatriangle.game import GameState

    state = GameState(EnvConfig(), initial_seed=1)
    state.step(min(state.valid_actions()))
    vector = AlphaTriangleVectorEnv(2, EnvConfig())
    vector.reset(seed=1)
    vector.step(np.argmax(vector.action_masks(), axis=1))


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compile the numba kernels into numba's cache before any test starts a command, a
    self-play worker or an evaluator: those then load the compiled code instead of compiling
    the same kernels side by side on the same cores (a fresh clone's cost). xdist workers
    split the groups between them and wait for the ones another worker is compiling."""
    shared = _session_dir(tmp_path_factory)
    groups = {
        "compiled-search": _warm_up_search,
        "compiled-baselines": _warm_up_baselines,
        "compiled-environments": _warm_up_environments,
    }
    busy = [name for name, work in groups.items() if not _once(shared, name, work, wait=False)]
    for name in busy:
        _once(shared, name, groups[name])
