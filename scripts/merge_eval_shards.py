"""Join `alphatriangle eval --seeds FILE --json OUT` results of one agent on disjoint seed
files into one, as `eval` would have written it for all their seeds, and print its table: an
evaluation spread over the cores or machines at hand.

    for i in 0 1 2 3; do
      alphatriangle eval models/laptop --seeds seeds$i.txt --json shard$i.json &
    done; wait
    python scripts/merge_eval_shards.py shard*.json --json eval.json
"""

import argparse
import json
from pathlib import Path

from rich.console import Console

from alphatriangle.evaluation.eval_command import merge_payloads, results_table
from alphatriangle.evaluation.suite import SuiteResult


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shards", nargs="+", type=Path, help="`eval --json` files")
    parser.add_argument("--json", type=Path, required=True, help="where to write the merged file")
    args = parser.parse_args()
    payload = merge_payloads([json.loads(path.read_text()) for path in args.shards])
    results = [SuiteResult.from_json(r) for r in payload["results"]]
    console = Console()
    console.print(f"{payload['checkpoint']} at {payload['simulations']} simulations")
    console.print(results_table(results, results[0]))
    args.json.write_text(json.dumps(payload, indent=2) + "\n")
    console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
