"""`alphatriangle bench analysis`: how long the page's agent takes to analyse a position.

Each position of the agent's own games is analysed as the page does it (`web.analysis`:
`eval`'s search for one game, a fresh tree) and timed; the table gives the latency at each
budget: median, 90th percentile and worst, in milliseconds.
"""

import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from alphatriangle.bench.report import write_report
from alphatriangle.bench.scaling import agent_positions
from alphatriangle.evaluation.checkpoints import Agent
from alphatriangle.evaluation.suite import default_seeds, evaluation_mcts
from alphatriangle.game import GameState
from alphatriangle.game.geometry import words_to_cells
from alphatriangle.web.analysis import Analyst


def position_state(agent: Agent, occ: np.ndarray, shapes: np.ndarray) -> GameState:
    """A `GameState` of one recorded position."""
    env = agent.config.env
    cells = [divmod(cell, env.COLS) for cell in words_to_cells(int(occ[0]), int(occ[1]))]
    hand = [None if s < 0 else int(s) for s in shapes]
    return GameState.from_snapshot(cells, hand, env)


def run_analysis_benchmark(
    agent: Agent, positions: int, budgets: list[int], out: Path, console: Console
) -> dict[str, Any]:
    """Time the page's analysis of `positions` positions at each budget (after one warm-up)."""
    seed = default_seeds(1)[0] + 60_000
    occ, shapes = agent_positions(
        agent.network, evaluation_mcts(agent.config), agent.config.env, positions, seed
    )
    states = [position_state(agent, occ[i], shapes[i]) for i in range(occ.shape[0])]
    console.print(f"{agent.name}: {len(states)} positions from its own games, analysed one by one")
    rows: list[dict[str, Any]] = []
    for budget in budgets:
        Analyst(agent, budget, seed).analyse(states[0], 0)
        times = []
        for i, state in enumerate(states):
            analyst = Analyst(agent, budget, seed + i)
            start = time.perf_counter()
            analyst.analyse(state, 0)
            times.append(1000 * (time.perf_counter() - start))
        ms = np.array(times)
        rows.append(
            {
                "sims": budget,
                "median ms": float(np.median(ms)),
                "p90 ms": float(np.percentile(ms, 90)),
                "max ms": float(ms.max()),
            }
        )
    summary = {"agent": agent.name, "positions": len(states)}
    write_report("analysis", rows, summary, out, console)
    return summary
