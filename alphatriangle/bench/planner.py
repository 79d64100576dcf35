"""`alphatriangle bench planner`: how fast the planner baseline plays whole games on one core."""

import time
from pathlib import Path
from typing import Any

from rich.console import Console

from alphatriangle.bench.report import write_report
from alphatriangle.config import EnvConfig, PlannerConfig
from alphatriangle.evaluation.suite import play_baseline

BENCH_SEED_BASE = 500_000
"""Benchmark games are seeds 500,000 onwards: neither the evaluation suite nor tuning seeds."""


def time_planner(config: PlannerConfig, seeds: list[int]) -> dict[str, Any]:
    """Play every seed's game to the end with the planner; games/s, moves/s and the scores."""
    started = time.perf_counter()
    result = play_baseline("planner", seeds, EnvConfig(), config)
    elapsed = time.perf_counter() - started
    moves = sum(result.lengths)
    return {
        "beam": config.BEAM_WIDTH,
        "games": len(seeds),
        "seconds": round(elapsed, 2),
        "games/s": len(seeds) / elapsed,
        "moves/s": moves / elapsed,
        "mean score": sum(result.scores) / len(seeds),
    }


def run_planner_benchmark(
    games: int, beam: int | None, out: Path, console: Console
) -> dict[str, Any]:
    """The default beam (or `beam`), and half and twice it for the speed-strength trade-off."""
    default = PlannerConfig() if beam is None else PlannerConfig(BEAM_WIDTH=beam)
    widths = sorted({max(1, default.BEAM_WIDTH // 2), default.BEAM_WIDTH, default.BEAM_WIDTH * 2})
    seeds = list(range(BENCH_SEED_BASE, BENCH_SEED_BASE + games))
    time_planner(default, seeds[:2])
    console.print(f"the planner on {games} games (one core), beams {widths} ...")
    rows = [time_planner(default.model_copy(update={"BEAM_WIDTH": w}), seeds) for w in widths]
    main = next(row for row in rows if row["beam"] == default.BEAM_WIDTH)
    summary = {
        "beam": default.BEAM_WIDTH,
        "games_per_second": main["games/s"],
        "moves_per_second": main["moves/s"],
        "mean_score": main["mean score"],
    }
    write_report("planner", rows, summary, out, console)
    return summary
