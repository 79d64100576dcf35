"""`alphatriangle eval`: an agent against the baselines (and another agent) on one suite."""

import json
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from alphatriangle.evaluation.checkpoints import CheckpointError, load_agent
from alphatriangle.evaluation.suite import (
    SuiteResult,
    default_seeds,
    evaluation_mcts,
    paired_difference,
    play_agent,
    play_baseline,
    read_seeds,
)

COLUMNS = ("mean", "median", "p10", "p90", "max", "mean_length", "lines_per_game")
HEADERS = ("mean", "median", "p10", "p90", "max", "moves", "lines")
ONE_DECIMAL = {"mean": 1, "mean_length": 1, "lines_per_game": 1}
"""Columns shown with a decimal; the percentiles and max are whole enough."""
BASELINE_ORDER = ("planner", "greedy", "random")
"""The baselines every table lists, strongest first."""


def difference_cell(mean: float, half: float) -> str:
    """`+12.3 ± 4.5`; in whole points from a mean of 1,000 or a half-width of 100 up, where
    the tenth is noise, so that the table keeps to 80 columns."""
    decimals = 0 if abs(mean) >= 1000 or half >= 100 else 1
    return f"{mean:+.{decimals}f} ± {half:.{decimals}f}"


def results_table(results: list[SuiteResult], reference: SuiteResult) -> Table:
    """One row per policy with the paired difference `reference - policy` and its 95% CI.

    Agents get short row labels (`agent`, `vs`) listed with their full names in the
    caption, so the table fits an 80-column terminal.
    """
    labels = {id(r): r.name if r.name in BASELINE_ORDER else "" for r in results}
    agents = [r for r in results if not labels[id(r)]]
    for index, result in enumerate(agents):
        labels[id(result)] = "agent" if index == 0 else f"vs{index if len(agents) > 2 else ''}"
    caption = "; ".join(f"{labels[id(r)]} = {r.name}" for r in agents)
    table = Table(
        title=f"{len(reference.seeds)} games, the same seeds for every policy",
        caption=caption or None,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("policy", no_wrap=True)
    for header in HEADERS:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column(f"{labels[id(reference)]} - policy", justify="right", no_wrap=True)
    for result in results:
        summary = result.summary()
        cells = [f"{summary[c]:.{ONE_DECIMAL.get(c, 0)}f}" for c in COLUMNS]
        if result is reference:
            diff = "-"
        else:
            d = paired_difference(reference, result)
            diff = difference_cell(d["mean_difference"], (d["ci_high"] - d["ci_low"]) / 2)
        table.add_row(labels[id(result)], *cells, diff)
    return table


def run_eval(
    target: str,
    games: int,
    seeds_spec: str,
    simulations: int | None,
    vs: str | None,
    json_path: Path | None,
    console: Console,
) -> dict[str, Any]:
    seeds = (
        default_seeds(games) if seeds_spec == "default" else read_seeds(Path(seeds_spec))[:games]
    )
    agent = load_agent(target)
    env = agent.config.env
    mcts = evaluation_mcts(agent.config, simulations)
    console.print(
        f"evaluating {agent.name} ({mcts.NUM_SIMULATIONS} simulations) on {len(seeds)} games"
    )
    results = [play_agent(agent.name, agent.network, mcts, seeds, env)]
    if vs is not None:
        other = load_agent(vs)
        if not other.config.env.same_game(env):
            raise CheckpointError(
                f"{vs} was trained on another board or slot count than {target}; "
                "compare checkpoints of the same game"
            )
        other_mcts = evaluation_mcts(other.config, simulations)
        results.append(play_agent(other.name, other.network, other_mcts, seeds, other.config.env))
    results += [play_baseline(name, seeds, env, agent.config.planner) for name in BASELINE_ORDER]
    console.print(results_table(results, results[0]))
    console.print("(mean difference ± half the 95% confidence interval, paired by seed)")
    payload = eval_payload(str(agent.checkpoint_dir), mcts.NUM_SIMULATIONS, results)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"wrote {json_path}")
    return payload


def eval_payload(checkpoint: str, simulations: int, results: list[SuiteResult]) -> dict[str, Any]:
    """What `eval --json` writes: every policy's games, and the first one's paired differences."""
    return {
        "checkpoint": checkpoint,
        "simulations": simulations,
        "results": [r.to_json() for r in results],
        "paired_differences": {r.name: paired_difference(results[0], r) for r in results[1:]},
    }


def merge_payloads(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """One `eval --json` payload from several on disjoint seed files (an evaluation spread
    over cores or machines): each policy's games joined in seed order, differences recomputed."""
    if not payloads:
        raise ValueError("no results to merge")
    first = payloads[0]
    names = [r["name"] for r in first["results"]]
    for payload in payloads[1:]:
        same_search = (payload["checkpoint"], payload["simulations"]) == (
            first["checkpoint"],
            first["simulations"],
        )
        if not same_search or [r["name"] for r in payload["results"]] != names:
            raise ValueError("results to merge must be of the same agents at the same budget")
    merged = []
    for index, name in enumerate(names):
        games: dict[int, tuple[float, int, int]] = {}
        for payload in payloads:
            r = payload["results"][index]
            columns = (r["seeds"], r["scores"], r["lengths"], r["lines"])
            for seed, score, length, lines in zip(*columns, strict=True):
                if seed in games:
                    raise ValueError(f"seed {seed} is in two of the results to merge")
                games[seed] = (score, length, lines)
        seeds = sorted(games)
        merged.append(
            SuiteResult(
                name,
                seeds,
                scores=[games[s][0] for s in seeds],
                lengths=[games[s][1] for s in seeds],
                lines=[games[s][2] for s in seeds],
            )
        )
    return eval_payload(first["checkpoint"], first["simulations"], merged)
