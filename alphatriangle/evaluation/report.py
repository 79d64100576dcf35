"""`alphatriangle report`: learning curves of a run as one PNG (matplotlib, no display)."""

import json
from pathlib import Path

from alphatriangle.config import RunConfig
from alphatriangle.data import DEFAULT_ROOT, PathManager
from alphatriangle.data.schemas import upgrade_configs
from alphatriangle.evaluation.checkpoints import CheckpointError
from alphatriangle.evaluation.evaluator import REFERENCE_BASELINES, reference_tag
from alphatriangle.evaluation.suite import play_baseline, selection_seeds

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
        kind = "n-tuple TD" if config.train.AGENT == "ntuple" else "AlphaZero"
        cores = config.selfplay.WORKERS
        ax.plot(minutes, means, marker="o", markersize=3,
                label=f"{paths.run_name} ({kind}, {cores} workers)")  # fmt: skip
        counts[paths.run_name] = len(means)
        if not references:
            references = reference_means(read_scalars(paths), config)
    for (name, mean), style in zip(references.items(), ("-.", "--"), strict=True):
        ax.axhline(mean, color="grey", linestyle=style, label=f"{name} ({mean:.0f})")
    ax.set_xlabel("minutes of training")
    ax.set_ylabel("mean score, in-training evaluation")
    ax.set_title("strength by minutes of training (in-training evaluations, selection seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return counts
