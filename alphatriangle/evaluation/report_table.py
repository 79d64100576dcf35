"""`alphatriangle eval`: an agent against the baselines (and another agent) on one suite."""

import json
from pathlib import Path
from typing import Any

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


def results_table(results: list[SuiteResult], reference: SuiteResult) -> Table:
    table = Table(title=f"{len(reference.seeds)} games, same seeds for every policy")
    table.add_column("policy")
    for column in COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
    table.add_column(f"{reference.name} - policy (95% CI)", justify="right")
    for result in results:
        summary = result.summary()
        cells = [f"{summary[c]:.1f}" for c in COLUMNS]
        if result is reference:
            diff = "-"
        else:
            d = paired_difference(reference, result)
            diff = f"{d['mean_difference']:+.1f} [{d['ci_low']:+.1f}, {d['ci_high']:+.1f}]"
        table.add_row(result.name, *cells, diff)
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
        f"evaluating {agent.name} ({mcts.num_simulations} simulations) on {len(seeds)} games"
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
    results += [play_baseline(name, seeds, env) for name in ("greedy", "random")]
    console.print(results_table(results, results[0]))
    payload = {
        "checkpoint": str(agent.checkpoint_dir),
        "simulations": mcts.num_simulations,
        "results": [r.to_json() for r in results],
        "paired_differences": {r.name: paired_difference(results[0], r) for r in results[1:]},
    }
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"wrote {json_path}")
    return payload
