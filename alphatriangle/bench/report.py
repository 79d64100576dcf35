"""Shared output of the benchmarks: a Rich table on the terminal and a JSON file."""

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from alphatriangle.utils.machine import machine_info


def write_report(
    name: str, rows: list[dict[str, Any]], summary: dict[str, Any], out: Path, console: Console
) -> None:
    """Print `rows` as a table and `summary` below it, then write everything to `out`."""
    table = Table(title=f"alphatriangle bench {name}")
    for key in rows[0]:
        table.add_column(key, justify="right" if isinstance(rows[0][key], float | int) else "left")
    for row in rows:
        table.add_row(*(f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)
    for key, value in summary.items():
        console.print(f"{key}: {value:,.2f}" if isinstance(value, float) else f"{key}: {value}")
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine_info(), "results": rows, "summary": summary}
    out.write_text(json.dumps(payload, indent=2) + "\n")
    console.print(f"wrote {out}")
