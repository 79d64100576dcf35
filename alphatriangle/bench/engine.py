"""`alphatriangle bench engine`: random-policy moves/s of each implementation of the rules."""

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit
from rich.console import Console

from alphatriangle.bench.reference_engine import ReferenceGame
from alphatriangle.bench.report import write_report
from alphatriangle.game import GameBatch, GameState
from alphatriangle.game.rng import draw_below, seed_states


@njit(cache=True)
def sample_legal(mask: np.ndarray, rng: np.ndarray, out: np.ndarray) -> None:
    """A uniformly random True column of each row of `mask` (-1 for an all-False row)."""
    for g in range(mask.shape[0]):
        out[g] = -1
        count = 0
        for a in range(mask.shape[1]):
            count += mask[g, a]
        if count == 0:
            continue
        pick = draw_below(rng, g, count)
        for a in range(mask.shape[1]):
            if mask[g, a]:
                if pick == 0:
                    out[g] = a
                    break
                pick -= 1


def _timed(run_moves: Callable[[], int], seconds: float) -> tuple[int, float]:
    """Call `run_moves` until `seconds` have passed; return (moves, elapsed)."""
    moves = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        moves += run_moves()
    return moves, elapsed


def bench_batched(batch_size: int, seconds: float) -> tuple[int, float]:
    batch = GameBatch.new(batch_size, seeds=list(range(batch_size)))
    policy_rng = seed_states(range(10**6, 10**6 + batch_size))
    mask = np.empty((batch_size, batch.config.ACTION_DIM), dtype=np.bool_)
    actions = np.empty(batch_size, dtype=np.int64)

    def run() -> int:
        batch.legal_mask(out=mask)
        sample_legal(mask, policy_rng, actions)
        batch.step(actions)
        if batch.done.any():
            batch.reset(batch.done.copy())
        return int((actions >= 0).sum())

    run()
    return _timed(run, seconds)


def bench_object_api(seconds: float) -> tuple[int, float]:
    state = GameState(initial_seed=0)
    rng = random.Random(0)

    def run() -> int:
        for _ in range(100):
            legal = np.flatnonzero(state.valid_action_mask())
            state.step(int(legal[rng.randrange(len(legal))]))
            if state.is_over():
                state.reset()
        return 100

    run()
    return _timed(run, seconds)


def bench_reference(seconds: float) -> tuple[int, float]:
    game = ReferenceGame(seed=0)
    rng = random.Random(0)

    def run() -> int:
        for _ in range(10):
            game.step(rng.choice(game.legal_actions()))
            if game.over:
                game.reset()
        return 10

    return _timed(run, seconds)


def run_engine_benchmark(
    seconds: float, batch_size: int, out: Path, console: Console
) -> dict[str, Any]:
    """Measure all three implementations on one core and write the report."""
    console.print(f"random-policy moves/s, legal-move masks included, {seconds:g} s each ...")
    measured = {
        f"batched core ({batch_size} games)": bench_batched(batch_size, seconds),
        "GameState object API": bench_object_api(seconds),
        "pure-Python baseline": bench_reference(seconds),
    }
    rates = {name: moves / elapsed for name, (moves, elapsed) in measured.items()}
    baseline = rates["pure-Python baseline"]
    rows = [
        {
            "implementation": name,
            "moves": moves,
            "seconds": round(elapsed, 2),
            "moves/s": rates[name],
            "x baseline": round(rates[name] / baseline, 1),
        }
        for name, (moves, elapsed) in measured.items()
    ]
    names = list(rates)
    summary = {
        "batched_speedup": rates[names[0]] / baseline,
        "object_api_speedup": rates[names[1]] / baseline,
        "batched_target": 200.0,
        "object_api_target": 10.0,
    }
    write_report("engine", rows, summary, out, console)
    return summary
