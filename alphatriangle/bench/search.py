"""`alphatriangle bench search`: network, search and self-play throughput on one core."""

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from alphatriangle.baselines.simple import policy_streams, random_actions
from alphatriangle.bench.report import write_report
from alphatriangle.config import EnvConfig, MCTSConfig, ModelConfig, SelfPlayConfig
from alphatriangle.game import GameBatch
from alphatriangle.mcts import BatchedMCTS
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import SelfPlayWorker

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def midgame_positions(n: int, env: EnvConfig, seed: int = 0) -> GameBatch:
    """`n` positions a few random moves into their games (all still running)."""
    batch = GameBatch.new(n, env, seeds=list(range(seed, seed + n)))
    rng = policy_streams(n, seed)
    for _ in range(6):
        batch.step(random_actions(batch, rng))
        batch.reset(batch.done.copy())
    return batch


def forward_rate(network: NeuralNetwork, batch_size: int, seconds: float) -> float:
    """States/s of `evaluate_arrays` (features + forward + value) at one batch size."""
    positions = midgame_positions(batch_size, network.env_config)
    network.evaluate_arrays(positions.occ, positions.shapes)
    calls = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        network.evaluate_arrays(positions.occ, positions.shapes)
        calls += 1
    return calls * batch_size / elapsed


def search_rate(
    network: NeuralNetwork, config: MCTSConfig, games: int, seconds: float
) -> tuple[float, float]:
    """(simulations/s, share of the time spent in the evaluator) of repeated searches."""
    positions = midgame_positions(games, network.env_config, seed=1000)
    search = BatchedMCTS(config, network.env_config, games, seed=0)
    in_network = 0.0

    def evaluator(occ: np.ndarray, shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nonlocal in_network
        t0 = time.perf_counter()
        out = network.evaluate_arrays(occ, shapes)
        in_network += time.perf_counter() - t0
        return out

    search.search(positions.occ, positions.shapes, evaluator)
    in_network = 0.0
    sims = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        search.reset()
        out = search.search(positions.occ, positions.shapes, evaluator)
        sims += int(out.expansions.sum())
    return sims / elapsed, in_network / elapsed


def self_play_rate(
    model: ModelConfig, config: MCTSConfig, selfplay: SelfPlayConfig, env: EnvConfig, seconds: float
) -> tuple[float, int]:
    """(positions/s, games finished) of one in-process self-play worker."""
    worker = SelfPlayWorker(0, env, config, model, selfplay, seed=0)
    worker.play_for(0.0)
    start = time.perf_counter()
    positions, _ = worker.play_for(seconds)
    return positions / (time.perf_counter() - start), worker.episodes_done


def run_search_benchmark(
    seconds: float,
    model: ModelConfig,
    mcts: MCTSConfig,
    selfplay: SelfPlayConfig,
    out: Path,
    console: Console,
) -> dict[str, Any]:
    """`selfplay.GAMES_PER_WORKER` games searched together, inference by
    `selfplay.INFERENCE_BACKEND`."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    env = EnvConfig()
    games = selfplay.GAMES_PER_WORKER
    network = NeuralNetwork(model, env, device="cpu", inference=selfplay.INFERENCE_BACKEND)
    console.print(
        f"one core; {seconds:g} s per measurement; {mcts.NUM_SIMULATIONS} simulations; "
        f"inference {network.backend}"
    )
    rows: list[dict[str, Any]] = []
    forward: dict[int, float] = {}
    for size in sorted({*BATCH_SIZES, games}):
        forward[size] = forward_rate(network, size, seconds)
        rows.append({"measurement": f"network forward, batch {size}", "per second": forward[size]})
    sims, network_share = search_rate(network, mcts, games, 2 * seconds)
    rows.append({"measurement": f"search simulations, {games} games", "per second": sims})
    positions, finished = self_play_rate(model, mcts, selfplay, env, 3 * seconds)
    rows.append({"measurement": "self-play positions, one worker", "per second": positions})
    summary = {
        "search_to_forward_ratio": sims / forward[games],
        "ratio_target": 0.6,
        "search_time_in_network": network_share,
        "self_play_games_finished": finished,
        "games_per_search": games,
        "simulations_per_move": mcts.NUM_SIMULATIONS,
        "root_selection": mcts.ROOT_SELECTION,
        "inference": network.backend,
    }
    write_report("search", rows, summary, out, console)
    return summary
