"""`alphatriangle bench selfplay`: the positions/s and simulations/s of N self-play workers
as training runs them (Ray actors of one CPU each, G games searched together, the network on
the configured device), with the GPU's utilisation and memory where there is one."""

import os
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from alphatriangle.bench.gpu import GpuSampler
from alphatriangle.bench.report import write_report
from alphatriangle.config import RunConfig
from alphatriangle.rl import remote_self_play_worker

WARM_UP_SECONDS = 5.0
"""Each worker first plays this long (at least one move: numba, ONNX export, CUDA context)."""


@dataclass(frozen=True)
class SelfPlayBenchSettings:
    config: RunConfig
    preset: str
    workers: int
    seconds: float


def play_together(
    actors: list[Any],
    warm_up: float,
    seconds: float,
    measuring: AbstractContextManager[Any] | None = None,
) -> tuple[list[tuple[int, int]], float]:
    """Self-play actors warmed up for `warm_up` s, then measured playing at once for
    `seconds` (inside `measuring`, such as a `GpuSampler`): each one's (positions,
    simulations) and the wall time. Kills the actors."""
    import ray

    ray.get([a.play_for.remote(warm_up) for a in actors])
    with measuring or nullcontext():
        start = time.perf_counter()
        played = ray.get([a.play_for.remote(seconds) for a in actors])
        elapsed = time.perf_counter() - start
    for actor in actors:
        ray.kill(actor)
    return played, elapsed


def run_selfplay_benchmark(
    settings: SelfPlayBenchSettings, out: Path, console: Console
) -> dict[str, Any]:
    from alphatriangle.training.setup import ray_for_benchmark

    config, workers = settings.config, settings.workers
    selfplay = config.selfplay
    console.print(
        f"self-play: {settings.preset} preset, {workers} workers x {selfplay.GAMES_PER_WORKER} "
        f"games, {config.mcts.NUM_SIMULATIONS} simulations, network on {selfplay.DEVICE}"
    )
    with ray_for_benchmark():
        import ray

        actor_class = remote_self_play_worker(num_cpus=1)
        actors = [
            actor_class.remote(
                i, config.env, config.mcts, config.model, selfplay, seed=i,
                planner_config=config.planner,
            )
            for i in range(workers)
        ]  # fmt: skip
        past_warm_start = selfplay.teacher_end_step
        ray.get([a.set_current_trainer_step.remote(past_warm_start) for a in actors])
        gpu = GpuSampler()
        warm_up = min(WARM_UP_SECONDS, settings.seconds)
        played, elapsed = play_together(actors, warm_up, settings.seconds, measuring=gpu)
    rows: list[dict[str, Any]] = [
        {"worker": str(i), "positions/s": p / elapsed, "simulations/s": s / elapsed}
        for i, (p, s) in enumerate(played)
    ]
    positions = sum(p for p, _ in played) / elapsed
    simulations = sum(s for _, s in played) / elapsed
    rows.append({"worker": "all", "positions/s": positions, "simulations/s": simulations})
    summary: dict[str, Any] = {
        "positions_per_second": positions,
        "simulations_per_second": simulations,
        "preset": settings.preset,
        "workers": workers,
        "games_per_worker": selfplay.GAMES_PER_WORKER,
        "simulations_per_move": config.mcts.NUM_SIMULATIONS,
        "device": selfplay.DEVICE,
        "inference": selfplay.INFERENCE_BACKEND,
        "seconds": elapsed,
        "cpus": os.cpu_count(),
        **gpu.summary(),
    }
    write_report("selfplay", rows, summary, out, console)
    return summary
