"""`alphatriangle report`: learning curves of a run as one PNG (matplotlib, no display)."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alphatriangle.config import RunConfig
from alphatriangle.data import DEFAULT_ROOT, PathManager
from alphatriangle.data.schemas import upgrade_configs
from alphatriangle.evaluation.checkpoints import CheckpointError
from alphatriangle.evaluation.evaluator import REFERENCE_BASELINES, reference_tag
from alphatriangle.evaluation.suite import paired_interval, play_baseline, selection_seeds

Series = tuple[list[int], list[float]]

PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("score", ("Eval/Mean", "RL/Episode_Score")),
    ("loss", ("Loss/Total", "Loss/Policy", "Loss/Value")),
    ("self-play positions / s", ("Rate/Positions_per_sec",)),
    ("buffer size", ("Buffer/Size",)),
)


def run_paths(target: str, root: Path = DEFAULT_ROOT) -> PathManager:
    path = Path(target)
    if (path / "tensorboard").is_dir():
        return PathManager(path.parent.parent, path.name)
    paths = PathManager(root, target)
    if not paths.tensorboard_dir.is_dir():
        raise CheckpointError(
            f"no run at {target!r}: give a run name (under {root / 'runs'}) or a run directory"
        )
    return paths


def read_scalars(paths: PathManager) -> dict[str, Series]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(paths.tensorboard_dir), size_guidance={"scalars": 0})
    events.Reload()
    series: dict[str, Series] = {}
    for tag in events.Tags()["scalars"]:
        points = events.Scalars(tag)
        series[tag] = ([p.step for p in points], [p.value for p in points])
    return series


def smooth(values: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def reference_means(series: dict[str, Series], config: RunConfig) -> dict[str, float]:
    """The planner's and greedy's means on the run's evaluation seeds: as the run logged
    them, else played now on the selection seeds (a run with no evaluation yet)."""
    seeds = selection_seeds(config.evaluation.GAMES)
    means = {}
    for name in REFERENCE_BASELINES:
        logged = series.get(reference_tag(name))
        means[name] = (
            logged[1][-1]
            if logged
            else play_baseline(name, seeds, config.env, config.planner).summary()["mean"]
        )
    return means


def write_report(target: str, out: Path, root: Path = DEFAULT_ROOT) -> dict[str, int]:
    """Plot the run's curves; the planner's and greedy's means on the evaluation seeds for
    scale."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    paths = run_paths(target, root)
    series = read_scalars(paths)
    if not series:
        raise CheckpointError(f"run {paths.run_name!r} has no logged metrics yet")
    config = RunConfig.model_validate(upgrade_configs(json.loads(paths.config_path.read_text())))
    references = reference_means(series, config)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (title, tags) in zip(axes.flat, PANELS, strict=True):
        for tag in tags:
            if tag not in series:
                continue
            steps, values = series[tag]
            if tag == "RL/Episode_Score":
                ax.plot(steps, smooth(values, 50), label="self-play score (mean of 50)", alpha=0.7)
            else:
                sparse = tag.startswith("Eval") or len(values) < 30
                ax.plot(steps, values, marker="o" if sparse else None, markersize=3, label=tag)
        if title == "score":
            for (name, mean), style in zip(references.items(), ("-.", "--"), strict=True):
                ax.axhline(mean, color="grey", linestyle=style, label=f"{name} ({mean:.0f})")
        ax.set_title(title)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle(f"AlphaTriangle run {paths.run_name}")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return {tag: len(points[0]) for tag, points in series.items()}


def strength_by_minutes(paths: PathManager) -> tuple[list[float], list[float]]:
    """A run's in-training evaluation means against its training minutes at each (the
    n-tuple run's and, since they log `Eval/Training_Minutes`, the AlphaZero runs')."""
    series = read_scalars(paths)
    if "Eval/Mean" not in series or "Eval/Training_Minutes" not in series:
        raise CheckpointError(
            f"run {paths.run_name!r} has no evaluations with their training minutes logged "
            "(an evaluation logs them; a run from before they did cannot be charted)"
        )
    minutes: dict[int, float] = dict(zip(*series["Eval/Training_Minutes"], strict=True))
    steps, means = series["Eval/Mean"]
    kept = [(minutes[s], m) for s, m in zip(steps, means, strict=True) if s in minutes]
    return [x for x, _ in kept], [m for _, m in kept]


def save_chart(fig: Any, ax: Any, out: Path) -> None:
    """Grid, legend and layout of a one-panel chart, written to `out` and closed."""
    from matplotlib import pyplot as plt

    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def run_description(config: RunConfig) -> str:
    """What a run's line stands for: its learner and what plays its games (an AlphaZero run's
    self-play workers share the machine with its trainer; an n-tuple run's threads are all)."""
    workers = config.selfplay.WORKERS
    if config.train.AGENT == "ntuple":
        return f"n-tuple TD, {workers} learning threads"
    return f"AlphaZero, {workers} self-play workers and a trainer"


def write_comparison(targets: list[str], out: Path, root: Path = DEFAULT_ROOT) -> dict[str, int]:
    """One chart: each run's evaluation mean against its minutes of training, the planner's
    and greedy's means on the first run's evaluation seeds for scale."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    counts = {}
    references: dict[str, float] = {}
    for target in targets:
        paths = run_paths(target, root)
        config = RunConfig.model_validate(
            upgrade_configs(json.loads(paths.config_path.read_text()))
        )
        minutes, means = strength_by_minutes(paths)
        ax.plot(minutes, means, marker="o", markersize=3,
                label=f"{paths.run_name} ({run_description(config)})")  # fmt: skip
        counts[paths.run_name] = len(means)
        if not references:
            references = reference_means(read_scalars(paths), config)
    for (name, mean), style in zip(references.items(), ("-.", "--"), strict=True):
        ax.axhline(mean, color="grey", linestyle=style, label=f"{name} ({mean:.0f})")
    ax.set_xlabel("minutes of training")
    ax.set_ylabel("mean score, in-training evaluation")
    ax.set_title("strength by minutes of training (in-training evaluations, selection seeds)")
    save_chart(fig, ax, out)
    return counts


@dataclass
class SimulationCurve:
    """One agent's mean score (with half its 95% CI and its games) at each budget."""

    simulations: list[int] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    halves: list[float] = field(default_factory=list)
    games: list[int] = field(default_factory=list)


def strength_by_simulations(
    payloads: list[dict[str, Any]],
) -> tuple[dict[str, SimulationCurve], dict[str, float]]:
    """Each searching agent's score against its evaluation simulations, and the level lines:
    players that do not search (simulations 0, an n-tuple player) and the planner, from
    `eval --json` payloads (each one's first result is the agent scored)."""
    curves: dict[str, SimulationCurve] = {}
    levels: dict[str, float] = {}
    for payload in sorted(payloads, key=lambda p: int(p["simulations"])):
        agent = payload["results"][0]
        scores = np.asarray(agent["scores"], dtype=np.float64)
        low, high = paired_interval(scores, 0.95)
        if int(payload["simulations"]) == 0:
            levels.setdefault(f"{agent['name']} (no tree search)", float(scores.mean()))
        else:
            curve = curves.setdefault(agent["name"], SimulationCurve())
            curve.simulations.append(int(payload["simulations"]))
            curve.means.append(float(scores.mean()))
            curve.halves.append((high - low) / 2)
            curve.games.append(len(scores))
        for result in payload["results"]:
            if result["name"] == "planner":
                levels.setdefault("planner", float(np.mean(result["scores"])))
    return curves, levels


def read_eval_payload(path: Path) -> dict[str, Any]:
    """An `eval --json` file; `CheckpointError` (one line) if it is not one."""
    try:
        payload = json.loads(path.read_text())
        if not isinstance(payload, dict):
            raise TypeError
        int(payload["simulations"])
        if not payload["results"] or "scores" not in payload["results"][0]:
            raise KeyError("scores")
    except FileNotFoundError:
        raise CheckpointError(f"no evaluation file at {path}") from None
    except (ValueError, TypeError, KeyError, IndexError):
        raise not_an_eval_file(path) from None
    return payload


def not_an_eval_file(path: Path) -> CheckpointError:
    """The one line for a file that `eval --json` did not write."""
    return CheckpointError(
        f"{path} is not what `alphatriangle eval --json` writes; give those files"
    )


def write_simulation_chart(files: list[Path], out: Path) -> dict[str, int]:
    """One chart: each agent's mean score (95% CI) against its evaluation simulations, from
    `eval --json` files; players without a search and the planner as level lines."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    curves, levels = strength_by_simulations([read_eval_payload(f) for f in files])
    if not curves:
        raise CheckpointError("none of these evaluations searched: give an agent's eval files")
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for name, curve in curves.items():
        ax.errorbar(curve.simulations, curve.means, yerr=curve.halves, marker="o",
                    markersize=4, capsize=4, label=name)  # fmt: skip
        for x, y, games in zip(curve.simulations, curve.means, curve.games, strict=True):
            ax.annotate(f"{games} seeds", (x, y), textcoords="offset points", xytext=(6, -12),
                        fontsize=7)  # fmt: skip
    for (name, mean), style in zip(levels.items(), ("--", "-.", ":", "--"), strict=False):
        ax.axhline(mean, color="grey", linestyle=style, label=f"{name} ({mean:.0f})")
    budgets = sorted({x for c in curves.values() for x in c.simulations})
    ax.set_xscale("log", base=2)
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.set_xlabel("evaluation simulations per move")
    ax.set_ylabel("mean score (95% CI)")
    ax.set_title("strength by evaluation simulations (the default seeds)")
    save_chart(fig, ax, out)
    return {name: len(curve.means) for name, curve in curves.items()}
