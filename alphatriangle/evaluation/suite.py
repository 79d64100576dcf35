"""Play a fixed suite of seeded games with a policy, with common random numbers.

A game's refills come from its seed alone, whatever moves are made, so every policy
evaluated on the same seeds faces the same sequence of shapes: differences between
policies are measured game by game (paired), which needs far fewer games.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from alphatriangle.baselines.ntuple import NTuplePlayer, ntuple_actions
from alphatriangle.baselines.planner import planner_actions
from alphatriangle.baselines.simple import BASELINES, game_policy_streams
from alphatriangle.config import EnvConfig, MCTSConfig, PlannerConfig, RunConfig
from alphatriangle.game import GameBatch
from alphatriangle.mcts import BatchedMCTS, SearchOutput
from alphatriangle.nn import NeuralNetwork
from alphatriangle.ui.replay import Candidate, MovePlayed

DEFAULT_SEED_BASE = 20_240_001
"""The default suite is seeds DEFAULT_SEED_BASE .. DEFAULT_SEED_BASE + games - 1."""
SELECTION_SEED_BASE = 10_240_001
"""The in-training evaluation's seeds start here: the best checkpoint is picked on games
disjoint from the default suite, so `eval` on the default seeds scores it on unseen games."""

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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SuiteResult":
        """A result as `to_json` wrote it (its summary is recomputed, not read)."""
        return cls(
            str(data["name"]),
            [int(seed) for seed in data["seeds"]],
            [float(score) for score in data["scores"]],
            [int(length) for length in data["lengths"]],
            [int(lines) for lines in data["lines"]],
        )

    def on_seeds(self, seeds: list[int]) -> "SuiteResult":
        """The same games on `seeds`, in their order; `KeyError` names a seed not played."""
        index = {seed: i for i, seed in enumerate(self.seeds)}
        rows = [index[seed] for seed in seeds]
        return SuiteResult(
            self.name,
            list(seeds),
            scores=[self.scores[i] for i in rows],
            lengths=[self.lengths[i] for i in rows],
            lines=[self.lines[i] for i in rows],
        )


def default_seeds(games: int) -> list[int]:
    return list(range(DEFAULT_SEED_BASE, DEFAULT_SEED_BASE + games))


def selection_seeds(games: int) -> list[int]:
    """Seeds of the in-training evaluation that picks the best checkpoint."""
    return list(range(SELECTION_SEED_BASE, SELECTION_SEED_BASE + games))


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


def play_suite(name: str, seeds: list[int], choose: ActionChooser, env: EnvConfig) -> SuiteResult:
    """Play every seed's game to the end, all at once, with `choose` picking moves."""
    batch = GameBatch.new(len(seeds), env, seeds=seeds)
    lines = np.zeros(len(seeds), dtype=np.int64)
    while not batch.done.all():
        actions = np.where(batch.done, -1, choose(batch))
        lines += batch.step(actions).lines_cleared
    return SuiteResult(name, list(seeds), batch.score.astype(float).tolist(),
                       batch.steps.tolist(), lines.tolist())  # fmt: skip


def baseline_chooser(
    policy: str, game_seeds: list[int | None], planner: PlannerConfig | None = None
) -> ActionChooser:
    """A baseline by name as a chooser of one game per seed; `planner` sets the planner's search.

    Its random streams (tie-breaks, random moves) come from each game's seed (fresh entropy
    for None), so a game plays the same in a suite of any size, in `watch` and in `play`.
    """
    if policy not in BASELINES:
        raise ValueError(f"unknown baseline {policy!r}: choose {', '.join(BASELINES)}")
    rng = game_policy_streams(game_seeds)
    if policy == "planner":
        return lambda batch: planner_actions(batch, rng, planner)
    act = BASELINES[policy]
    return lambda batch: act(batch, rng)


def ntuple_chooser(player: NTuplePlayer, game_seeds: list[int | None]) -> ActionChooser:
    """The n-tuple player as a chooser of one game per seed, its tie-breaks from each game's
    seed as a baseline's are."""
    rng = game_policy_streams(game_seeds)
    return lambda batch: ntuple_actions(batch, rng, player)


def recording(choose: ActionChooser, moves: list[list[MovePlayed]], games: int) -> ActionChooser:
    """`choose`, noting in `moves` each game's actions (with no search candidates)."""
    moves.extend([] for _ in range(games))

    def choose_and_record(batch: GameBatch) -> npt.NDArray[np.int64]:
        actions = choose(batch)
        for g in np.flatnonzero(~batch.done):
            moves[g].append((int(actions[g]), []))
        return actions

    return choose_and_record


def play_baseline(
    policy: str, seeds: list[int], env: EnvConfig, planner: PlannerConfig | None = None
) -> SuiteResult:
    """A baseline on every seed (the planner with `planner`'s settings, else its defaults)."""
    return play_suite(policy, seeds, baseline_chooser(policy, list(seeds), planner), env)


def evaluation_mcts(config: RunConfig, simulations: int | None = None) -> MCTSConfig:
    """The search used to evaluate: no root noise, the best action, the given budget.

    Without a budget it takes the run's `evaluation.SIMULATIONS`, else its self-play budget, and
    `evaluation.MAX_CONSIDERED_ACTIONS` likewise, so `alphatriangle eval` measures what the run's
    evaluator measured.
    """
    update: dict[str, object] = {"GUMBEL_SCALE": 0.0, "DIRICHLET_EPSILON": 0.0,
                                 "TEMPERATURE_INITIAL": 0.0, "TEMPERATURE_FINAL": 0.0}  # fmt: skip
    budget = simulations if simulations is not None else config.evaluation.SIMULATIONS
    if budget is not None:
        update["NUM_SIMULATIONS"] = budget
    if config.evaluation.MAX_CONSIDERED_ACTIONS is not None:
        update["GUMBEL_MAX_CONSIDERED_ACTIONS"] = config.evaluation.MAX_CONSIDERED_ACTIONS
    return config.mcts.model_copy(update=update)


def top_candidates(
    visits: npt.NDArray[np.int32], q: npt.NDArray[np.float32], k: int = 5
) -> list[Candidate]:
    total = max(1, int(visits.sum()))
    order = np.argsort(-visits, kind="stable")[:k]
    return [(int(a), float(visits[a]) / total, float(q[a])) for a in order if visits[a] > 0]


EVALUATION_SEARCH_SEED = 0
"""The seed of the search's own streams (sampled refills) when an agent plays a suite: fixed,
so an agent's score on a set of seeds is reproducible and two agents meet the same samples."""


class AgentChooser:
    """The network with search as a chooser over a batch of games, one batched search per move.

    Each game's search stream follows its game seed, so a game plays the same in a suite of
    any size or shard, in `watch` and in `play`. Each call first moves every tree to the
    subtree of the move last played (tree reuse). With `moves` (a list), it receives per game
    each action chosen and the search's top candidates for it, from which `record_game`
    rebuilds the game.
    """

    def __init__(
        self,
        network: NeuralNetwork,
        mcts: MCTSConfig,
        env: EnvConfig,
        game_seeds: list[int],
        moves: list[list[MovePlayed]] | None = None,
        seed: int = EVALUATION_SEARCH_SEED,
    ) -> None:
        self.network = network
        games = len(game_seeds)
        self.search = BatchedMCTS(mcts, env, games, seed=seed, game_seeds=game_seeds)
        self.moves = moves
        if moves is not None:
            moves.extend([] for _ in range(games))
        self.last_actions: npt.NDArray[np.int64] | None = None
        self.last_output: SearchOutput | None = None
        """The last search's output (root visits, Q, values), for an analysis to show."""

    def __call__(self, batch: GameBatch) -> npt.NDArray[np.int64]:
        if self.last_actions is not None:
            self.search.advance(self.last_actions, batch.shapes)
        out = self.search.search(
            batch.occ, batch.shapes, self.network.evaluate_arrays, active=~batch.done
        )
        self.last_output = out
        if self.moves is not None:
            for g in np.flatnonzero(~batch.done):
                considered = top_candidates(out.root_visits[g], out.root_q[g])
                self.moves[g].append((int(out.actions[g]), considered))
        self.last_actions = np.where(batch.done, -1, out.actions)
        return out.actions


def play_agent(
    name: str,
    network: NeuralNetwork,
    mcts: MCTSConfig,
    seeds: list[int],
    env: EnvConfig,
    moves: list[list[MovePlayed]] | None = None,
) -> SuiteResult:
    """The network with search on every seed (see `AgentChooser` for `moves`)."""
    return play_suite(name, seeds, AgentChooser(network, mcts, env, seeds, moves), env)


def paired_difference(a: SuiteResult, b: SuiteResult, confidence: float = 0.95) -> dict[str, float]:
    """Mean of a - b over the same seeds, with a normal-approximation confidence interval."""
    if a.seeds != b.seeds:
        raise ValueError("paired differences need the same seeds in the same order")
    diff = np.array(a.scores) - np.array(b.scores)
    low, high = paired_interval(diff, confidence)
    return {"mean_difference": float(diff.mean()), "ci_low": low, "ci_high": high}


def paired_interval(diff: npt.NDArray[np.float64], confidence: float) -> tuple[float, float]:
    """Normal-approximation confidence interval of the mean of per-seed differences."""
    mean = float(diff.mean())
    half = 0.0
    if len(diff) > 1:
        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        half = float(z * diff.std(ddof=1) / np.sqrt(len(diff)))
    return mean - half, mean + half
