"""`alphatriangle bench scaling`: does more search give a steadier, better-calibrated choice?

Positions come from the agent's own games. At each budget every position is searched twice
with independent refill streams (fresh trees, the evaluation search) and the table reports:
- agreement: how often the two searches choose the same move (a search whose choice is
  decided by its sampled refills, not by the position, agrees less than its budget suggests);
- optimism gap: the chosen move's Q in the search that chose it minus the same move's Q in the
  other search (the winner's curse: how much a choice flatters itself);
- Q spread: the mean absolute difference of the chosen move's Q between the two searches.
"""

import time
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from rich.console import Console

from alphatriangle.bench.report import write_report
from alphatriangle.config import EnvConfig, MCTSConfig
from alphatriangle.evaluation.suite import AgentChooser, default_seeds
from alphatriangle.game import GameBatch
from alphatriangle.mcts import BatchedMCTS
from alphatriangle.nn import NeuralNetwork

POSITION_STRIDE = 12
"""Moves between two positions taken from the same game."""


def agent_positions(
    network: NeuralNetwork, mcts: MCTSConfig, env: EnvConfig, count: int, seed: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int8]]:
    """`count` positions of the agent's own games (16 simulations), one every
    `POSITION_STRIDE` moves of each game, from the seeds after `seed`."""
    games = max(1, count // 8)
    seeds = [seed + g for g in range(games)]
    batch = GameBatch.new(games, env, seeds=seeds)
    chooser = AgentChooser(network, mcts.model_copy(update={"NUM_SIMULATIONS": 16}), env, seeds)
    occ: list[npt.NDArray[np.uint64]] = []
    shapes: list[npt.NDArray[np.int8]] = []
    while sum(len(o) for o in occ) < count and not batch.done.all():
        if batch.steps.max() % POSITION_STRIDE == 0:
            alive = ~batch.done
            occ.append(batch.occ[alive].copy())
            shapes.append(batch.shapes[alive].copy())
        batch.step(np.where(batch.done, -1, chooser(batch)))
    return np.concatenate(occ)[:count], np.concatenate(shapes)[:count]


def mean_and_half_width(values: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Mean and half the normal-approximation 95% confidence interval."""
    half = NormalDist().inv_cdf(0.975) * values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean()), float(half)


def compare_searches(
    network: NeuralNetwork,
    mcts: MCTSConfig,
    occ: npt.NDArray[np.uint64],
    shapes: npt.NDArray[np.int8],
    seeds: tuple[int, int],
) -> dict[str, float]:
    """Agreement, optimism gap and Q spread of two independent searches of every position."""
    outputs = []
    for seed in seeds:
        search = BatchedMCTS(mcts, network.env_config, occ.shape[0], seed=seed)
        outputs.append(search.search(occ, shapes, network.evaluate_arrays))
    first, second = outputs
    rows = np.arange(occ.shape[0])
    gaps, spreads = [], []
    for chose, other in ((first, second), (second, first)):
        own = chose.root_q[rows, chose.actions]
        elsewhere = other.root_q[rows, chose.actions]
        seen = np.isfinite(elsewhere)
        gaps.append((own - elsewhere)[seen])
        spreads.append(np.abs(own - elsewhere)[seen])
    gap, gap_half = mean_and_half_width(np.concatenate(gaps).astype(np.float64))
    return {
        "agreement": float((first.actions == second.actions).mean()),
        "optimism_gap": gap,
        "optimism_gap_ci": gap_half,
        "q_spread": float(np.concatenate(spreads).mean()),
        "root_value": float(first.root_values.mean()),
    }


def run_scaling_benchmark(
    network: NeuralNetwork,
    mcts: MCTSConfig,
    agent: str,
    positions: int,
    budgets: list[int],
    out: Path,
    console: Console,
) -> dict[str, Any]:
    """The table of `compare_searches` at each budget, on the same positions."""
    torch.set_num_threads(1)
    env = network.env_config
    occ, shapes = agent_positions(network, mcts, env, positions, default_seeds(1)[0] + 50_000)
    console.print(f"{agent}: {occ.shape[0]} positions from its own games; two searches each")
    rows: list[dict[str, Any]] = []
    for budget in budgets:
        start = time.perf_counter()
        figures = compare_searches(
            network, mcts.model_copy(update={"NUM_SIMULATIONS": budget}), occ, shapes, (1, 2)
        )
        rows.append(
            {
                "sims": budget,
                "agree %": 100 * figures["agreement"],
                "gap": figures["optimism_gap"],
                "gap ±": figures["optimism_gap_ci"],
                "Q spread": figures["q_spread"],
                "root V": figures["root_value"],
                "seconds": time.perf_counter() - start,
            }
        )
    summary = {
        "agent": agent,
        "positions": int(occ.shape[0]),
        "chance_sampling": mcts.CHANCE_SAMPLING,
        "max_considered_actions": mcts.GUMBEL_MAX_CONSIDERED_ACTIONS,
    }
    write_report("scaling", rows, summary, out, console)
    return summary
