"""`Evaluator`: the evaluation suite on given weights, as a Ray actor beside training."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from alphatriangle.config import RunConfig
from alphatriangle.evaluation.suite import (
    SuiteResult,
    evaluation_mcts,
    play_agent,
    play_baseline,
    selection_seeds,
)
from alphatriangle.nn import NeuralNetwork
from alphatriangle.nn.network import Weights
from alphatriangle.ui.replay import MovePlayed, record_game, replay_html


@dataclass(frozen=True)
class CheckpointEvaluation:
    """One in-training evaluation: the suite's result on the weights of `global_step`."""

    global_step: int
    result: SuiteResult
    best_seed: int
    best_score: float
    best_replay_html: str
    baseline_means: dict[str, float]
    """The planner's and greedy's means on the same seeds, in an evaluator's first outcome
    only (they do not change during a run)."""


REFERENCE_BASELINES = ("planner", "greedy")
"""Logged once per run as `Eval/Planner_Mean` and `Eval/Greedy_Mean`, for reference."""


def reference_tag(policy: str) -> str:
    """The metric a reference baseline's mean is logged under (`report` reads it back)."""
    return f"Eval/{policy.title()}_Mean"


class Evaluator:
    """Plays the fixed suite with the search used for evaluation (no noise, best move)."""

    def __init__(self, config: RunConfig) -> None:
        import torch

        torch.set_num_threads(1)  # its own Ray process: one core, beside self-play
        self.config = config
        self.network = NeuralNetwork(
            config.model, config.env, device="cpu", inference=config.selfplay.INFERENCE_BACKEND
        )
        self.seeds = selection_seeds(config.evaluation.GAMES)
        self.mcts = evaluation_mcts(config)
        self.baselines_reported = False

    def evaluate(self, weights: Weights, global_step: int) -> CheckpointEvaluation:
        self.network.set_weights(weights)
        moves: list[list[MovePlayed]] = []
        name = f"step {global_step}"
        result = play_agent(name, self.network, self.mcts, self.seeds, self.config.env, moves=moves)
        best = int(np.argmax(result.scores))
        title = (
            f"AlphaTriangle evaluation at step {global_step}: best game (seed {self.seeds[best]})"
        )
        record = record_game(title, self.seeds[best], moves[best], self.config.env)
        baseline_means: dict[str, float] = {}
        if not self.baselines_reported:
            env, planner = self.config.env, self.config.planner
            for policy in REFERENCE_BASELINES:
                baseline = play_baseline(policy, self.seeds, env, planner)
                baseline_means[policy] = baseline.summary()["mean"]
            self.baselines_reported = True
        return CheckpointEvaluation(
            global_step=global_step,
            result=result,
            best_seed=self.seeds[best],
            best_score=result.scores[best],
            best_replay_html=replay_html(record, self.config.env),
            baseline_means=baseline_means,
        )


def evaluator_actor() -> Any:
    """`Evaluator` as a Ray actor class (it asks for no CPU: it runs now and then)."""
    import ray

    return ray.remote(num_cpus=0)(Evaluator)
