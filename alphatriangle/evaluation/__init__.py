"""Evaluation: seeded game suites with common random numbers, agents from checkpoints."""

from alphatriangle.evaluation.checkpoints import (
    Agent,
    CheckpointError,
    load_agent,
    resolve_checkpoint,
)
from alphatriangle.evaluation.suite import (
    SuiteResult,
    default_seeds,
    evaluation_mcts,
    paired_difference,
    play_agent,
    play_baseline,
    play_suite,
    read_seeds,
    selection_seeds,
)

__all__ = [
    "Agent",
    "CheckpointError",
    "SuiteResult",
    "default_seeds",
    "evaluation_mcts",
    "load_agent",
    "paired_difference",
    "play_agent",
    "play_baseline",
    "play_suite",
    "read_seeds",
    "resolve_checkpoint",
    "selection_seeds",
]
