"""`Evaluator`: the evaluation suite on given weights, as a Ray actor beside training."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from alphatriangle.config import RunConfig
from alphatriangle.evaluation.replay import record_game, replay_html
from alphatriangle.evaluation.suite import MovePlayed, default_seeds, evaluation_mcts, play_agent
from alphatriangle.nn import NeuralNetwork
from alphatriangle.nn.network import Weights


@dataclass(frozen=True)
class EvalOutcome:
    global_step: int
    summary: dict[str, float]
    best_seed: int
    best_score: float
    best_replay_html: str


class Evaluator:
    """Plays the fixed suite with the search used for evaluation (no noise, best move)."""

    def __init__(self, config: RunConfig) -> None:
        train = config.train
        self.config = config
        self.network = NeuralNetwork(config.model, config.env, device="cpu", num_threads=1)
        self.seeds = default_seeds(train.EVAL_GAMES)
        self.mcts = evaluation_mcts(config)

    def evaluate(self, weights: Weights, global_step: int) -> EvalOutcome:
        self.network.set_weights(weights)
        moves: list[list[MovePlayed]] = []
        name = f"step {global_step}"
        result = play_agent(name, self.network, self.mcts, self.seeds, self.config.env, moves=moves)
        best = int(np.argmax(result.scores))
        title = (
            f"AlphaTriangle evaluation at step {global_step}: best game (seed {self.seeds[best]})"
        )
        record = record_game(title, self.seeds[best], moves[best], self.config.env)
        return EvalOutcome(
            global_step=global_step,
            summary=result.summary(),
            best_seed=self.seeds[best],
            best_score=result.scores[best],
            best_replay_html=replay_html(record, self.config.env),
        )


def evaluator_actor() -> Any:
    """`Evaluator` as a Ray actor class (it asks for no CPU: it runs now and then)."""
    import ray

    return ray.remote(num_cpus=0)(Evaluator)
