"""`alphatriangle eval`: an agent against the baselines (and other agents) on one suite."""

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from rich import box
from rich.console import Console
from rich.table import Table

from alphatriangle.config import MCTSConfig, override_search
from alphatriangle.evaluation.checkpoints import (
    Agent,
    AnyAgent,
    CheckpointError,
    NTupleAgent,
    load_any_agent,
)
from alphatriangle.evaluation.report import not_an_eval_file, read_eval_payload
from alphatriangle.evaluation.suite import (
    SuiteResult,
    evaluation_mcts,
    ntuple_chooser,
    paired_difference,
    play_agent,
    play_baseline,
    play_suite,
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


@dataclass(frozen=True)
class EvalRequest:
    """What `alphatriangle eval` plays: an agent (and its `vs` opponents: agents, or earlier
    `eval --json` files) and the baselines on `seeds`, the agents searching with
    `simulations` and the `mcts.KEY=value` overrides."""

    target: str
    seeds: list[int]
    simulations: int | None = None
    vs: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()

    def shard(self, index: int, count: int) -> "EvalRequest":
        """The same evaluation on every `count`-th seed from the `index`-th."""
        return replace(self, seeds=self.seeds[index::count])


@dataclass(frozen=True)
class EvalOutcome:
    checkpoint: str
    simulations: int
    results: list[SuiteResult]
    """The agent, the `vs` opponents in their order, then the baselines, strongest first."""


def agent_search(agent: Agent, request: EvalRequest) -> MCTSConfig:
    """The search `agent` plays with in `request`."""
    return override_search(
        evaluation_mcts(agent.config, request.simulations), list(request.overrides)
    )


def simulations_of(agent: AnyAgent, request: EvalRequest) -> int:
    """The search budget `agent` plays with in `request` (0 for an n-tuple player, whose
    search is its beam over the hand)."""
    return 0 if isinstance(agent, NTupleAgent) else agent_search(agent, request).NUM_SIMULATIONS


def play_one(agent: AnyAgent, request: EvalRequest) -> SuiteResult:
    """`agent`'s games on the seeds of `request`."""
    env = agent.config.env
    if isinstance(agent, NTupleAgent):
        seeds: list[int | None] = list(request.seeds)
        return play_suite(agent.name, request.seeds, ntuple_chooser(agent.player, seeds), env)
    return play_agent(agent.name, agent.network, agent_search(agent, request), request.seeds, env)


Opponent = AnyAgent | SuiteResult
"""What `--vs` names: an agent to play, or the games an earlier `eval --json` recorded."""


def recorded_games(path: Path, seeds: list[int], game: dict[str, Any]) -> SuiteResult:
    """The scored agent's games in an earlier `eval --json` file, on `seeds` in their order:
    a `--vs` opponent paired by seed without playing it again; `CheckpointError` (one line)
    if the file is not one, lacks a seed, or records another `game` (`EnvConfig.game`;
    files written before it was recorded are taken to be of this game)."""
    payload = read_eval_payload(path)
    if payload.get("game", game) != game:
        raise CheckpointError(
            f"{path} holds games on another board or slot count than this agent's; "
            "compare evaluations of the same game"
        )
    try:
        first = SuiteResult.from_json(payload["results"][0])
        if not len(first.seeds) == len(first.scores) == len(first.lengths) == len(first.lines):
            raise ValueError("a game per seed")
    except (KeyError, TypeError, ValueError):
        raise not_an_eval_file(path) from None
    played = set(first.seeds)
    missing = [seed for seed in seeds if seed not in played]
    if missing:
        raise CheckpointError(
            f"{path} has no game on seed {missing[0]} ({len(missing)} of this evaluation's "
            f"{len(seeds)} seeds missing); evaluate on the seeds it holds (--games, --seeds)"
        )
    budget = int(payload["simulations"])
    search = f"{budget} simulations" if budget else "no tree search"
    name = f"{first.name} ({search}, recorded in {path.name})"
    return replace(first.on_seeds(seeds), name=name)


def load_agents(request: EvalRequest) -> tuple[AnyAgent, list[Opponent]]:
    """The agent and the `vs` opponents of `request` (an agent may be an n-tuple player; a
    `.json` file gives its recorded games); `CheckpointError` if one cannot load or an
    opponent agent plays another game."""
    agent = load_any_agent(request.target)
    return agent, [_opponent(vs, agent, request) for vs in request.vs]


def _opponent(vs: str, agent: AnyAgent, request: EvalRequest) -> Opponent:
    if vs.endswith(".json"):
        return recorded_games(Path(vs), request.seeds, agent.config.env.game())
    other = load_any_agent(vs)
    if not other.config.env.same_game(agent.config.env):
        raise CheckpointError(
            f"{vs} was trained on another board or slot count than "
            f"{request.target}; compare checkpoints of the same game"
        )
    return other


def play_evaluation(request: EvalRequest) -> EvalOutcome:
    """Every policy of `request` on its seeds, in this process."""
    return play_loaded(request, *load_agents(request))


def play_loaded(request: EvalRequest, agent: AnyAgent, others: list[Opponent]) -> EvalOutcome:
    """`play_evaluation` with the agents `load_agents` gave."""
    results = [play_one(agent, request)]
    for other in others:
        results.append(other if isinstance(other, SuiteResult) else play_one(other, request))
    env, planner = agent.config.env, agent.config.planner
    results += [play_baseline(name, request.seeds, env, planner) for name in BASELINE_ORDER]
    return EvalOutcome(str(agent.checkpoint_dir), simulations_of(agent, request), results)


def _one_thread() -> None:
    torch.set_num_threads(1)


def play_evaluation_in_processes(request: EvalRequest, processes: int) -> EvalOutcome:
    """`play_evaluation` over disjoint shards of the seeds, one process (and one thread)
    each; games are the same as in one process, since every game's streams follow its seed."""
    count = min(processes, len(request.seeds))
    if count <= 1:
        return play_evaluation(request)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context, initializer=_one_thread) as pool:
        shards = list(pool.map(play_evaluation, [request.shard(i, count) for i in range(count)]))
    return EvalOutcome(
        shards[0].checkpoint,
        shards[0].simulations,
        merge_results([shard.results for shard in shards], request.seeds),
    )


def merge_results(shards: list[list[SuiteResult]], seeds: list[int]) -> list[SuiteResult]:
    """Each policy's games from shards on disjoint seeds, joined in the order of `seeds`."""
    names = [r.name for r in shards[0]]
    if any([r.name for r in shard] != names for shard in shards):
        raise ValueError("results to merge must be of the same policies")
    merged = []
    for index, name in enumerate(names):
        games: dict[int, tuple[float, int, int]] = {}
        for shard in shards:
            r = shard[index]
            for seed, score, length, lines in zip(
                r.seeds, r.scores, r.lengths, r.lines, strict=True
            ):
                if seed in games:
                    raise ValueError(f"seed {seed} is in two of the results to merge")
                games[seed] = (score, length, lines)
        if sorted(games) != sorted(seeds):
            raise ValueError("the results to merge do not cover the seeds once each")
        merged.append(
            SuiteResult(
                name,
                list(seeds),
                scores=[games[s][0] for s in seeds],
                lengths=[games[s][1] for s in seeds],
                lines=[games[s][2] for s in seeds],
            )
        )
    return merged


def run_eval(
    request: EvalRequest, processes: int, json_path: Path | None, console: Console
) -> dict[str, Any]:
    """Play `request` over `processes` processes, print its table, write its JSON."""
    agent, others = load_agents(request)
    search = (
        f"a beam of {agent.config.ntuple.BEAM_WIDTH} over the hand"
        if isinstance(agent, NTupleAgent)
        else f"{simulations_of(agent, request)} simulations"
    )
    shards = min(processes, len(request.seeds))
    console.print(
        f"evaluating {agent.name} ({search}) on {len(request.seeds)} games"
        + (f" in {shards} processes" if shards > 1 else "")
    )
    if shards > 1:
        outcome = play_evaluation_in_processes(request, shards)
    else:
        outcome = play_loaded(request, agent, others)
    console.print(results_table(outcome.results, outcome.results[0]))
    console.print("(mean difference ± half the 95% confidence interval, paired by seed)")
    payload = eval_payload(
        outcome.checkpoint, outcome.simulations, outcome.results, agent.config.env.game()
    )
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"wrote {json_path}")
    return payload


def eval_payload(
    checkpoint: str,
    simulations: int,
    results: list[SuiteResult],
    game: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What `eval --json` writes: the game played (`EnvConfig.game`, when known), every
    policy's games, and the first one's paired differences."""
    return {
        "checkpoint": checkpoint,
        "simulations": simulations,
        **({"game": game} if game is not None else {}),
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
    shards = [[SuiteResult.from_json(r) for r in p["results"]] for p in payloads]
    seeds = sorted(seed for shard in shards for seed in shard[0].seeds)
    merged = merge_results(shards, seeds)
    return eval_payload(first["checkpoint"], first["simulations"], merged, first.get("game"))
