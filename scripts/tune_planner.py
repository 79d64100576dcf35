"""Tune the planner's heuristic weights by coordinate search on seeds outside the eval suite.

    python scripts/tune_planner.py [--games 96] [--rounds 3]

Each candidate plays the same seeds (common random numbers); a step is kept when the mean
score rises. Prints every trial and the best weights; the seeds start at 1,000, far from
the default evaluation suite (20,240,001 onwards).
"""

import argparse

from alphatriangle.config import EnvConfig
from alphatriangle.config.planner_config import PlannerConfig
from alphatriangle.evaluation.suite import play_baseline

TUNING_SEED_BASE = 1_000
WEIGHTS = ("WEIGHT_FIT", "WEIGHT_MOBILITY", "WEIGHT_EMPTY", "WEIGHT_HOLE")


def mean_score(config: PlannerConfig, seeds: list[int]) -> float:
    result = play_baseline("planner", seeds, EnvConfig(), planner=config)
    return sum(result.scores) / len(result.scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seeds = list(range(TUNING_SEED_BASE, TUNING_SEED_BASE + args.games))
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
