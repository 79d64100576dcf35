"""Batched MCTS: every round selects one leaf in every game's tree and evaluates all leaves
in one network call.

Chance nodes stand where a placement empties every slot: each visit samples a refill from
the search's own random streams (never the real game's), keeps up to
`max_chance_outcomes` distinct outcomes as children, and revisits a kept one uniformly at
random once full, so a chance node's value is a sample mean over refills.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.config import EnvConfig, MCTSConfig
from alphatriangle.game.core import has_legal_move, place, write_legal_mask
from alphatriangle.game.geometry import CoreTables, engine_tables
from alphatriangle.game.rng import draw_below, fresh_seed, seed_states
from alphatriangle.mcts.action_selection import (
    gumbel_interior_action,
    gumbel_root_action,
    puct_action,
)
from alphatriangle.mcts.qtransforms import completed_q_by_mix_value, q_by_parent_and_siblings
from alphatriangle.mcts.seq_halving import considered_visit_table
from alphatriangle.mcts.tree import CHANCE, DECISION, Tree, init_node, keep_subtree

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


@njit(cache=True)
def _write_evaluation(
    t: CoreTables,
    node_occ: np.ndarray,
    node_shapes: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    children_logit: np.ndarray,
    legal: np.ndarray,
    g: int,
    n: int,
    logits: np.ndarray,
    value: float,
) -> None:
    """Store the network's value and log-softmax prior over legal actions at node `n`."""
    legal[g, :] = False
    write_legal_mask(
        t.anchor_words, t.cell_offsets, t.shape_size, t.cells, node_occ[g, n, 0],
        node_occ[g, n, 1], node_shapes[g], n, legal, g,
    )  # fmt: skip
    top = -np.inf
    for a in range(logits.shape[0]):
        if legal[g, a]:
            top = max(top, logits[a])
    norm = 0.0
    for a in range(logits.shape[0]):
        if legal[g, a]:
            norm += np.exp(logits[a] - top)
    log_norm = top + np.log(norm)
    for a in range(logits.shape[0]):
        children_logit[g, n, a] = logits[a] - log_norm if legal[g, a] else -np.inf
    node_raw_value[g, n] = value
    node_evaluated[g, n] = True


@njit(cache=True)
def _prepare_roots(
    t: CoreTables,
    occ: np.ndarray,
    shapes: np.ndarray,
    active: np.ndarray,
    node_occ: np.ndarray,
    node_shapes: np.ndarray,
    node_kind: np.ndarray,
    node_terminal: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    node_num_children: np.ndarray,
    children_index: np.ndarray,
    node_count: np.ndarray,
) -> None:
    """Start a fresh tree wherever the kept root is not the position to search."""
    for g in range(occ.shape[0]):
        if not active[g]:
            continue
        same = node_count[g] > 0 and node_kind[g, 0] == DECISION
        same = same and node_occ[g, 0, 0] == occ[g, 0] and node_occ[g, 0, 1] == occ[g, 1]
        for s in range(shapes.shape[1]):
            same = same and node_shapes[g, 0, s] == shapes[g, s]
        if same:
            continue
        node_occ[g, 0, 0] = occ[g, 0]
        node_occ[g, 0, 1] = occ[g, 1]
        node_shapes[g, 0, :] = shapes[g]
        terminal = not has_legal_move(
            t.anchor_words, t.cell_offsets, t.shape_size, occ[g, 0], occ[g, 1], shapes, g
        )
        init_node(
            node_kind, node_terminal, node_visits, node_value_sum, node_raw_value,
            node_evaluated, node_num_children, children_index, g, 0, DECISION, terminal,
        )  # fmt: skip
        node_count[g] = 1


@njit(cache=True)
def _select_and_expand(
    t: CoreTables,
    node_occ: np.ndarray,
    node_shapes: np.ndarray,
    node_kind: np.ndarray,
    node_terminal: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    node_num_children: np.ndarray,
    children_index: np.ndarray,
    children_logit: np.ndarray,
    children_reward: np.ndarray,
    node_count: np.ndarray,
    root_gumbel: np.ndarray,
    root_prior: np.ndarray,
    root_search_visits: np.ndarray,
    num_considered: np.ndarray,
    visit_table: np.ndarray,
    use_gumbel: bool,
    c_puct: float,
    min_span: float,
    c_visit: float,
    c_scale: float,
    discount: float,
    max_depth: int,
    max_outcomes: int,
    simulation: int,
    active: np.ndarray,
    rng: np.ndarray,
    q_scratch: np.ndarray,
    visit_scratch: np.ndarray,
    prior_scratch: np.ndarray,
    outcome: np.ndarray,
    path_node: np.ndarray,
    path_edge: np.ndarray,
    path_len: np.ndarray,
    leaf: np.ndarray,
    leaf_new: np.ndarray,
    expansions: np.ndarray,
    deepest: np.ndarray,
) -> None:
    """Walk every active tree from its root to a leaf, expanding at most one new node
    (plus the chance node before it, when a placement empties every slot)."""
    capacity = node_visits.shape[1]
    n_slots = node_shapes.shape[2]
    n_templates = t.draw_ids.shape[0]
    for g in range(node_count.shape[0]):
        leaf[g] = -1
        leaf_new[g] = False
        if not active[g]:
            continue
        n = 0
        depth = 0
        length = 1
        path_node[g, 0] = 0
        while True:
            if node_terminal[g, n]:
                break
            if node_kind[g, n] == CHANCE:
                for s in range(n_slots):
                    outcome[g, s] = t.draw_ids[draw_below(rng, g, n_templates)]
                found = -1
                for k in range(node_num_children[g, n]):
                    child = children_index[g, n, k]
                    same = True
                    for s in range(n_slots):
                        same = same and node_shapes[g, child, s] == outcome[g, s]
                    if same:
                        found = k
                        break
                count = node_num_children[g, n]
                if found < 0 and count < max_outcomes and node_count[g] < capacity:
                    c = node_count[g]
                    node_count[g] += 1
                    node_occ[g, c, 0] = node_occ[g, n, 0]
                    node_occ[g, c, 1] = node_occ[g, n, 1]
                    node_shapes[g, c, :] = outcome[g]
                    terminal = not has_legal_move(
                        t.anchor_words, t.cell_offsets, t.shape_size, node_occ[g, c, 0],
                        node_occ[g, c, 1], outcome, g,
                    )  # fmt: skip
                    init_node(
                        node_kind, node_terminal, node_visits, node_value_sum, node_raw_value,
                        node_evaluated, node_num_children, children_index, g, c, DECISION,
                        terminal,
                    )  # fmt: skip
                    children_index[g, n, count] = c
                    children_reward[g, n, count] = t.rewards[3] if terminal else t.rewards[2]
                    node_num_children[g, n] = count + 1
                    path_edge[g, length - 1] = count
                    path_node[g, length] = c
                    length += 1
                    n = c
                    leaf_new[g] = True
                    expansions[g] += 1
                    break
                if found < 0:
                    if count == 0:
                        break
                    found = draw_below(rng, g, count)
                path_edge[g, length - 1] = found
                n = children_index[g, n, found]
                path_node[g, length] = n
                length += 1
                continue
            if depth >= max_depth:
                break
            if use_gumbel:
                total = completed_q_by_mix_value(
                    children_index, children_logit, children_reward, node_kind, node_visits,
                    node_value_sum, node_raw_value, discount, c_visit, c_scale, g, n,
                    q_scratch[g], visit_scratch[g],
                )  # fmt: skip
                if n == 0:
                    target = visit_table[num_considered[g], simulation]
                    a = gumbel_root_action(
                        children_logit[g, 0], root_gumbel[g], q_scratch[g],
                        root_search_visits[g], target,
                    )  # fmt: skip
                else:
                    a = gumbel_interior_action(
                        children_logit[g, n], q_scratch[g], visit_scratch[g], total
                    )
            else:
                q_by_parent_and_siblings(
                    children_index, children_logit, children_reward, node_kind, node_visits,
                    node_value_sum, discount, min_span, g, n, q_scratch[g], visit_scratch[g],
                )  # fmt: skip
                if n == 0:
                    prior_scratch[g, :] = root_prior[g]
                else:
                    for b in range(prior_scratch.shape[1]):
                        prior_scratch[g, b] = np.exp(children_logit[g, n, b])
                a = puct_action(
                    children_logit[g, n], prior_scratch[g], q_scratch[g], visit_scratch[g],
                    node_visits[g, n], c_puct,
                )  # fmt: skip
            if n == 0:
                root_search_visits[g, a] += 1
            child = children_index[g, n, a]
            if child >= 0:
                path_edge[g, length - 1] = a
                path_node[g, length] = child
                length += 1
                n = child
                depth += 1
                continue
            slot = t.action_slot[a]
            shape = node_shapes[g, n, slot]
            lo, hi, cleared, _ = place(
                t.place_bits, t.touch_count, t.touch_lines, t.line_bits, node_occ[g, n, 0],
                node_occ[g, n, 1], shape, t.action_anchor[a],
            )  # fmt: skip
            placed_reward = t.shape_size[shape] * t.rewards[0] + cleared * t.rewards[1]
            refill = True
            for s in range(n_slots):
                if s != slot and node_shapes[g, n, s] >= 0:
                    refill = False
            if node_count[g] + (2 if refill else 1) > capacity:
                break
            c = node_count[g]
            node_count[g] += 1
            node_occ[g, c, 0] = lo
            node_occ[g, c, 1] = hi
            node_shapes[g, c, :] = node_shapes[g, n]
            node_shapes[g, c, slot] = -1
            children_index[g, n, a] = c
            path_edge[g, length - 1] = a
            path_node[g, length] = c
            length += 1
            if refill:
                init_node(
                    node_kind, node_terminal, node_visits, node_value_sum, node_raw_value,
                    node_evaluated, node_num_children, children_index, g, c, CHANCE, False,
                )  # fmt: skip
                children_reward[g, n, a] = placed_reward
                n = c
                depth += 1
                continue
            terminal = not has_legal_move(
                t.anchor_words, t.cell_offsets, t.shape_size, lo, hi, node_shapes[g], c
            )
            init_node(
                node_kind, node_terminal, node_visits, node_value_sum, node_raw_value,
                node_evaluated, node_num_children, children_index, g, c, DECISION, terminal,
            )  # fmt: skip
            children_reward[g, n, a] = placed_reward + (t.rewards[3] if terminal else t.rewards[2])
            n = c
            depth += 1
            leaf_new[g] = True
            expansions[g] += 1
            break
        leaf[g] = n
        path_len[g] = length
        deepest[g] = max(deepest[g], depth)


@njit(cache=True)
def _backup(
    t: CoreTables,
    node_occ: np.ndarray,
    node_shapes: np.ndarray,
    node_kind: np.ndarray,
    node_terminal: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    children_logit: np.ndarray,
    children_reward: np.ndarray,
    discount: float,
    leaf: np.ndarray,
    leaf_new: np.ndarray,
    logits: np.ndarray,
    values: np.ndarray,
    legal: np.ndarray,
    path_node: np.ndarray,
    path_edge: np.ndarray,
    path_len: np.ndarray,
) -> None:
    """Store new leaves' evaluations and add each leaf's discounted return up its path."""
    for g in range(leaf.shape[0]):
        n = leaf[g]
        if n < 0:
            continue
        if node_terminal[g, n]:
            value = 0.0
        elif leaf_new[g]:
            _write_evaluation(
                t, node_occ, node_shapes, node_raw_value, node_evaluated, children_logit,
                legal, g, n, logits[g], values[g],
            )  # fmt: skip
            value = float(values[g])
        elif node_kind[g, n] == CHANCE:
            value = node_value_sum[g, n] / max(1, node_visits[g, n])
        else:
            value = float(node_raw_value[g, n])
        for i in range(path_len[g] - 1, -1, -1):
            node = path_node[g, i]
            node_visits[g, node] += 1
            node_value_sum[g, node] += value
            if i > 0:
                parent = path_node[g, i - 1]
                disc = 1.0 if node_kind[g, node] == CHANCE else discount
                value = children_reward[g, parent, path_edge[g, i - 1]] + disc * value


@njit(cache=True)
def _root_statistics(
    children_index: np.ndarray,
    children_logit: np.ndarray,
    children_reward: np.ndarray,
    node_kind: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    discount: float,
    c_visit: float,
    c_scale: float,
    active: np.ndarray,
    sigma_q: np.ndarray,
    visits: np.ndarray,
    improved: np.ndarray,
) -> None:
    """Per active game: sigma(completed Q), visits and the improved policy at the root."""
    for g in range(active.shape[0]):
        if not active[g]:
            continue
        completed_q_by_mix_value(
            children_index, children_logit, children_reward, node_kind, node_visits,
            node_value_sum, node_raw_value, discount, c_visit, c_scale, g, 0, sigma_q[g],
            visits[g],
        )  # fmt: skip
        top = -np.inf
        for a in range(sigma_q.shape[1]):
            if children_logit[g, 0, a] != -np.inf:
                top = max(top, children_logit[g, 0, a] + sigma_q[g, a])
        norm = 0.0
        for a in range(sigma_q.shape[1]):
            if children_logit[g, 0, a] != -np.inf:
                improved[g, a] = np.exp(children_logit[g, 0, a] + sigma_q[g, a] - top)
                norm += improved[g, a]
        for a in range(sigma_q.shape[1]):
            improved[g, a] /= norm


@njit(cache=True)
def _advance_trees(
    node_occ: np.ndarray,
    node_shapes: np.ndarray,
    node_kind: np.ndarray,
    node_terminal: np.ndarray,
    node_visits: np.ndarray,
    node_value_sum: np.ndarray,
    node_raw_value: np.ndarray,
    node_evaluated: np.ndarray,
    node_num_children: np.ndarray,
    children_index: np.ndarray,
    children_logit: np.ndarray,
    children_reward: np.ndarray,
    node_count: np.ndarray,
    actions: np.ndarray,
    shapes_after: np.ndarray,
    new_index: np.ndarray,
) -> None:
    """Make the subtree of the move played the new root, only if it matches the real
    position (after a refill: the outcome with the real shapes); otherwise drop the tree."""
    for g in range(actions.shape[0]):
        a = actions[g]
        new_root = -1
        if a >= 0 and node_count[g] > 0:
            child = children_index[g, 0, a]
            if child >= 0 and node_kind[g, child] == CHANCE:
                match = -1
                for k in range(node_num_children[g, child]):
                    candidate = children_index[g, child, k]
                    same = True
                    for s in range(shapes_after.shape[1]):
                        same = same and node_shapes[g, candidate, s] == shapes_after[g, s]
                    if same:
                        match = candidate
                child = match
            new_root = child
        if new_root < 0:
            node_count[g] = 0
            continue
        keep_subtree(
            node_occ, node_shapes, node_kind, node_terminal, node_visits, node_value_sum,
            node_raw_value, node_evaluated, node_num_children, children_index, children_logit,
            children_reward, node_count, g, new_root, new_index[g],
        )  # fmt: skip


class BatchedMCTS:
    """Searches for a batch of games at once, keeping each game's tree between moves."""

    def __init__(
        self,
        config: MCTSConfig,
        env_config: EnvConfig,
        num_games: int,
        seed: int | None = None,
    ) -> None:
        self.config = config
        self.tables = engine_tables(env_config)
        self.num_games = num_games
        self.num_actions = env_config.ACTION_DIM
        slots = env_config.NUM_SHAPE_SLOTS
        capacity = 3 * config.num_simulations + 2
        self.tree = Tree.allocate(num_games, capacity, self.num_actions, slots)
        base = fresh_seed() if seed is None else seed
        self.rng = seed_states([base * 7919 + g for g in range(num_games)])
        self.np_rng = np.random.default_rng(base)
        g, a = num_games, self.num_actions
        self.root_gumbel = np.zeros((g, a), dtype=np.float32)
        self.root_prior = np.zeros((g, a), dtype=np.float32)
        self.root_search_visits = np.zeros((g, a), dtype=np.int32)
        self.q_scratch = np.zeros((g, a), dtype=np.float64)
        self.visit_scratch = np.zeros((g, a), dtype=np.int32)
        self.prior_scratch = np.zeros((g, a), dtype=np.float32)
        self.legal_scratch = np.zeros((g, a), dtype=np.bool_)
        self.outcome = np.zeros((g, slots), dtype=np.int8)
        depth = config.max_search_depth + 2 * config.max_search_depth + 2
        self.path_node = np.zeros((g, depth), dtype=np.int32)
        self.path_edge = np.zeros((g, depth), dtype=np.int32)
        self.path_len = np.zeros(g, dtype=np.int32)
        self.leaf = np.zeros(g, dtype=np.int32)
        self.leaf_new = np.zeros(g, dtype=np.bool_)
        self.logits = np.zeros((g, a), dtype=np.float32)
        self.values = np.zeros(g, dtype=np.float32)
        self.new_index = np.zeros((g, capacity), dtype=np.int32)

    def reset(self) -> None:
        """Forget every tree."""
        self.tree.node_count[:] = 0

    def _evaluate(
        self, evaluator: Evaluator, games: npt.NDArray[np.intp], nodes: np.ndarray
    ) -> None:
        """Run the evaluator on node `nodes[g]` of each game in `games` (one batch)."""
        tr = self.tree
        logits, values = evaluator(
            tr.node_occ[games, nodes[games]], tr.node_shapes[games, nodes[games]]
        )
        self.logits[games] = logits
        self.values[games] = values

    def search(
        self,
        occ: npt.NDArray[np.uint64],
        shapes: npt.NDArray[np.int8],
        evaluator: Evaluator,
        active: npt.NDArray[np.bool_] | None = None,
        move_numbers: npt.NDArray[np.int64] | None = None,
    ) -> SearchOutput:
        """Search from the positions `(occ[g], shapes[g])` of the active games."""
        cfg, tr, t = self.config, self.tree, self.tables.core
        g_all = self.num_games
        active = np.ones(g_all, dtype=np.bool_) if active is None else active.copy()
        _prepare_roots(
            t, occ, shapes, active, tr.node_occ, tr.node_shapes, tr.node_kind, tr.node_terminal,
            tr.node_visits, tr.node_value_sum, tr.node_raw_value, tr.node_evaluated,
            tr.node_num_children, tr.children_index, tr.node_count,
        )  # fmt: skip
        active &= ~tr.node_terminal[:, 0]

        zero = np.zeros(g_all, dtype=np.int32)
        unevaluated = np.flatnonzero(active & ~tr.node_evaluated[:, 0])
        if unevaluated.size:
            self._evaluate(evaluator, unevaluated, zero)
            self.leaf[:] = -1
            self.leaf[unevaluated] = 0
            self.leaf_new[:] = False
            self.leaf_new[unevaluated] = True
            self.path_len[:] = 1
            self.path_node[:, 0] = 0
            self._backup()

        legal_counts = (tr.children_logit[:, 0] != -np.inf).sum(axis=1)
        num_considered = np.minimum(cfg.gumbel_max_considered_actions, legal_counts).astype(
            np.int32
        )
        table = considered_visit_table(cfg.gumbel_max_considered_actions, cfg.num_simulations)
        use_gumbel = cfg.root_selection == "gumbel"
        if use_gumbel:
            self.root_gumbel[:] = cfg.gumbel_scale * self.np_rng.gumbel(size=self.root_gumbel.shape)
        else:
            self._noisy_root_prior(active)
        self.root_search_visits[:] = 0
        expansions = np.zeros(g_all, dtype=np.int32)
        deepest = np.zeros(g_all, dtype=np.int32)
        for simulation in range(cfg.num_simulations):
            _select_and_expand(
                t, tr.node_occ, tr.node_shapes, tr.node_kind, tr.node_terminal, tr.node_visits,
                tr.node_value_sum, tr.node_raw_value, tr.node_evaluated, tr.node_num_children,
                tr.children_index, tr.children_logit, tr.children_reward, tr.node_count,
                self.root_gumbel, self.root_prior, self.root_search_visits, num_considered,
                table, use_gumbel, cfg.puct_coefficient, cfg.puct_min_value_span,
                cfg.gumbel_c_visit, cfg.gumbel_c_scale,
                cfg.discount, cfg.max_search_depth, cfg.max_chance_outcomes, simulation, active,
                self.rng, self.q_scratch, self.visit_scratch, self.prior_scratch, self.outcome,
                self.path_node, self.path_edge, self.path_len, self.leaf, self.leaf_new,
                expansions, deepest,
            )  # fmt: skip
            needs = np.flatnonzero(self.leaf_new & (self.leaf >= 0))
            needs = needs[~tr.node_terminal[needs, self.leaf[needs]]]
            if needs.size:
                self._evaluate(evaluator, needs, self.leaf)
            self._backup()
        return self._outputs(active, expansions, deepest, move_numbers)

    def _backup(self) -> None:
        tr = self.tree
        _backup(
            self.tables.core, tr.node_occ, tr.node_shapes, tr.node_kind, tr.node_terminal,
            tr.node_visits, tr.node_value_sum, tr.node_raw_value, tr.node_evaluated,
            tr.children_logit, tr.children_reward, self.config.discount, self.leaf,
            self.leaf_new, self.logits, self.values, self.legal_scratch, self.path_node,
            self.path_edge, self.path_len,
        )  # fmt: skip

    def _noisy_root_prior(self, active: npt.NDArray[np.bool_]) -> None:
        cfg = self.config
        logits = self.tree.children_logit[:, 0]
        prior = np.where(np.isfinite(logits), np.exp(logits), 0.0)
        for g in np.flatnonzero(active):
            legal = np.flatnonzero(prior[g] > 0)
            noise = self.np_rng.dirichlet([cfg.dirichlet_alpha] * legal.size)
            prior[g, legal] = (1 - cfg.dirichlet_epsilon) * prior[
                g, legal
            ] + cfg.dirichlet_epsilon * noise
        self.root_prior[:] = prior

    def _outputs(
        self,
        active: npt.NDArray[np.bool_],
        expansions: npt.NDArray[np.int32],
        deepest: npt.NDArray[np.int32],
        move_numbers: npt.NDArray[np.int64] | None,
    ) -> SearchOutput:
        cfg, tr = self.config, self.tree
        g_all, a_all = self.num_games, self.num_actions
        sigma_q = np.zeros((g_all, a_all), dtype=np.float64)
        visits = np.zeros((g_all, a_all), dtype=np.int32)
        improved = np.zeros((g_all, a_all), dtype=np.float64)
        _root_statistics(
            tr.children_index, tr.children_logit, tr.children_reward, tr.node_kind,
            tr.node_visits, tr.node_value_sum, tr.node_raw_value, cfg.discount,
            cfg.gumbel_c_visit, cfg.gumbel_c_scale, active, sigma_q, visits, improved,
        )  # fmt: skip
        legal = np.isfinite(tr.children_logit[:, 0])
        actions = np.full(g_all, -1, dtype=np.int64)
        targets = np.zeros((g_all, a_all), dtype=np.float32)
        root_values = np.zeros(g_all, dtype=np.float32)
        moves = np.zeros(g_all, dtype=np.int64) if move_numbers is None else move_numbers
        for g in np.flatnonzero(active):
            root_values[g] = tr.node_value(int(g), 0)
            if cfg.root_selection == "gumbel":
                targets[g] = improved[g]
                survivors = legal[g] & (
                    self.root_search_visits[g] == self.root_search_visits[g].max()
                )
                score = self.root_gumbel[g] + tr.children_logit[g, 0] + sigma_q[g]
                actions[g] = int(np.argmax(np.where(survivors, score, -np.inf)))
            else:
                counts = visits[g].astype(np.float64)
                targets[g] = counts / counts.sum()
                temperature = (
                    cfg.temperature_initial
                    if moves[g] < cfg.temperature_anneal_moves
                    else cfg.temperature_final
                )
                actions[g] = self._sample_with_temperature(counts, temperature)
        return SearchOutput(
            actions=actions,
            policy_targets=targets,
            root_values=root_values,
            root_visits=visits,
            root_q=self._root_q(),
            expansions=expansions,
            max_depth=deepest,
            tree_nodes=tr.node_count.copy(),
        )

    def _root_q(self) -> npt.NDArray[np.float32]:
        tr = self.tree
        child = tr.children_index[:, 0, :]
        rows = np.arange(self.num_games)[:, None]
        safe = np.maximum(child, 0)
        visits = np.where(child >= 0, tr.node_visits[rows, safe], 0)
        value = tr.node_value_sum[rows, safe] / np.maximum(visits, 1)
        discount = np.where(tr.node_kind[rows, safe] == CHANCE, 1.0, self.config.discount)
        q = tr.children_reward[:, 0, :] + discount * value
        return np.where(visits > 0, q, np.nan).astype(np.float32)

    def _sample_with_temperature(self, counts: npt.NDArray[np.float64], temperature: float) -> int:
        if temperature <= 1e-3:
            return int(np.argmax(counts))
        weights = np.where(counts > 0, counts / counts.max(), 0.0) ** (1.0 / temperature)
        return int(self.np_rng.choice(counts.size, p=weights / weights.sum()))

    def advance(self, actions: npt.NDArray[np.int64], shapes_after: npt.NDArray[np.int8]) -> None:
        """After the real moves: keep each game's matching subtree (or drop the tree)."""
        if not self.config.reuse_tree:
            self.reset()
            return
        tr = self.tree
        _advance_trees(
            tr.node_occ, tr.node_shapes, tr.node_kind, tr.node_terminal, tr.node_visits,
            tr.node_value_sum, tr.node_raw_value, tr.node_evaluated, tr.node_num_children,
            tr.children_index, tr.children_logit, tr.children_reward, tr.node_count,
            actions, shapes_after, self.new_index,
        )  # fmt: skip
