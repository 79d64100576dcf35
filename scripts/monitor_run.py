"""Sample a training run's memory and disk over time, for the long-run reliability figures.

Every ``--every`` seconds: the resident memory of each process in the tree under ``--pid``
(the trainer, Ray's daemons and workers) and the bytes under ``--data-dir``. Writes one CSV row
per process and sample; ``--summary`` then prints the per-process growth after ``--settle``
minutes and the disk used at the end. Reads /proc only (Linux), so it needs no extra package.

    python scripts/monitor_run.py --pid 1234 --data-dir runs/long --out rss.csv
    python scripts/monitor_run.py --summary rss.csv --settle 30
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import defaultdict
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024
IDLE_TITLE = "ray::IDLE"
"""The title of a Ray worker between tasks; the task's title names the process better."""


def parent_of(pid: int) -> int | None:
    """The parent pid from /proc/PID/stat (field 4, after the parenthesised command)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """The root pid and all its descendants that are alive now."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = parent_of(int(entry))
            if parent is not None:
                children[parent].append(int(entry))
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def process_name(pid: int) -> str:
    """A short label: Ray's worker title (``ray::SelfPlayWorker``) or the executable's name."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    first = argv[0].decode(errors="replace")
    if first.startswith("ray::"):
        return first.split()[0]
    words = [os.path.basename(a.decode(errors="replace")) for a in argv if a]
    return " ".join(words[:3])[:60]


def actor_name(name: str) -> str:
    """A Ray worker's title without the method it runs now (``ray::Evaluator.evaluate``)."""
    return name.split(".", maxsplit=1)[0] if name.startswith("ray::") else name


def resident_mib(pid: int) -> float | None:
    """Resident set size in MiB from /proc/PID/statm, None when the process is gone."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * PAGE_BYTES / MIB


def disk_mib(directory: Path) -> float:
    """Bytes of all regular files under the directory, in MiB."""
    total = 0
    for path in directory.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            continue
    return total / MIB


def monitor(root: int, data_dir: Path, out: Path, every: float) -> None:
    """Append samples until the root process exits."""
    start = time.monotonic()
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["minutes", "pid", "name", "rss_mib", "disk_mib"])
        while Path(f"/proc/{root}").exists():
            minutes = (time.monotonic() - start) / 60
            disk = disk_mib(data_dir) if data_dir.exists() else 0.0
            for pid in process_tree(root):
                rss = resident_mib(pid)
                if rss is not None:
                    writer.writerow(
                        [f"{minutes:.2f}", pid, process_name(pid), f"{rss:.1f}", f"{disk:.1f}"]
                    )
            handle.flush()
            time.sleep(every)


def summarise(csv_path: Path, settle_minutes: float) -> None:
    """Per process alive at ``settle_minutes`` and at the end: RSS then, at the end, and peak."""
    samples: dict[int, list[tuple[float, float]]] = defaultdict(list)
    names: dict[int, str] = {}
    disk: list[tuple[float, float]] = []
    with csv_path.open() as handle:
        for row in csv.DictReader(handle):
            minutes = float(row["minutes"])
            pid = int(row["pid"])
            samples[pid].append((minutes, float(row["rss_mib"])))
            if names.get(pid, IDLE_TITLE) == IDLE_TITLE:
                names[pid] = actor_name(row["name"])
            disk.append((minutes, float(row["disk_mib"])))
    end = max(m for m, _ in disk)
    peak_disk = max(d for _, d in disk)
    print(f"run length {end:.0f} min; disk at end {disk[-1][1]:.0f} MiB, peak {peak_disk:.0f} MiB")
    settled_label = f"@{settle_minutes:.0f}min"
    print(f"{'process':<40} {'pid':>7} {settled_label:>8} {'end':>8} {'peak':>8}")
    total_settled = total_end = 0.0
    for pid, series in sorted(samples.items(), key=lambda item: -item[1][-1][1]):
        name = names[pid]
        settled = [rss for m, rss in series if m >= settle_minutes]
        if not settled or series[-1][0] < end - 1 or series[0][0] > settle_minutes:
            continue
        total_settled += settled[0]
        total_end += series[-1][1]
        print(f"{name:<40} {pid:>7} {settled[0]:>8.0f} {series[-1][1]:>8.0f} {max(settled):>8.0f}")
    print(f"{'all of the above':<40} {'':>7} {total_settled:>8.0f} {total_end:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pid", type=int, help="the training process to follow")
    parser.add_argument("--data-dir", type=Path, help="the run's data directory (ROOT_DATA_DIR)")
    parser.add_argument("--out", type=Path, default=Path("monitor.csv"))
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--summary", type=Path, help="summarise this CSV instead of sampling")
    parser.add_argument("--settle", type=float, default=30.0, help="minutes before RSS counts")
    args = parser.parse_args()
    if args.summary is not None:
        summarise(args.summary, args.settle)
    elif args.pid is None or args.data_dir is None:
        parser.error("sampling needs --pid and --data-dir (or give --summary CSV)")
    else:
        monitor(args.pid, args.data_dir, args.out, args.every)


if __name__ == "__main__":
    main()
