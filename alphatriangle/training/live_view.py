"""The Rich live view of a training run (plain log lines when not on a terminal), and the
`TrainingProgress` snapshot it shows."""

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from rich.console import Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from alphatriangle.data import RunCounters


@dataclass
class TrainingProgress:
    """What the live view and the log lines show: the run's counters (the loop's own record,
    not a copy) and the rates and losses derived from them."""

    run_name: str
    counters: RunCounters = field(default_factory=RunCounters)
    max_steps: int = 0
    buffer_size: int = 0
    buffer_capacity: int = 0
    positions_per_sec: float = 0.0
    episodes_per_sec: float = 0.0
    steps_per_sec: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)
    recent_scores: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    elapsed: float = 0.0
    eta_seconds: float | None = None
    workers: int = 0
    status: str = "starting"

    @property
    def mean_recent_score(self) -> float:
        return float(np.mean(self.recent_scores)) if self.recent_scores else 0.0


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def render_progress(p: TrainingProgress) -> Group:
    """Steps, buffer fill, episodes, rates, losses, recent scores and ETA."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("run", f"{p.run_name}  [{p.status}]")
    table.add_row("steps", f"{p.counters.global_step:,} / {p.max_steps:,}")
    table.add_row("buffer", f"{p.buffer_size:,} / {p.buffer_capacity:,}")
    c = p.counters
    played = f"{c.episodes_played:,} games, {c.positions_played:,} positions, {p.workers} workers"
    table.add_row("self-play", played)
    table.add_row(
        "rates",
        f"{p.positions_per_sec:,.0f} positions/s, {p.episodes_per_sec:.2f} games/s, "
        f"{p.steps_per_sec:.2f} steps/s",
    )
    losses = ", ".join(
        f"{name.split('/')[-1].lower()} {p.losses[name]:.3f}"
        for name in ("Loss/Total", "Loss/Policy", "Loss/Value")
        if name in p.losses
    )
    table.add_row("loss", losses or "-")
    scores = list(p.recent_scores)
    table.add_row(
        "recent scores",
        f"mean {p.mean_recent_score:.1f}, best {max(scores):.0f} (last {len(scores)})"
        if scores
        else "-",
    )
    table.add_row("time", f"{_duration(p.elapsed)} elapsed, ETA {_duration(p.eta_seconds)}")
    bar = ProgressBar(total=max(1, p.max_steps), completed=p.counters.global_step, width=60)
    return Group(
        table, bar, Text("Ctrl-C stops after a final checkpoint; twice quits at once", style="dim")
    )


class LiveView:
    """Wraps `rich.live.Live`; `update` is the training loop's progress callback."""

    def __init__(self, live: Live) -> None:
        self.live = live

    def update(self, progress: TrainingProgress) -> None:
        self.live.update(render_progress(progress))
