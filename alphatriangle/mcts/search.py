"""Batched MCTS: every round selects one leaf in every game's tree and evaluates all leaves
in one network call.

Chance nodes stand where a placement empties every slot; which sampled refill a simulation
follows there is `chance.py`'s rule (capped or progressive widening over common refills).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.config import EnvConfig, MCTSConfig
from alphatriangle.game.geometry import CoreTables, engine_tables
from alphatriangle.game.rng import seed_states
from alphatriangle.mcts.action_selection import RootState, SelectionParams, select_action
from alphatriangle.mcts.chance import ChanceSampler, chance_sampler, chance_step, widened_outcomes
from alphatriangle.mcts.expansion import expand, prepare_roots, write_evaluation
from alphatriangle.mcts.policies import SearchedRoots, root_policy, root_statistics
from alphatriangle.mcts.seq_halving import considered_visit_table
from alphatriangle.mcts.tree import (
    CHANCE,
    DECISION,
    ROOT,
    Tree,
    allocate_tree,
    keep_played_subtrees,
    node_value,
)
from alphatriangle.utils.seeding import integer_seed, integer_seeds

Evaluator = Callable[
    [npt.NDArray[np.uint64], npt.NDArray[np.int8]],
    tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
]
"""(occ [n, 2], shapes [n, slots]) -> (policy logits [n, ACTION_DIM], values [n])."""


@dataclass(frozen=True)
class SearchOutput:
    """What one search produced for each game (-1 / zeros for inactive games)."""

    actions: npt.NDArray[np.int64]
    policy_targets: npt.NDArray[np.float32]
    """[games, ACTION_DIM] improved policy (Gumbel) or visit distribution (PUCT)."""
    root_values: npt.NDArray[np.float32]
    root_visits: npt.NDArray[np.int32]
    """[games, ACTION_DIM] visits of each root action, reused ones included."""
    root_q: npt.NDArray[np.float32]
    """[games, ACTION_DIM] each root action's return estimate (NaN where unvisited)."""
    expansions: npt.NDArray[np.int32]
    """[games] leaves this search added to the tree."""
    max_depth: npt.NDArray[np.int32]
    tree_nodes: npt.NDArray[np.int32]

    @classmethod
    def empty(cls, games: int, action_dim: int) -> "SearchOutput":
        """The output of a search in which no game was active."""
        return cls(
            actions=np.full(games, -1, dtype=np.int64),
            policy_targets=np.zeros((games, action_dim), dtype=np.float32),
            root_values=np.zeros(games, dtype=np.float32),
            root_visits=np.zeros((games, action_dim), dtype=np.int32),
            root_q=np.full((games, action_dim), np.nan, dtype=np.float32),
            expansions=np.zeros(games, dtype=np.int32),
            max_depth=np.zeros(games, dtype=np.int32),
            tree_nodes=np.zeros(games, dtype=np.int32),
        )


class Paths(NamedTuple):
    """Per game, the path of the current simulation and the leaf it reached."""

    node: npt.NDArray[np.int32]
    """[games, max path] nodes from the root."""
    edge: npt.NDArray[np.int32]
    """[games, max path] the action (or the outcome's rank under a chance node) taken."""
    length: npt.NDArray[np.int32]
    leaf: npt.NDArray[np.int32]
    """[games] the leaf (-1 for inactive games)."""
    leaf_new: npt.NDArray[np.bool_]
    """[games] whether the leaf was expanded by this simulation (needs an evaluation)."""


class Scratch(NamedTuple):
    """Per-game rows the kernels write into instead of allocating."""

    q: npt.NDArray[np.float64]
    visits: npt.NDArray[np.int32]
    policy: npt.NDArray[np.float64]
    legal: npt.NDArray[np.bool_]
    outcome: npt.NDArray[np.int8]


@njit(cache=True)
def _push(paths: Paths, g: int, edge: int, node: int) -> None:
    """Extend game `g`'s path by the edge taken and the node it leads to."""
    length = paths.length[g]
    paths.edge[g, length - 1] = edge
    paths.node[g, length] = node
    paths.length[g] = length + 1


NO_LEVEL = cast(int, np.int64(0))
"""The walk's chance level before it passes a chance node (typed for numba, as `ROOT` is)."""


@njit(cache=True)
def _descend(
    t: CoreTables,
    tree: Tree,
    params: SelectionParams,
    roots: RootState,
    scratch: Scratch,
    paths: Paths,
    sampler: ChanceSampler,
    rng: np.ndarray,
    g: int,
    simulation: int,
    max_depth: int,
) -> int:
    """Walk tree `g` from its root to a leaf, expanding at most one new decision node (and
    the chance node before it). Sets the leaf in `paths`; returns the depth reached."""
    n, depth, level = ROOT, 0, NO_LEVEL
    paths.node[g, 0] = 0
    paths.length[g] = 1
    while not tree.node_terminal[g, n]:
        if tree.node_kind[g, n] == CHANCE:
            k, child, new = chance_step(t, tree, sampler, rng, scratch.outcome, g, n, level)
            if child < 0:
                break
            _push(paths, g, k, child)
            n = child
            level += 1
            if new:
                paths.leaf_new[g] = True
                break
            continue
        if depth >= max_depth:
            break
        a = select_action(
            tree, params, roots, g, n, simulation, scratch.q[g], scratch.visits[g],
            scratch.policy[g],
        )  # fmt: skip
        if n == 0:
            roots.search_visits[g, a] += 1
        child = tree.children_index[g, n, a]
        if child < 0:
            child = expand(t, tree, scratch.outcome[g], g, n, a)
            if child < 0:
                break
            paths.leaf_new[g] = tree.node_kind[g, child] == DECISION
        _push(paths, g, a, child)
        n = child
        depth += 1
        if paths.leaf_new[g]:
            break
    paths.leaf[g] = n
    return depth


@njit(cache=True)
def _simulate(
    t: CoreTables,
    tree: Tree,
    params: SelectionParams,
    roots: RootState,
    scratch: Scratch,
    paths: Paths,
    sampler: ChanceSampler,
    rng: np.ndarray,
    active: np.ndarray,
    simulation: int,
    max_depth: int,
    expansions: np.ndarray,
    deepest: np.ndarray,
) -> None:
    """One simulation in every active tree: a leaf per game, set in `paths`."""
    for g in range(active.shape[0]):
        paths.leaf[g] = -1
        paths.leaf_new[g] = False
        if not active[g]:
            continue
        depth = _descend(
            t, tree, params, roots, scratch, paths, sampler, rng, g, simulation, max_depth
        )
        if paths.leaf_new[g]:
            expansions[g] += 1
        deepest[g] = max(deepest[g], depth)


@njit(cache=True)
def _backup(
    t: CoreTables,
    tree: Tree,
    paths: Paths,
    params: SelectionParams,
    logits: np.ndarray,
    values: np.ndarray,
    legal: np.ndarray,
) -> None:
    """Store new leaves' evaluations and add each leaf's discounted return up its path."""
    for g in range(paths.leaf.shape[0]):
        n = paths.leaf[g]
        if n < 0:
            continue
        if tree.node_terminal[g, n]:
            value = 0.0
        elif paths.leaf_new[g]:
            write_evaluation(t, tree, legal, g, n, logits[g], values[g])
            value = float(values[g])
        elif tree.node_kind[g, n] == CHANCE:
            value = node_value(tree, g, n)
        else:
            value = float(tree.node_raw_value[g, n])
        for i in range(paths.length[g] - 1, -1, -1):
            node = paths.node[g, i]
            tree.node_visits[g, node] += 1
            tree.node_value_sum[g, node] += value
            if i > 0:
                parent = paths.node[g, i - 1]
                disc = 1.0 if tree.node_kind[g, node] == CHANCE else params.discount
                value = tree.children_reward[g, parent, paths.edge[g, i - 1]] + disc * value


class BatchedMCTS:
    """Searches for a batch of games at once, keeping each game's tree between moves."""

    def __init__(
        self,
        config: MCTSConfig,
        env_config: EnvConfig,
        num_games: int,
        seed: int | None = None,
        game_seeds: Sequence[int] | None = None,
    ) -> None:
        """`game_seeds` (one per game) ties each game's search stream to `(seed, its game
        seed)`, so a game searches alike in any batch; else streams follow the game's index."""
        self.config = config
        self.tables = engine_tables(env_config)
        self.num_games = num_games
        g, a, slots = num_games, env_config.ACTION_DIM, env_config.NUM_SHAPE_SLOTS
        capacity = 3 * config.NUM_SIMULATIONS + 2
        self.tree = allocate_tree(g, capacity, a, slots)
        chance_streams, root_noise = np.random.SeedSequence(seed).spawn(2)
        if game_seeds is None:
            self.rng = seed_states(integer_seeds(chance_streams, g))
        else:
            if len(game_seeds) != g:
                raise ValueError(f"got {len(game_seeds)} game seeds for {g} games")
            streams = [np.random.SeedSequence([seed or 0, int(s)]) for s in game_seeds]
            self.rng = seed_states(integer_seed(stream) for stream in streams)
        self.policy = root_policy(config, np.random.default_rng(root_noise))
        self.params = SelectionParams(
            gumbel=self.policy.gumbel,
            discount=config.DISCOUNT,
            c_puct=config.PUCT_COEFFICIENT,
            min_value_span=config.PUCT_MIN_VALUE_SPAN,
            c_visit=config.GUMBEL_C_VISIT,
            c_scale=config.GUMBEL_C_SCALE,
            gumbel_min_value_span=config.GUMBEL_MIN_VALUE_SPAN,
        )
        self.scratch = Scratch(
            q=np.zeros((g, a), dtype=np.float64),
            visits=np.zeros((g, a), dtype=np.int32),
            policy=np.zeros((g, a), dtype=np.float64),
            legal=np.zeros((g, a), dtype=np.bool_),
            outcome=np.zeros((g, slots), dtype=np.int8),
        )
        depth = 3 * config.MAX_SEARCH_DEPTH + 2
        self.paths = Paths(
            node=np.zeros((g, depth), dtype=np.int32),
            edge=np.zeros((g, depth), dtype=np.int32),
            length=np.zeros(g, dtype=np.int32),
            leaf=np.zeros(g, dtype=np.int32),
            leaf_new=np.zeros(g, dtype=np.bool_),
        )
        self.sampler = self._chance_sampler(capacity)
        self.logits = np.zeros((g, a), dtype=np.float32)
        self.values = np.zeros(g, dtype=np.float32)
        self.new_index = np.zeros((g, capacity), dtype=np.int32)

    def _chance_sampler(self, capacity: int) -> ChanceSampler:
        """The configured chance rule; widening keeps at most what `capacity` visits allow."""
        cfg = self.config
        widening = cfg.CHANCE_WIDENING if cfg.CHANCE_SAMPLING == "widening" else 0.0
        most = cfg.MAX_CHANCE_OUTCOMES
        if widening > 0.0:
            most = min(
                self.tables.core.action_slot.shape[0],
                widened_outcomes(widening, capacity, capacity),
            )
        return chance_sampler(
            self.num_games, cfg.MAX_SEARCH_DEPTH + 1, self.tree.node_shapes.shape[2], widening,
            most, widening > 0.0 and cfg.COMMON_REFILLS,
        )  # fmt: skip

    def reset(self) -> None:
        """Forget every tree."""
        self.tree.node_count[:] = 0

    def reevaluate_roots(self) -> None:
        """Keep every tree, but have the next search evaluate its root again (new weights:
        the root's prior and value come from the new network, deeper nodes keep theirs)."""
        self.tree.node_evaluated[:, 0] = False

    def search(
        self,
        occ: npt.NDArray[np.uint64],
        shapes: npt.NDArray[np.int8],
        evaluator: Evaluator,
        active: npt.NDArray[np.bool_] | None = None,
        move_numbers: npt.NDArray[np.int64] | None = None,
        simulations: npt.NDArray[np.int32] | None = None,
    ) -> SearchOutput:
        """Search from the positions `(occ[g], shapes[g])` of the active games, game `g` with
        `simulations[g]` simulations (at most `NUM_SIMULATIONS`, the default)."""
        cfg, tree, t = self.config, self.tree, self.tables.core
        active = np.ones(self.num_games, dtype=np.bool_) if active is None else active.copy()
        budgets = self._budgets(simulations)
        self.sampler.drawn[:] = 0
        prepare_roots(t, tree, occ, shapes, active)
        active &= ~tree.node_terminal[:, 0]
        self._evaluate_roots(evaluator, active)
        roots = self._root_state(budgets)
        self.policy.prepare(tree, roots, active)
        expansions = np.zeros(self.num_games, dtype=np.int32)
        deepest = np.zeros(self.num_games, dtype=np.int32)
        for simulation in range(int(budgets.max())):
            running = active & (simulation < budgets)
            _simulate(
                t, tree, self.params, roots, self.scratch, self.paths, self.sampler, self.rng,
                running, simulation, cfg.MAX_SEARCH_DEPTH, expansions, deepest,
            )  # fmt: skip
            leaf = self.paths.leaf
            needs = np.flatnonzero(self.paths.leaf_new & (leaf >= 0))
            self._evaluate(evaluator, needs[~tree.node_terminal[needs, leaf[needs]]])
            self._backup()
        stats = root_statistics(tree, self.params, active)
        moves = np.zeros(self.num_games, dtype=np.int64) if move_numbers is None else move_numbers
        searched = SearchedRoots(tree, roots, stats, active, moves)
        actions, targets = self.policy.decide(searched)
        visits = tree.node_visits[:, 0]
        root_values = np.where(
            active & (visits > 0), tree.node_value_sum[:, 0] / np.maximum(visits, 1), 0.0
        ).astype(np.float32)
        return SearchOutput(
            actions=actions,
            policy_targets=targets,
            root_values=root_values,
            root_visits=stats.visits,
            root_q=self._root_q(),
            expansions=expansions,
            max_depth=deepest,
            tree_nodes=tree.node_count.copy(),
        )

    def _evaluate(self, evaluator: Evaluator, games: npt.NDArray[np.intp]) -> None:
        """Run the evaluator on each of `games`' leaf in one batch."""
        if games.size == 0:
            return
        nodes = self.paths.leaf[games]
        logits, values = evaluator(
            self.tree.node_occ[games, nodes], self.tree.node_shapes[games, nodes]
        )
        self.logits[games] = logits
        self.values[games] = values

    def _evaluate_roots(self, evaluator: Evaluator, active: npt.NDArray[np.bool_]) -> None:
        """Evaluate (and count one visit for) every active root not evaluated yet."""
        unevaluated = np.flatnonzero(active & ~self.tree.node_evaluated[:, 0])
        if unevaluated.size == 0:
            return
        paths = self.paths
        paths.leaf[:] = -1
        paths.leaf[unevaluated] = 0
        paths.leaf_new[:] = False
        paths.leaf_new[unevaluated] = True
        paths.length[:] = 1
        paths.node[:, 0] = 0
        self._evaluate(evaluator, unevaluated)
        self._backup()

    def _budgets(self, simulations: npt.NDArray[np.int32] | None) -> npt.NDArray[np.int32]:
        """Each game's simulations: `NUM_SIMULATIONS`, or the given ones within 1 and it."""
        most = self.config.NUM_SIMULATIONS
        if simulations is None:
            return np.full(self.num_games, most, dtype=np.int32)
        if (
            simulations.shape != (self.num_games,)
            or not ((simulations >= 1) & (simulations <= most)).all()
        ):
            raise ValueError(f"simulations must be {self.num_games} budgets from 1 to {most}")
        return simulations.astype(np.int32)

    def _root_state(self, budgets: npt.NDArray[np.int32]) -> RootState:
        """Fresh root inputs: each game's halving schedule for its legal actions and budget."""
        cfg, g, a = self.config, self.num_games, self.tables.core.action_slot.shape[0]
        most = cfg.GUMBEL_MAX_CONSIDERED_ACTIONS
        considered = np.minimum(most, (self.tree.children_logit[:, 0] != -np.inf).sum(axis=1))
        schedule = np.zeros((g, cfg.NUM_SIMULATIONS), dtype=np.int32)
        for budget in np.unique(budgets).tolist():
            games = budgets == budget
            schedule[games, :budget] = considered_visit_table(most, budget)[considered[games]]
        return RootState(
            gumbel=np.zeros((g, a), dtype=np.float32),
            prior=np.zeros((g, a), dtype=np.float32),
            search_visits=np.zeros((g, a), dtype=np.int32),
            visit_schedule=schedule,
        )

    def _backup(self) -> None:
        _backup(
            self.tables.core, self.tree, self.paths, self.params, self.logits,
            self.values, self.scratch.legal,
        )  # fmt: skip

    def _root_q(self) -> npt.NDArray[np.float32]:
        """Each root action's return estimate, NaN where unvisited."""
        tree = self.tree
        child = tree.children_index[:, 0, :]
        rows = np.arange(self.num_games)[:, None]
        safe = np.maximum(child, 0)
        visits = np.where(child >= 0, tree.node_visits[rows, safe], 0)
        value = tree.node_value_sum[rows, safe] / np.maximum(visits, 1)
        discount = np.where(tree.node_kind[rows, safe] == CHANCE, 1.0, self.params.discount)
        q = tree.children_reward[:, 0, :] + discount * value
        return np.where(visits > 0, q, np.nan).astype(np.float32)

    def advance(self, actions: npt.NDArray[np.int64], shapes_after: npt.NDArray[np.int8]) -> None:
        """After the real moves: keep each game's matching subtree (or drop the tree)."""
        if self.config.REUSE_TREE:
            keep_played_subtrees(self.tree, actions, shapes_after, self.new_index)
        else:
            self.reset()
