"""Tune the planner's heuristic weights by coordinate search on seeds outside the eval suite.

    python scripts/tune_planner.py [--games 128] [--rounds 4]
    python scripts/tune_planner.py --compare BEAM_WIDTH=24 [--games 512] [--seed-base 2000]

Each candidate plays the same seeds (common random numbers); a step is kept when the mean
score rises. Prints every trial and the best weights. `--compare` plays the default
`PlannerConfig` and one with the given settings on the same seeds and prints both means and
the paired difference. Seeds start at `--seed-base` (1,000), far from the default evaluation
suite (20,240,001 onwards).
"""

import argparse

from alphatriangle.config import EnvConfig
from alphatriangle.config.planner_config import PlannerConfig
from alphatriangle.evaluation.suite import paired_difference, play_baseline

TUNING_SEED_BASE = 1_000
WEIGHTS = ("WEIGHT_FIT", "WEIGHT_MOBILITY", "WEIGHT_EMPTY", "WEIGHT_HOLE")


def mean_score(config: PlannerConfig, seeds: list[int]) -> float:
    result = play_baseline("planner", seeds, EnvConfig(), planner=config)
    return sum(result.scores) / len(result.scores)


def compare(settings: list[str], seeds: list[int]) -> None:
    """The default planner against one with `settings` (KEY=value), paired by seed."""
    update = {key: float(value) for key, _, value in (s.partition("=") for s in settings)}
    if "BEAM_WIDTH" in update:
        update["BEAM_WIDTH"] = int(update["BEAM_WIDTH"])
    default = PlannerConfig()
    other = PlannerConfig.model_validate({**default.model_dump(), **update})
    results = [play_baseline("planner", seeds, EnvConfig(), c) for c in (default, other)]
    for config, result in zip((default, other), results, strict=True):
        print(f"{config.model_dump()}: mean {sum(result.scores) / len(seeds):.1f}")
    d = paired_difference(results[1], results[0])
    print(f"changed - default: {d['mean_difference']:+.1f} "
          f"[{d['ci_low']:+.1f}, {d['ci_high']:+.1f}] on {len(seeds)} seeds")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed-base", type=int, default=TUNING_SEED_BASE)
    parser.add_argument("--compare", nargs="+", metavar="KEY=VALUE")
    args = parser.parse_args()
    seeds = list(range(args.seed_base, args.seed_base + args.games))
    if args.compare:
        compare(args.compare, seeds)
        return
    best = PlannerConfig()
    best_mean = mean_score(best, seeds)
    print(f"start {best.model_dump()} mean {best_mean:.1f}", flush=True)
    step = 2.0
    for round_index in range(args.rounds):
        for name in WEIGHTS:
            for factor in (step, 1 / step):
                trial = best.model_copy(update={name: getattr(best, name) * factor})
                trial_mean = mean_score(trial, seeds)
                kept = trial_mean > best_mean
                print(f"round {round_index} {name} x{factor:.2f} -> {getattr(trial, name):.3g}: "
                      f"{trial_mean:.1f} {'kept' if kept else ''}", flush=True)  # fmt: skip
                if kept:
                    best, best_mean = trial, trial_mean
                    break
        step = step**0.5
    print(f"best {best.model_dump()} mean {best_mean:.1f}")


if __name__ == "__main__":
    main()
