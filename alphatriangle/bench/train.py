"""`alphatriangle bench train`: the trainer against a raw training loop, and self-play scaling."""

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from torch.nn import functional

from alphatriangle.bench.report import write_report
from alphatriangle.config import EnvConfig, MCTSConfig, ModelConfig, SelfPlayConfig, TrainConfig
from alphatriangle.features import feature_spec
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import Experiences, SelfPlayWorker, remote_self_play_worker
from alphatriangle.rl.core import ExperienceBuffer, ReplaySettings, Trainer


def _random_experiences(n: int, env: EnvConfig) -> Experiences:
    spec = feature_spec(env)
    rng = np.random.default_rng(0)
    board = rng.integers(0, 2, size=(n, *spec.board_shape), dtype=np.uint8)
    policy = rng.random((n, env.ACTION_DIM)).astype(np.float32) * board[:, 3:].reshape(n, -1)
    policy[:, 0] += 1e-3
    return Experiences.without_bootstrap(
        board=board,
        other=rng.random((n, spec.other_dim)).astype(np.float32),
        policy=policy / policy.sum(1, keepdims=True),
        value=rng.normal(20, 10, size=n).astype(np.float32),
        num_slots=spec.num_slots,
    )


def trainer_rate(model: ModelConfig, train: TrainConfig, env: EnvConfig, seconds: float) -> float:
    """Samples/s of `Trainer.train_step` fed by a prioritized buffer."""
    spec = feature_spec(env)
    buffer = ExperienceBuffer(
        ReplaySettings(capacity=20_000, min_size_to_train=train.BATCH_SIZE, use_per=True),
        spec.board_shape, spec.other_dim, env.ACTION_DIM, spec.num_slots, seed=0,
    )  # fmt: skip
    buffer.add_batch(_random_experiences(20_000, env))
    trainer = Trainer(NeuralNetwork(model, env, device="cpu"), train)
    steps = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or steps < 3:
        batch = buffer.sample(train.BATCH_SIZE, steps)
        assert batch is not None
        _, errors = trainer.train_step(batch)
        buffer.update_priorities(batch.indices, errors)
        steps += 1
    return steps * train.BATCH_SIZE / elapsed


def raw_rate(model: ModelConfig, train: TrainConfig, env: EnvConfig, seconds: float) -> float:
    """Samples/s of a bare forward + backward + optimizer step on one fixed batch."""
    network = NeuralNetwork(model, env, device="cpu")
    net = network.model.train()
    exp = _random_experiences(train.BATCH_SIZE, env)
    board = torch.from_numpy(exp.board).float()
    other = torch.from_numpy(exp.other)
    policy = torch.from_numpy(exp.policy)
    value = network.support.project(torch.from_numpy(exp.value))
    optimizer = torch.optim.AdamW(net.parameters(), lr=train.LEARNING_RATE)
    steps = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or steps < 3:
        logits, value_logits = net(board, other)
        loss = (
            -(policy * functional.log_softmax(logits, 1)).sum(1).mean()
            - (value * functional.log_softmax(value_logits, 1)).sum(1).mean()
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        steps += 1
    return steps * train.BATCH_SIZE / elapsed


def self_play_scaling(
    model: ModelConfig, mcts: MCTSConfig, selfplay: SelfPlayConfig, env: EnvConfig, workers: int,
    seconds: float,
) -> tuple[float, float]:  # fmt: skip
    """(positions/s of one in-process worker, positions/s of `workers` Ray actors together);
    each first warms up for as long as it is measured, at most 2 s."""
    warm_up = min(2.0, seconds)
    single = SelfPlayWorker(0, env, mcts, model, selfplay, seed=0)
    single.play_for(warm_up)
    start = time.perf_counter()
    one = single.play_for(seconds) / (time.perf_counter() - start)

    import ray

    actor_class = remote_self_play_worker(num_cpus=1)
    actors = [actor_class.remote(i, env, mcts, model, selfplay, seed=i) for i in range(workers)]
    ray.get([a.play_for.remote(warm_up) for a in actors])
    start = time.perf_counter()
    total = sum(ray.get([a.play_for.remote(seconds) for a in actors]))
    together = total / (time.perf_counter() - start)
    for actor in actors:
        ray.kill(actor)
    return one, together


def run_train_benchmark(
    seconds: float, workers: int, games: int, simulations: int, out: Path, console: Console
) -> dict[str, Any]:
    from alphatriangle.training.setup import init_ray, prepare_local_ray_environment

    torch.set_num_threads(1)
    torch.manual_seed(0)
    env = EnvConfig()
    model = ModelConfig()
    train = TrainConfig()
    selfplay = SelfPlayConfig(GAMES_PER_WORKER=games)
    mcts = MCTSConfig(NUM_SIMULATIONS=simulations)
    console.print(f"trainer: batch {train.BATCH_SIZE}, one thread; self-play: {workers} workers")
    trained = trainer_rate(model, train, env, seconds)
    raw = raw_rate(model, train, env, seconds)
    prepare_local_ray_environment()
    started = init_ray(None)
    try:
        one, together = self_play_scaling(model, mcts, selfplay, env, workers, 2 * seconds)
    finally:
        if started:
            import ray

            ray.shutdown()
    rows = [
        {"measurement": "Trainer.train_step samples", "per second": trained},
        {"measurement": "raw forward+backward samples", "per second": raw},
        {"measurement": "self-play positions, 1 worker", "per second": one},
        {"measurement": f"self-play positions, {workers} Ray workers", "per second": together},
    ]
    summary = {
        "trainer_to_raw_ratio": trained / raw,
        "trainer_ratio_target": 0.8,
        "self_play_scaling": together / (workers * one),
        "scaling_target": 0.8,
        "workers": workers,
        "cpus": os.cpu_count(),
    }
    write_report("train", rows, summary, out, console)
    return summary
