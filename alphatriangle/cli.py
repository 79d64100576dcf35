"""The `alphatriangle` command line: train, eval, watch, export, report, play and bench."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console

from alphatriangle import __version__
from alphatriangle.config.selfplay_config import InferenceBackend
from alphatriangle.utils import UserError

if TYPE_CHECKING:
    from alphatriangle.config import RunConfig

app = typer.Typer(
    name="alphatriangle",
    help="AlphaZero-style self-play for the triangle puzzle.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = typer.Typer(
    help="Speed benchmarks: print figures and write JSON.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")

console = Console(highlight=False)

_UsageError: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "UsageError"
)
"""Typer's (vendored click) base class of command-line usage errors."""


def _say_plainly(text: str) -> None:
    """A line as it is (no wrapping, no markup: an address must stay whole), at once."""
    print(text, flush=True)


def _show_version(value: bool) -> None:
    if value:
        console.print(f"alphatriangle {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """AlphaZero-style self-play for the triangle puzzle."""


@app.command()
def play(  # noqa: PLR0913 (a command's parameters are its flags)
    seed: Annotated[
        int | None, typer.Option(help="Game seed: the same seed gives the same refills.")
    ] = None,
    policy: Annotated[
        Literal["human", "random", "greedy", "planner", "agent"],
        typer.Option(help="Who plays (agent: with --agent).", case_sensitive=False),
    ] = "human",
    agent: Annotated[
        str | None,
        typer.Option(help="The agent for --policy agent: run, checkpoint or models/laptop."),
    ] = None,
    simulations: Annotated[
        int | None, typer.Option(min=1, help="The agent's search budget (default: its own).")
    ] = None,
    watch: Annotated[bool, typer.Option(help="Show every move of a policy's game.")] = False,
    delay: Annotated[float, typer.Option(min=0.0, help="Seconds between watched moves.")] = 0.4,
    web: Annotated[
        bool, typer.Option(help="Play and analyse in the browser (--agent: default models/laptop).")
    ] = False,
    host: Annotated[
        str, typer.Option(help="With --web: the address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="With --web: the port (0: any free one).")
    ] = 8765,
    browser: Annotated[
        bool, typer.Option(help="With --web: open the page in the default browser.")
    ] = True,
) -> None:
    """Play a game in the terminal or the browser (--web), or watch a policy play one."""
    from alphatriangle.game import GameState
    from alphatriangle.ui.terminal import Chooser, play_human, play_policy

    if web:
        if policy != "human" or watch or simulations is not None:
            raise UserError("--web plays in the browser: leave out --policy, --watch and "
                            "--simulations (the page picks the budget)")  # fmt: skip
        from alphatriangle.data import DEFAULT_ROOT
        from alphatriangle.web.server import serve_web

        raise typer.Exit(
            serve_web(
                agent or "models/laptop", DEFAULT_ROOT, host, port, browser, seed, _say_plainly
            )
        )
    if watch and policy == "human":
        raise UserError("--watch shows a policy's game: add --policy planner (or another policy)")
    if (policy == "agent") != (agent is not None):
        raise UserError("--agent PATH goes with --policy agent, e.g. --agent models/laptop")
    if policy == "human":
        raise typer.Exit(play_human(GameState(initial_seed=seed), console))
    if simulations is not None and agent is None:
        raise UserError("--simulations sets an agent's search: add --policy agent --agent PATH")
    from alphatriangle.evaluation.checkpoints import NTupleAgent, load_any_agent
    from alphatriangle.evaluation.suite import (
        AgentChooser,
        baseline_chooser,
        evaluation_mcts,
        ntuple_chooser,
    )
    from alphatriangle.game.rng import fresh_seed

    if agent is not None:
        loaded = load_any_agent(agent)
        env = loaded.config.env
        game_seed = fresh_seed() if seed is None else seed
        state = GameState(env, initial_seed=game_seed)
        chooser: Chooser
        if isinstance(loaded, NTupleAgent):
            if simulations is not None:
                raise UserError(f"{agent} is an n-tuple player: it has no --simulations")
            chooser = ntuple_chooser(loaded.player, [game_seed])
        else:
            mcts = evaluation_mcts(loaded.config, simulations)
            chooser = AgentChooser(loaded.network, mcts, env, [game_seed])
        name = loaded.name
    else:
        chooser = baseline_chooser(policy, [seed])
        state = GameState(initial_seed=seed)
        name = policy
    raise typer.Exit(play_policy(state, name, chooser, console, watch, delay))


# A Typer command's parameters are its flags: one per option, so the argument count is the CLI's.
@app.command()
def train(  # noqa: PLR0913
    preset: Annotated[
        str, typer.Option(help="Settings preset: quick, laptop, large or ntuple.")
    ] = "laptop",
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML or YAML file of [section] tables.")
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting: section.KEY=value (repeatable)."),
    ] = None,
    run_name: Annotated[
        str | None, typer.Option(help="Name of the run (default: a timestamp).")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Continue the latest (or named) run.")
    ] = True,
    workers: Annotated[int | None, typer.Option(min=1, help="Self-play workers.")] = None,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Training steps to reach.")] = None,
    minutes: Annotated[
        float | None,
        typer.Option(min=0.01, help="Minutes of training, summed over resumes (then exit 0)."),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="Trainer device: auto, cpu or cuda (default: the preset's).")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Join this Ray cluster instead of starting a local one.")
    ] = None,
    mlflow_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: a local sqlite store).")
    ] = None,
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        typer.Option(help="How much the run logs.", case_sensitive=False),
    ] = "INFO",
) -> None:
    """Train by self-play: a Rich live view on a terminal, log lines otherwise."""
    given = dict(locals())  # the flags, by parameter name: FLAG_SETTINGS names their settings
    from alphatriangle.training.cli_train import FLAG_SETTINGS, TrainRequest, train_command

    request = TrainRequest(
        preset=preset,
        config_file=config,
        overrides=set_values or [],
        flags={flag: given[flag] for flag in FLAG_SETTINGS if given[flag] is not None},
        run_name=run_name,
        resume=resume,
        log_level=log_level,
    )
    raise typer.Exit(train_command(request, console))


@app.command("eval")
def evaluate(
    checkpoint: Annotated[
        str,
        typer.Argument(
            help="Run name, run or checkpoint directory, or exported agent (models/laptop)."
        ),
    ],
    games: Annotated[int, typer.Option(min=1, help="Games in the suite.")] = 100,
    seeds: Annotated[str, typer.Option(help="'default' or a file of seeds.")] = "default",
    simulations: Annotated[
        int | None,
        typer.Option(min=1, help="Search budget (default: the run's evaluation.SIMULATIONS)."),
    ] = None,
    vs: Annotated[
        list[str] | None,
        typer.Option(
            help="Another agent to compare with (an n-tuple one too: models/ntuple), or an "
            "earlier `eval --json` file, whose agent's games are paired without replaying "
            "them (repeatable)."
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the results here.")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1, help="Processes playing disjoint shards of the seeds (default: cores)."
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a search setting: mcts.KEY=value (repeatable)."),
    ] = None,
) -> None:
    """Score an agent on a fixed suite of seeds against the planner, greedy and random."""
    from alphatriangle.evaluation.eval_command import EvalRequest, run_eval
    from alphatriangle.evaluation.suite import default_seeds, read_seeds

    if seeds != "default" and not Path(seeds).is_file():
        raise UserError(f"--seeds must be 'default' or an existing file; {seeds!r} is neither")
    try:
        suite = default_seeds(games) if seeds == "default" else read_seeds(Path(seeds))[:games]
        request = EvalRequest(
            checkpoint, suite, simulations, tuple(vs or ()), tuple(overrides or ())
        )
        run_eval(request, processes or os.cpu_count() or 1, json_path, console)
    except ValueError as error:
        raise UserError(str(error)) from None


@app.command()
def watch(
    checkpoint: Annotated[
        str,
        typer.Argument(
            help="Run name, run or checkpoint directory, exported agent (models/laptop), "
            "or a baseline: planner, greedy or random."
        ),
    ],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("game.html"),
    seed: Annotated[int, typer.Option(min=0, help="Game seed.")] = 0,
    simulations: Annotated[
        int | None,
        typer.Option(min=1, help="Search budget (default: the run's evaluation.SIMULATIONS)."),
    ] = None,
) -> None:
    """Play one game with an agent or a baseline and write a self-contained HTML replay."""
    from alphatriangle.baselines.simple import BASELINES
    from alphatriangle.evaluation.watch import watch_game

    if out.exists() and out.is_dir():
        raise UserError(f"--out {out} is a directory; give a file name such as game.html")
    if simulations is not None and checkpoint in BASELINES:
        raise UserError(f"--simulations is a search budget; the {checkpoint} baseline has none")
    record = watch_game(checkpoint, seed, simulations, out)
    console.print(f"wrote {out}: {len(record.moves)} moves, final score {record.final_score:g}")


@app.command()
def report(
    run: Annotated[
        str, typer.Argument(help="Run name or run directory, or an `eval --json` file.")
    ],
    out: Annotated[Path, typer.Option(help="The PNG file to write.")] = Path("report.png"),
    vs: Annotated[
        list[str] | None,
        typer.Option(
            help="Other runs: one chart of each run's strength by training minutes. Other "
            "`eval --json` files: one chart of strength by evaluation simulations."
        ),
    ] = None,
) -> None:
    """Learning curves of a run (evaluation score, losses, self-play speed) as a PNG; with
    --vs, the evaluation score of every run against its minutes of training, on one chart;
    from `eval --json` files, each agent's score against its evaluation simulations."""
    from alphatriangle.evaluation.report import (
        write_comparison,
        write_report,
        write_simulation_chart,
    )

    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out} must be a .png file")
    targets = [run, *(vs or [])]
    evaluations = [t.lower().endswith(".json") for t in targets]
    if any(evaluations):
        if not all(evaluations):
            raise UserError("give either runs or `eval --json` files to report, not both")
        points = write_simulation_chart([Path(t) for t in targets], out)
        console.print(f"wrote {out} ({sum(points.values())} evaluations of {len(points)} agents)")
        return
    if vs:
        points = write_comparison([run, *vs], out)
        console.print(f"wrote {out} ({sum(points.values())} evaluations of {len(points)} runs)")
        return
    counts = write_report(run, out)
    console.print(f"wrote {out} ({sum(counts.values())} points over {len(counts)} metrics)")


@app.command()
def export(
    checkpoint: Annotated[
        str, typer.Argument(help="Run name (its best checkpoint), run or checkpoint directory.")
    ],
    out: Annotated[Path, typer.Option(help="The agent directory to write.")],
    eval_json: Annotated[
        Path | None,
        typer.Option(help="An `eval --json` file of this agent: its table goes in the card."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace an agent already exported to --out.")
    ] = False,
) -> None:
    """Export an agent (weights, configs, model card) that eval, watch and play load."""
    import json

    from alphatriangle.evaluation.checkpoints import export_agent

    evaluation = None
    if eval_json is not None:
        try:
            evaluation = json.loads(eval_json.read_text())
            evaluation["results"][0]["summary"]["mean"]
        except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
            raise UserError(
                f"--eval-json {eval_json} is not the output of `alphatriangle eval --json`"
            ) from error
    written = export_agent(checkpoint, out, evaluation, force)
    console.print(f"wrote {written}")


@bench_app.command("ntuple")
def bench_ntuple(
    agent: Annotated[
        str | None,
        typer.Option(help="An n-tuple player to play with (default: zero weights)."),
    ] = None,
    games: Annotated[int, typer.Option(min=1, help="Games played at each beam.")] = 20,
    seconds: Annotated[
        float, typer.Option(min=0.1, help="Seconds of learning at each thread count.")
    ] = 20.0,
    threads: Annotated[int, typer.Option(min=1, help="Threads of the second learning row.")] = 2,
    out: Annotated[Path, typer.Option(help="Where to write the JSON.")] = Path(
        "bench-results/ntuple.json"
    ),
) -> None:
    """Positions/s of the n-tuple baseline's TD self-play, and its moves/s when playing."""
    from alphatriangle.bench.ntuple import run_ntuple_benchmark

    run_ntuple_benchmark(agent, games, seconds, threads, out, console)


@bench_app.command("planner")
def bench_planner(
    games: Annotated[int, typer.Option(min=1, help="Games played at once.")] = 100,
    beam: Annotated[
        int | None, typer.Option(min=1, help="Beam width (default: the planner's own).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/planner.json"
    ),
) -> None:
    """Games/s and moves/s of the planner baseline, on one core."""
    from alphatriangle.bench.planner import run_planner_benchmark

    run_planner_benchmark(games, beam, out, console)


@bench_app.command("env")
def bench_env(
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds per measurement.")] = 3.0,
    games: Annotated[
        list[int] | None, typer.Option(min=1, help="Game counts (repeatable; default 1, 64, 1024).")
    ] = None,
    observation: Annotated[
        Literal["board", "features"], typer.Option(help="Observation kind.")
    ] = "board",
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/env.json"
    ),
) -> None:
    """Steps/s of AlphaTriangleVector-v0 against Gymnasium's SyncVectorEnv of AlphaTriangle-v0."""
    from alphatriangle.bench.env import run_env_benchmark

    run_env_benchmark(seconds, games or [1, 64, 1024], observation, out, console)


@bench_app.command("engine")
def bench_engine(
    seconds: Annotated[
        float, typer.Option(min=0.1, help="Seconds to time each implementation.")
    ] = 3.0,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Games in the batched core's batch.")
    ] = 1024,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/engine.json"
    ),
) -> None:
    """Random-policy moves/s of the batched core, the object API and a pure-Python baseline."""
    from alphatriangle.bench.engine import run_engine_benchmark

    run_engine_benchmark(seconds, batch_size, out, console)


@bench_app.command("search")
def bench_search(
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds per measurement.")] = 2.0,
    games: Annotated[int, typer.Option(min=1, help="Games searched together.")] = 32,
    simulations: Annotated[int, typer.Option(min=1, help="Simulations per move.")] = 32,
    root: Annotated[Literal["gumbel", "puct"], typer.Option(help="Root selection.")] = "gumbel",
    inference: Annotated[
        InferenceBackend,
        typer.Option(help="Network inference: auto, onnx (ONNX Runtime), torch or bf16."),
    ] = "auto",
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/search.json"
    ),
) -> None:
    """Network forward states/s, search simulations/s and self-play positions/s on one core."""
    from alphatriangle.bench.search import run_search_benchmark
    from alphatriangle.config import MCTSConfig, ModelConfig, SelfPlayConfig

    mcts = MCTSConfig(NUM_SIMULATIONS=simulations, ROOT_SELECTION=root)
    selfplay = SelfPlayConfig(GAMES_PER_WORKER=games, INFERENCE_BACKEND=inference)
    run_search_benchmark(seconds, ModelConfig(), mcts, selfplay, out, console)


@bench_app.command("scaling")
def bench_scaling(
    agent: Annotated[
        str, typer.Argument(help="Run name, checkpoint or exported agent (models/laptop).")
    ] = "models/laptop",
    positions: Annotated[int, typer.Option(min=2, help="Positions from the agent's games.")] = 128,
    simulations: Annotated[
        list[int] | None, typer.Option(min=1, help="Budgets to compare (repeatable).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a search setting: mcts.KEY=value (repeatable)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/scaling.json"
    ),
) -> None:
    """Whether more simulations steady the agent's choice: agreement of two independent
    searches, the chosen move's optimism gap and Q spread, at each budget."""
    from alphatriangle.bench.scaling import run_scaling_benchmark
    from alphatriangle.config import override_search
    from alphatriangle.evaluation.checkpoints import load_agent
    from alphatriangle.evaluation.suite import evaluation_mcts

    loaded = load_agent(agent)
    try:
        mcts = override_search(evaluation_mcts(loaded.config), overrides or [])
    except ValueError as error:
        raise UserError(str(error)) from None
    run_scaling_benchmark(
        loaded.network, mcts, loaded.name, positions, simulations or [16, 64, 256], out, console
    )


@bench_app.command("analysis")
def bench_analysis(
    agent: Annotated[
        str, typer.Argument(help="Run name, checkpoint or exported agent (models/laptop).")
    ] = "models/laptop",
    positions: Annotated[int, typer.Option(min=1, help="Positions from the agent's games.")] = 32,
    simulations: Annotated[
        list[int] | None, typer.Option(min=1, help="Budgets to time (repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/analysis.json"
    ),
) -> None:
    """How long `play --web` takes to analyse one position (the page's search, a fresh
    tree), at each budget: median, 90th percentile and worst."""
    from alphatriangle.bench.analysis import run_analysis_benchmark
    from alphatriangle.evaluation.checkpoints import load_agent

    run_analysis_benchmark(load_agent(agent), positions, simulations or [64], out, console)


Device = Literal["auto", "cpu", "cuda"]


def _bench_config(preset: str, settings: dict[str, Any]) -> "RunConfig":
    """A preset with a benchmark's flags (those given) applied; one line when invalid."""
    from alphatriangle.config import ConfigError, load_run_config

    given = {key: value for key, value in settings.items() if value is not None}
    try:
        return load_run_config(preset, settings=given)
    except ConfigError as error:
        raise UserError(str(error)) from None


def _check_device(device: str) -> None:
    from alphatriangle.nn.network import resolve_device

    try:
        resolve_device(device)
    except ValueError as error:
        raise UserError(str(error)) from None


@bench_app.command("train")
def bench_train(
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds per measurement.")] = 10.0,
    workers: Annotated[int, typer.Option(min=1, help="Self-play workers to scale to.")] = 2,
    games: Annotated[int, typer.Option(min=1, help="Games per worker.")] = 32,
    simulations: Annotated[int, typer.Option(min=1, help="Simulations per move.")] = 32,
    preset: Annotated[str, typer.Option(help="The preset whose network and trainer run.")] = (
        "laptop"
    ),
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Examples per step (default: the preset's).")
    ] = None,
    device: Annotated[Device, typer.Option(help="The trainer's device.")] = "auto",
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/train.json"
    ),
) -> None:
    """The trainer's input pipeline and steps against a raw training loop; self-play scaling
    over Ray workers."""
    from alphatriangle.bench.train import TrainBenchSettings, run_train_benchmark

    _check_device(device)
    config = _bench_config(
        preset,
        {
            "train.BATCH_SIZE": batch_size,
            "mcts.NUM_SIMULATIONS": simulations,
            "selfplay.GAMES_PER_WORKER": games,
            "selfplay.DEVICE": "cpu",
            "selfplay.PLANNER_WARM_START_STEPS": 0,
        },
    )
    settings = TrainBenchSettings(config, preset, workers, seconds, device)
    run_train_benchmark(settings, out, console)


@bench_app.command("selfplay")
def bench_selfplay(
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds measured.")] = 20.0,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Self-play workers (default: the preset's).")
    ] = None,
    games: Annotated[
        int | None, typer.Option(min=1, help="Games per worker (default: the preset's).")
    ] = None,
    simulations: Annotated[
        int | None, typer.Option(min=1, help="Simulations per move (default: the preset's).")
    ] = None,
    device: Annotated[
        Device | None, typer.Option(help="The workers' network device (default: the preset's).")
    ] = None,
    preset: Annotated[str, typer.Option(help="The preset whose self-play runs.")] = "laptop",
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-results/selfplay.json"
    ),
) -> None:
    """Positions/s and simulations/s of N real self-play workers as training runs them, with
    GPU utilisation and memory where there is a GPU."""
    from alphatriangle.bench.selfplay import SelfPlayBenchSettings, run_selfplay_benchmark
    from alphatriangle.training.setup import adjusted_worker_count

    config = _bench_config(
        preset,
        {
            "selfplay.WORKERS": workers,
            "selfplay.GAMES_PER_WORKER": games,
            "selfplay.DEVICE": device,
            "mcts.NUM_SIMULATIONS": simulations,
        },
    )
    _check_device(config.selfplay.DEVICE)
    count = adjusted_worker_count(config.selfplay.WORKERS, os.cpu_count() or 1)
    settings = SelfPlayBenchSettings(config, preset, count, seconds)
    run_selfplay_benchmark(settings, out, console)


def _print_error(message: str) -> None:
    """One line on stderr, never wrapped."""
    sys.stderr.write(f"error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one line on stderr and exit code 2."""
    try:
        result = app(args=argv, standalone_mode=False)
    except _UsageError as error:
        message = error.format_message()  # type: ignore[attr-defined]
        if message:
            ctx = getattr(error, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx else ""
            _print_error(f"{message}{hint}")
        return 2
    except UserError as error:
        _print_error(str(error))
        return 2
    except typer.Abort:
        _print_error("aborted")
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
