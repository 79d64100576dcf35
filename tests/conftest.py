"""Shared fixtures: the recorded transitions of the original engine, and one local Ray."""

import gzip
import json
import os
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, ray_local: None) -> Path:
    """A quick run named `base` of 20 steps (checkpoints at 10 and 20, a buffer), to copy and
    damage. Its tests carry `run_files.TRAINED_RUN`, so one xdist worker trains it."""
    from run_files import quick_config

    from alphatriangle.training import run_training

    root = tmp_path_factory.mktemp("trained")
    assert run_training(quick_config(root, "train.MAX_TRAINING_STEPS=20"), run_name="base") == 0
    return root


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the numba kernels once, here, before any test starts a command, a self-play
    worker or an evaluator: those then load the compiled code from numba's cache instead of
    compiling the same kernels again side by side on the same cores (a fresh clone's cost)."""
    import numpy as np

    from alphatriangle.config import load_run_config
    from alphatriangle.envs.vector_env import AlphaTriangleVectorEnv
    from alphatriangle.evaluation.suite import evaluation_mcts, play_agent, play_baseline
    from alphatriangle.game import GameState
    from alphatriangle.nn import NeuralNetwork

    config = load_run_config("quick")
    for policy in ("random", "greedy", "planner"):
        play_baseline(policy, [1], config.env)
    network = NeuralNetwork(config.model, config.env, device="cpu")
    for root in ("gumbel", "puct"):
        mcts = evaluation_mcts(config, 4).model_copy(update={"ROOT_SELECTION": root})
        play_agent("warm-up", network, mcts, [1], config.env)
    state = GameState(config.env, initial_seed=1)
    state.step(min(state.valid_actions()))
    vector = AlphaTriangleVectorEnv(2, config.env)
    vector.reset(seed=1)
    vector.step(np.argmax(vector.action_masks(), axis=1))
