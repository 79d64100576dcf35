"""`alphatriangle bench train`: the trainer against a raw training loop, and self-play scaling."""

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from torch.nn import functional

from alphatriangle.bench.report import write_report
from alphatriangle.bench.search import midgame_positions
from alphatriangle.bench.selfplay import play_together
from alphatriangle.config import (
    EnvConfig,
    MCTSConfig,
    ModelConfig,
    RunConfig,
    SelfPlayConfig,
    TrainConfig,
)
from alphatriangle.features import BOARD_BASE_PLANES, FeatureExtractor, feature_spec
from alphatriangle.nn import NeuralNetwork
from alphatriangle.nn.network import resolve_device
from alphatriangle.rl import Experiences, SelfPlayWorker, remote_self_play_worker
from alphatriangle.rl.core import ExperienceBuffer, ReplaySettings, Trainer

BUFFER_EXAMPLES = 100_000
"""Examples in the benchmark's buffer: more than the caches hold, as in training."""


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


def position_examples(n: int, env: EnvConfig, seed: int = 0) -> Experiences:
    """`n` examples of real positions a few moves into their games (so symmetry images are
    drawn as in training), each with a random search policy over its legal moves."""
    spec = feature_spec(env)
    positions = midgame_positions(n, env, seed)
    board, other = FeatureExtractor(env).extract(positions.occ, positions.shapes)
    rng = np.random.default_rng(seed)
    policy = board[:, BOARD_BASE_PLANES:].reshape(n, -1) * rng.random((n, env.ACTION_DIM))
    policy /= np.maximum(policy.sum(1, keepdims=True), 1e-9)
    value = rng.normal(20, 10, size=n).astype(np.float32)
    return Experiences.without_bootstrap(
        board.astype(np.uint8), other, policy.astype(np.float32), value, spec.num_slots
    )


def _synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a timing covers it (CUDA runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass(frozen=True)
class TrainerRates:
    """Samples/s of the input pipeline (sampling, symmetry images, tensors on the device)
    and of whole training steps, and the pipeline's share of a step."""

    pipeline: float
    step: float
    pipeline_share: float


def trainer_rates(
    model: ModelConfig, train: TrainConfig, env: EnvConfig, device: str, seconds: float
) -> TrainerRates:
    """`Trainer` fed by a prioritized buffer of real positions, its input pipeline timed
    apart from the optimisation (on CUDA, synchronised after each part)."""
    spec = feature_spec(env)
    buffer = ExperienceBuffer(
        ReplaySettings(capacity=BUFFER_EXAMPLES, min_size_to_train=train.BATCH_SIZE, use_per=True),
        spec.board_shape, spec.other_dim, env.ACTION_DIM, spec.num_slots, seed=0,
    )  # fmt: skip
    buffer.add_batch(position_examples(BUFFER_EXAMPLES, env))
    network = NeuralNetwork(model, env, device=device)
    trainer = Trainer(network, train, np.random.SeedSequence(0))
    steps, pipeline_seconds = 0, 0.0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or steps < 3:
        began = time.perf_counter()
        batch = buffer.sample(train.BATCH_SIZE, steps)
        assert batch is not None
        tensors = trainer.prepare(batch)
        _synchronize(network.device)
        pipeline_seconds += time.perf_counter() - began
        _, errors = trainer.optimize(tensors)
        buffer.update_priorities(batch.indices, errors)
        steps += 1
    _synchronize(network.device)
    elapsed = time.perf_counter() - start
    samples = steps * train.BATCH_SIZE
    return TrainerRates(samples / pipeline_seconds, samples / elapsed, pipeline_seconds / elapsed)


def raw_rate(
    model: ModelConfig, train: TrainConfig, env: EnvConfig, device: str, seconds: float
) -> float:
    """Samples/s of a bare float32 forward + backward + optimizer step on one fixed batch."""
    network = NeuralNetwork(model, env, device=device)
    net = network.model.train()
    exp = _random_experiences(train.BATCH_SIZE, env)
    board = torch.from_numpy(exp.board).to(network.device).float()
    other = torch.from_numpy(exp.other).to(network.device)
    policy = torch.from_numpy(exp.policy).to(network.device)
    value = network.support.project(torch.from_numpy(exp.value).to(network.device))
    optimizer = torch.optim.AdamW(net.parameters(), lr=train.LEARNING_RATE)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        logits, value_logits = net(board, other)
        loss = (
            -(policy * functional.log_softmax(logits, 1)).sum(1).mean()
            - (value * functional.log_softmax(value_logits, 1)).sum(1).mean()
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        steps += 1
    _synchronize(network.device)
    return steps * train.BATCH_SIZE / (time.perf_counter() - start)


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
    one = single.play_for(seconds)[0] / (time.perf_counter() - start)
    actor_class = remote_self_play_worker(num_cpus=1)
    actors = [actor_class.remote(i, env, mcts, model, selfplay, seed=i) for i in range(workers)]
    played, elapsed = play_together(actors, warm_up, seconds)
    return one, sum(positions for positions, _ in played) / elapsed


@dataclass(frozen=True)
class TrainBenchSettings:
    config: RunConfig
    preset: str
    workers: int
    seconds: float
    device: str


def run_train_benchmark(
    settings: TrainBenchSettings, out: Path, console: Console
) -> dict[str, Any]:
    from alphatriangle.training.setup import ray_for_benchmark

    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = settings.config
    env, model, train = config.env, config.model, config.train
    seconds, workers = settings.seconds, settings.workers
    device = str(resolve_device(settings.device))
    console.print(
        f"trainer: {settings.preset} preset's network, batch {train.BATCH_SIZE}, one thread, "
        f"{device}; self-play: {workers} workers"
    )
    trained = trainer_rates(model, train, env, device, seconds)
    raw = raw_rate(model, train, env, device, seconds)
    with ray_for_benchmark():
        one, together = self_play_scaling(
            model, config.mcts, config.selfplay, env, workers, 2 * seconds
        )
    rows = [
        {"measurement": "input pipeline samples", "per second": trained.pipeline},
        {"measurement": "Trainer.train_step samples", "per second": trained.step},
        {"measurement": "raw forward+backward samples", "per second": raw},
        {"measurement": "self-play positions, 1 worker", "per second": one},
        {"measurement": f"self-play positions, {workers} Ray workers", "per second": together},
    ]
    summary = {
        "input_pipeline_share_of_step": trained.pipeline_share,
        "trainer_to_raw_ratio": trained.step / raw,
        "trainer_ratio_target": 0.8,
        "self_play_scaling": together / (workers * one),
        "scaling_target": 0.8,
        "preset": settings.preset,
        "batch_size": train.BATCH_SIZE,
        "device": device,
        "workers": workers,
        "cpus": os.cpu_count(),
    }
    write_report("train", rows, summary, out, console)
    return summary
