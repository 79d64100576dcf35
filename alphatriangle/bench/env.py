"""`alphatriangle bench env`: steps/s of the vector env against Gymnasium's `SyncVectorEnv`."""

import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from rich.console import Console

import alphatriangle.envs.env as game_env
from alphatriangle.bench.engine import sample_legal
from alphatriangle.bench.report import write_report
from alphatriangle.game.rng import seed_states

VECTOR_TARGET = 50.0
"""At 1,024 games the vector env should step at least this many times faster."""


def steps_per_second(env: gym.vector.VectorEnv[Any, Any, Any], seconds: float) -> tuple[int, float]:
    """Random legal moves (masks from `info`) in every game for `seconds` of time spent in
    `env.step` (choosing the moves is not counted); returns (game steps, step time)."""
    n = env.num_envs
    _, info = env.reset(seed=0)
    policy_rng = seed_states(range(10**6, 10**6 + n))
    actions = np.zeros(n, dtype=np.int64)
    steps = 0
    in_step = 0.0
    while in_step < seconds:
        sample_legal(info["action_mask"], policy_rng, actions)
        start = time.perf_counter()
        _, _, _, _, info = env.step(actions)
        in_step += time.perf_counter() - start
        steps += n
    env.close()
    return steps, in_step


def run_env_benchmark(
    seconds: float, counts: list[int], observation: str, out: Path, console: Console
) -> dict[str, Any]:
    """Both implementations at each game count, on one core."""
    console.print(f"env steps/s with random legal moves, {seconds:g} s each ...")
    rows = []
    ratios: dict[int, float] = {}
    for n in counts:
        rates = {}
        for mode in ("vector_entry_point", "sync"):
            env = gym.make_vec(
                game_env.ENV_ID, num_envs=n, vectorization_mode=mode, observation=observation
            )
            steps_per_second(env, min(seconds, 0.2))
            env = gym.make_vec(
                game_env.ENV_ID, num_envs=n, vectorization_mode=mode, observation=observation
            )
            steps, elapsed = steps_per_second(env, seconds)
            rates[mode] = steps / elapsed
        ratios[n] = rates["vector_entry_point"] / rates["sync"]
        rows.append(
            {
                "games": n,
                "AlphaTriangleVector steps/s": rates["vector_entry_point"],
                "SyncVectorEnv steps/s": rates["sync"],
                "speedup": round(ratios[n], 1),
            }
        )
    summary: dict[str, Any] = {"observation": observation, "target_at_1024": VECTOR_TARGET}
    summary.update({f"speedup_at_{n}": ratio for n, ratio in ratios.items()})
    write_report("env", rows, summary, out, console)
    return summary
