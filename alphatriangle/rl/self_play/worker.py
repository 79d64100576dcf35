"""`SelfPlayWorker`: plays a batch of games with batched search and returns finished ones.

Used in-process or as a Ray actor (`remote_self_play_worker()`). One intra-op thread: a
machine runs one worker per core.
"""

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from alphatriangle.baselines.ntuple import NTuplePlayer, ntuple_actions
from alphatriangle.baselines.planner import planner_actions
from alphatriangle.baselines.simple import policy_streams
from alphatriangle.config import (
    EnvConfig,
    MCTSConfig,
    ModelConfig,
    NTupleConfig,
    PlannerConfig,
    SelfPlayConfig,
)
from alphatriangle.game import GameBatch
from alphatriangle.game.rng import seed_states
from alphatriangle.mcts import BatchedMCTS, SearchOutput
from alphatriangle.nn import NeuralNetwork
from alphatriangle.nn.network import Weights
from alphatriangle.rl.types import (
    Experiences,
    SelfPlayBatch,
    SelfPlayResult,
    n_step_parts,
    n_step_returns,
)
from alphatriangle.utils import StepInfo
from alphatriangle.utils.seeding import SEED_BITS, integer_seed

logger = logging.getLogger(__name__)

MetricBatch = dict[str, list[tuple[float, StepInfo]]]


@dataclass
class _Trajectory:
    """One game's moves so far (a few arrays per move, not per node)."""

    occ: list[npt.NDArray[np.uint64]] = field(default_factory=list)
    shapes: list[npt.NDArray[np.int8]] = field(default_factory=list)
    board: list[npt.NDArray[np.uint8]] = field(default_factory=list)
    other: list[npt.NDArray[np.float32]] = field(default_factory=list)
    policy: list[npt.NDArray[np.float32]] = field(default_factory=list)
    root_value: list[float] = field(default_factory=list)
    reward: list[float] = field(default_factory=list)
    root_visits: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    full_search: list[bool] = field(default_factory=list)
    """Whether each move had a full search (only those become training examples)."""
    simulations: int = 0
    lines: int = 0
    by_teacher: bool | None = None
    """Whether the warm-start player plays this game (decided at its first move, kept to its
    end)."""


class SelfPlayWorker:
    """`GAMES_PER_WORKER` games played at once with the latest weights it was sent.

    Each move is one batched search over all its games (playout cap randomisation: some
    moves get the full budget, the rest a cheap one; only full ones become training examples).
    Games that began before the trainer reached `PLANNER_WARM_START_STEPS` (then a share
    falling over `WARM_START_HANDOVER_STEPS`) are played by the warm-start player instead
    (`WARM_START_PLAYER`: the planner, or the n-tuple player the run sends with
    `set_warm_start_ntuple`). A finished game is returned with its examples (n-step
    value targets) by `run_episodes` / `run_for`, and a new game takes its place at once.
    """

    def __init__(  # noqa: PLR0913 (a Ray actor's constructor: the config sections it plays by)
        self,
        actor_id: int,
        env_config: EnvConfig,
        mcts_config: MCTSConfig,
        model_config: ModelConfig,
        selfplay_config: SelfPlayConfig,
        seed: int | None = None,
        stats_collector: Any = None,
        planner_config: PlannerConfig | None = None,
        ntuple_config: NTupleConfig | None = None,
    ) -> None:
        torch.set_num_threads(1)  # one core per worker (its own Ray process)
        self.actor_id = actor_id
        self.mcts_config = mcts_config
        self.selfplay_config = selfplay_config
        self.stats_collector = stats_collector
        streams = np.random.SeedSequence(seed).spawn(5)
        game_seeds, search_seed, playout_caps, planner_seed, teacher_draws = streams
        self.seed_rng = np.random.default_rng(game_seeds)
        self.cap_rng = np.random.default_rng(playout_caps)
        self.teacher_rng = np.random.default_rng(teacher_draws)
        self.planner_config = planner_config or PlannerConfig()
        self.env_config = env_config
        self.ntuple_config = ntuple_config or NTupleConfig()
        self.ntuple_player: NTuplePlayer | None = None
        self.network = NeuralNetwork(
            model_config,
            env_config,
            device=selfplay_config.DEVICE,
            inference=selfplay_config.INFERENCE_BACKEND,
        )
        n = selfplay_config.GAMES_PER_WORKER
        self.games = GameBatch.new(n, env_config, seeds=self._new_seeds(n))
        self.search = BatchedMCTS(mcts_config, env_config, n, seed=integer_seed(search_seed))
        self.trajectories = [_Trajectory() for _ in range(n)]
        self.planner_rng = policy_streams(n, integer_seed(planner_seed))
        self.finished: deque[SelfPlayResult] = deque()
        self.pending_metrics: MetricBatch = {}
        self.current_trainer_step = 0
        self.episodes_done = 0

    def _new_seeds(self, n: int) -> list[int]:
        return [int(s) for s in self.seed_rng.integers(0, 2**SEED_BITS, size=n)]

    def set_weights(self, weights: Weights) -> None:
        """Play with new weights from now on. Trees built with the old ones are dropped, or
        kept with their roots re-evaluated (`KEEP_TREES_ON_WEIGHT_UPDATE`)."""
        self.network.set_weights(weights)
        if self.selfplay_config.KEEP_TREES_ON_WEIGHT_UPDATE:
            self.search.reevaluate_roots()
        else:
            self.search.reset()

    def set_warm_start_ntuple(self, weights: npt.NDArray[np.float32]) -> None:
        """The n-tuple weights that play the warm-start games (`WARM_START_PLAYER="ntuple"`)."""
        self.ntuple_player = NTuplePlayer(
            self.env_config, self.ntuple_config, np.asarray(weights, dtype=np.float32)
        )

    def set_stats_collector(self, stats_collector: Any) -> None:
        """Send per-step metrics to this collector from now on (a replaced one)."""
        self.stats_collector = stats_collector

    def set_current_trainer_step(self, global_step: int) -> None:
        """The trainer's step now: it ends the warm start and tags what is played."""
        self.current_trainer_step = global_step

    def get_weights(self) -> Weights:
        """The weights this worker plays with."""
        return self.network.get_weights()

    def play_for(self, seconds: float) -> tuple[int, int]:
        """Play moves for `seconds` (at least one); return the positions played and the
        simulations searched (for throughput benchmarks)."""
        import time

        positions = simulations = 0
        start = time.perf_counter()
        while True:
            simulations += self._play_move()
            positions += len(self.trajectories)
            if time.perf_counter() - start >= seconds:
                break
        self.finished.clear()
        self.pending_metrics = {}
        return positions, simulations

    def get_info(self) -> dict[str, Any]:
        """Where this worker runs: process id and (under Ray) node id."""
        import os

        info: dict[str, Any] = {"pid": os.getpid(), "worker_id": self.actor_id, "node_id": None}
        try:
            import ray

            if ray.is_initialized():
                info["node_id"] = ray.get_runtime_context().get_node_id()
        except ImportError:
            pass
        return info

    def run_episode(self) -> SelfPlayResult:
        """Play until a game finishes and return it (others keep going between calls)."""
        while not self.finished:
            self._play_move()
        self._flush_metrics()
        return self.finished.popleft()

    def run_episodes(self) -> list[SelfPlayResult]:
        """Play until at least one game finishes; return every finished game."""
        while not self.finished:
            self._play_move()
        return self._take_finished()

    def run_for(self, max_seconds: float) -> SelfPlayBatch:
        """Play until a game finishes or `max_seconds` pass (at least one move); return the
        finished games and the positions played, so a slow network still shows progress."""
        import time

        deadline = time.perf_counter() + max_seconds
        positions = 0
        while True:
            self._play_move()
            positions += len(self.trajectories)
            if self.finished or time.perf_counter() >= deadline:
                return SelfPlayBatch(self._take_finished(), positions)

    def _take_finished(self) -> list[SelfPlayResult]:
        self._flush_metrics()
        results = list(self.finished)
        self.finished.clear()
        return results

    def _budgets(self) -> npt.NDArray[np.int32]:
        """Playout cap randomisation: each game's simulations for this move."""
        full = self.mcts_config.NUM_SIMULATIONS
        fraction = self.selfplay_config.PLAYOUT_CAP_FULL_FRACTION
        if fraction >= 1.0:
            return np.full(len(self.trajectories), full, dtype=np.int32)
        cheap = min(full, self.selfplay_config.PLAYOUT_CAP_CHEAP_SIMULATIONS)
        is_full = self.cap_rng.random(len(self.trajectories)) < fraction
        return np.where(is_full, full, cheap).astype(np.int32)

    def _by_teacher(self) -> npt.NDArray[np.bool_]:
        """Which games the warm-start player plays: each game's draw at its first move
        against `SelfPlayConfig.teacher_share` of the trainer's step then (no draw when the
        share is 0 or 1, so a run without a handover keeps its random streams)."""
        share = self.selfplay_config.teacher_share(self.current_trainer_step)
        for trajectory in self.trajectories:
            if trajectory.by_teacher is not None:
                continue
            if share in (0.0, 1.0):
                trajectory.by_teacher = share == 1.0
            else:
                trajectory.by_teacher = bool(self.teacher_rng.random() < share)
        return np.array([bool(t.by_teacher) for t in self.trajectories])

    def _teacher_actions(self, batch: GameBatch) -> npt.NDArray[np.int64]:
        """The warm-start player's move in each game of `batch` not over."""
        if self.selfplay_config.WARM_START_PLAYER == "planner":
            return planner_actions(batch, self.planner_rng, self.planner_config)
        if self.ntuple_player is None:
            raise RuntimeError("the n-tuple warm-start player's weights were never sent")
        return ntuple_actions(batch, self.planner_rng, self.ntuple_player)

    def _moves(
        self, by_teacher: npt.NDArray[np.bool_], budgets: npt.NDArray[np.int32]
    ) -> SearchOutput:
        """The search's moves and targets for the games it plays; the warm-start player's
        move (also the policy target, one-hot) for the others."""
        games, n = self.games, len(self.trajectories)
        if by_teacher.all():
            out = SearchOutput.empty(n, games.config.ACTION_DIM)
        else:
            out = self.search.search(
                games.occ, games.shapes, self.network.evaluate_arrays, active=~by_teacher,
                move_numbers=games.steps, simulations=budgets,
            )  # fmt: skip
        if by_teacher.any():
            taught = self._teacher_actions(
                GameBatch(games.tables, games.arrays._replace(done=games.done | ~by_teacher))
            )
            rows = np.flatnonzero(by_teacher & (taught >= 0))
            out.actions[by_teacher] = taught[by_teacher]
            out.policy_targets[by_teacher] = 0.0
            out.policy_targets[rows, taught[rows]] = 1.0
            out.root_values[by_teacher] = 0.0
            out.root_visits[by_teacher] = 0
            out.max_depth[by_teacher] = 0
        return out

    def _play_move(self) -> int:
        """One move in every game; returns the simulations searched for it."""
        games = self.games
        board, other = self.network.features.extract(games.occ, games.shapes)
        occ, shapes = games.occ.copy(), games.shapes.copy()
        by_teacher = self._by_teacher()
        budgets = self._budgets()
        out = self._moves(by_teacher, budgets)
        step = games.step(out.actions)
        self.search.advance(out.actions, games.shapes)
        root_visits = out.root_visits.sum(axis=1)
        for g, trajectory in enumerate(self.trajectories):
            trajectory.occ.append(occ[g])
            trajectory.shapes.append(shapes[g])
            trajectory.board.append(board[g].astype(np.uint8))
            trajectory.other.append(other[g].copy())
            trajectory.policy.append(out.policy_targets[g].copy())
            trajectory.root_value.append(float(out.root_values[g]))
            trajectory.reward.append(float(step.reward[g]))
            trajectory.root_visits.append(int(root_visits[g]))
            trajectory.depth.append(int(out.max_depth[g]))
            trajectory.full_search.append(
                bool(by_teacher[g] or budgets[g] == self.mcts_config.NUM_SIMULATIONS)
            )
            trajectory.simulations += 0 if by_teacher[g] else int(budgets[g])
            trajectory.lines += int(step.lines_cleared[g])
            info: StepInfo = {
                "game_step_index": len(trajectory.reward) - 1,
                "global_step": self.current_trainer_step,
                "worker_id": self.actor_id,
            }
            if not by_teacher[g]:
                self._metric("MCTS/Step_Visits", float(root_visits[g]), info)
                self._metric("MCTS/Step_Depth", float(out.max_depth[g]), info)
            self._metric("RL/Step_Reward", float(step.reward[g]), info)
        finished = np.flatnonzero(games.done)
        for g in finished.tolist():
            self.finished.append(self._result(g))
            self.trajectories[g] = _Trajectory()
        if finished.size:
            games.rng[finished] = seed_states(self._new_seeds(finished.size))
            games.reset(games.done.copy())
        return int(budgets[~by_teacher].sum())

    def _metric(self, name: str, value: float, info: StepInfo) -> None:
        if self.stats_collector is not None:
            self.pending_metrics.setdefault(name, []).append((value, info))

    def _flush_metrics(self) -> None:
        if self.stats_collector is not None and self.pending_metrics:
            self.stats_collector.log_batch.remote(self.pending_metrics)
            self.pending_metrics = {}

    def _result(self, g: int) -> SelfPlayResult:
        trajectory = self.trajectories[g]
        steps = len(trajectory.reward)
        # The warm-start player's games have no search values to bootstrap from: their
        # targets are the discounted returns to the game's end.
        n = steps if trajectory.by_teacher else self.selfplay_config.N_STEP_RETURNS
        discount = self.mcts_config.DISCOUNT
        rewards = np.array(trajectory.reward)
        reward_sums, bootstrap_discounts = n_step_parts(rewards, n, discount)
        later = np.minimum(np.arange(steps) + n, steps - 1)
        self.episodes_done += 1
        examples = Experiences(
            board=np.stack(trajectory.board),
            other=np.stack(trajectory.other),
            policy=np.stack(trajectory.policy),
            value=n_step_returns(rewards, np.array(trajectory.root_value), n, discount),
            reward_sum=reward_sums.astype(np.float32),
            bootstrap_discount=bootstrap_discounts.astype(np.float32),
            bootstrap_occ=np.stack(trajectory.occ)[later],
            bootstrap_shapes=np.stack(trajectory.shapes)[later],
        )
        return SelfPlayResult(
            experiences=examples.select(np.array(trajectory.full_search)),
            final_score=float(self.games.score[g]),
            episode_steps=steps,
            lines_cleared=trajectory.lines,
            total_simulations=trajectory.simulations,
            avg_root_visits=float(np.mean(trajectory.root_visits)),
            avg_tree_depth=float(np.mean(trajectory.depth)),
            trainer_step=self.current_trainer_step,
            worker_id=self.actor_id,
        )


def remote_self_play_worker(num_cpus: float = 1, num_gpus: float = 0) -> Any:
    """`SelfPlayWorker` as a Ray actor class (Ray is imported only when asked for)."""
    import ray

    return ray.remote(num_cpus=num_cpus, num_gpus=num_gpus)(SelfPlayWorker)
