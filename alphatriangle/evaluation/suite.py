"""Play a fixed suite of seeded games with a policy, with common random numbers.

A game's refills come from its seed alone, whatever moves are made, so every policy
evaluated on the same seeds faces the same sequence of shapes: differences between
policies are measured game by game (paired), which needs far fewer games.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from alphatriangle.config import EnvConfig, MCTSConfig, RunConfig
from alphatriangle.game import GameBatch
from alphatriangle.game.policies import BASELINES, policy_streams
from alphatriangle.mcts import BatchedMCTS
from alphatriangle.nn import NeuralNetwork

DEFAULT_SEED_BASE = 20_240_001
"""The default suite is seeds DEFAULT_SEED_BASE .. DEFAULT_SEED_BASE + games - 1."""

ActionChooser = Callable[[GameBatch], npt.NDArray[np.int64]]


@dataclass(frozen=True)
class SuiteResult:
    """Per-game outcomes of one policy on the suite (index i = seed i)."""

    name: str
    seeds: list[int]
    scores: list[float]
    lengths: list[int]
    lines: list[int]

    def summary(self) -> dict[str, float]:
        scores = np.array(self.scores)
        return {
            "games": float(len(scores)),
            "mean": float(scores.mean()),
            "median": float(np.median(scores)),
            "p10": float(np.percentile(scores, 10)),
            "p90": float(np.percentile(scores, 90)),
            "max": float(scores.max()),
            "mean_length": float(np.mean(self.lengths)),
            "lines_per_game": float(np.mean(self.lines)),
        }

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "summary": self.summary()}


def default_seeds(games: int) -> list[int]:
    return list(range(DEFAULT_SEED_BASE, DEFAULT_SEED_BASE + games))


def read_seeds(path: Path) -> list[int]:
    """Seeds from a file: whitespace- or comma-separated integers (a JSON list works too)."""
    text = path.read_text().replace(",", " ").replace("[", " ").replace("]", " ")
    try:
        seeds = [int(token) for token in text.split()]
    except ValueError:
        raise ValueError(f"seed file {path} must hold whole numbers only") from None
    if not seeds:
        raise ValueError(f"seed file {path} holds no seeds")
    return seeds


def play_suite(
    name: str, seeds: list[int], choose: ActionChooser, env: EnvConfig,
    after_step: Callable[[GameBatch, npt.NDArray[np.int64]], None] | None = None,
) -> SuiteResult:  # fmt: skip
    """Play every seed's game to the end, all at once, with `choose` picking moves."""
    batch = GameBatch.new(len(seeds), env, seeds=seeds)
    lines = np.zeros(len(seeds), dtype=np.int64)
    while not batch.done.all():
        actions = np.where(batch.done, -1, choose(batch))
        result = batch.step(actions)
        lines += result.lines_cleared
        if after_step is not None:
            after_step(batch, actions)
    return SuiteResult(name, list(seeds), batch.score.astype(float).tolist(),
                       batch.steps.tolist(), lines.tolist())  # fmt: skip


def play_baseline(policy: str, seeds: list[int], env: EnvConfig) -> SuiteResult:
    rng = policy_streams(len(seeds), seed=7)
    return play_suite(policy, seeds, lambda batch: BASELINES[policy](batch, rng), env)


def evaluation_mcts(config: RunConfig, simulations: int | None = None) -> MCTSConfig:
    """The search used to evaluate: no root noise, the best action, the given budget.

    Without a budget it takes the run's `EVAL_SIMULATIONS`, else its self-play budget, and
    `EVAL_MAX_CONSIDERED_ACTIONS` likewise, so `alphatriangle eval` measures what the run's
    evaluator measured.
    """
    update: dict[str, object] = {"gumbel_scale": 0.0, "dirichlet_epsilon": 0.0,
                                 "temperature_initial": 0.0, "temperature_final": 0.0}  # fmt: skip
    budget = simulations if simulations is not None else config.train.EVAL_SIMULATIONS
    if budget is not None:
        update["num_simulations"] = budget
    if config.train.EVAL_MAX_CONSIDERED_ACTIONS is not None:
        update["gumbel_max_considered_actions"] = config.train.EVAL_MAX_CONSIDERED_ACTIONS
    return config.mcts.model_copy(update=update)


Candidate = tuple[int, float, float]
"""(action, share of the root visits, return estimate) of one move the search considered."""
MovePlayed = tuple[int, list[Candidate]]


def top_candidates(
    visits: npt.NDArray[np.int32], q: npt.NDArray[np.float32], k: int = 5
) -> list[Candidate]:
    total = max(1, int(visits.sum()))
    order = np.argsort(-visits, kind="stable")[:k]
    return [(int(a), float(visits[a]) / total, float(q[a])) for a in order if visits[a] > 0]


def play_agent(
    name: str,
    network: NeuralNetwork,
    mcts: MCTSConfig,
    seeds: list[int],
    env: EnvConfig,
    moves: list[list[MovePlayed]] | None = None,
) -> SuiteResult:
    """The network with search, on every seed, as one batched search per move.

    With `moves` (a list), it receives per game each action played and the search's top
    candidates for it, from which `record_game` rebuilds the game.
    """
    search = BatchedMCTS(mcts, env, len(seeds), seed=11)
    if moves is not None:
        moves.extend([] for _ in seeds)

    def choose(batch: GameBatch) -> npt.NDArray[np.int64]:
        out = search.search(batch.occ, batch.shapes, network.evaluate_arrays, active=~batch.done)
        if moves is not None:
            for g in np.flatnonzero(~batch.done):
                considered = top_candidates(out.root_visits[g], out.root_q[g])
                moves[g].append((int(out.actions[g]), considered))
        return out.actions

    def keep_subtrees(batch: GameBatch, actions: npt.NDArray[np.int64]) -> None:
        search.advance(actions, batch.shapes)

    return play_suite(name, seeds, choose, env, after_step=keep_subtrees)


def paired_difference(a: SuiteResult, b: SuiteResult, confidence: float = 0.95) -> dict[str, float]:
    """Mean of a - b over the same seeds, with a normal-approximation confidence interval."""
    if a.seeds != b.seeds:
        raise ValueError("paired differences need the same seeds in the same order")
    diff = np.array(a.scores) - np.array(b.scores)
    half = 0.0
    if len(diff) > 1:
        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        half = float(z * diff.std(ddof=1) / np.sqrt(len(diff)))
    mean = float(diff.mean())
    return {"mean_difference": mean, "ci_low": mean - half, "ci_high": mean + half}
