"""Search building blocks on hand-built trees, against values computed by hand."""

import math

import numpy as np
import pytest

from alphatriangle.config import EnvConfig, MCTSConfig
from alphatriangle.game.geometry import engine_tables
from alphatriangle.game.rng import seed_states
from alphatriangle.mcts.action_selection import (
    RootState,
    gumbel_interior_action,
    gumbel_root_action,
    puct_action,
)
from alphatriangle.mcts.chance import chance_sampler, chance_step, widened_outcomes
from alphatriangle.mcts.expansion import expand
from alphatriangle.mcts.policies import GumbelRoot, PuctRoot, RootStatistics, SearchedRoots
from alphatriangle.mcts.qtransforms import completed_q_by_mix_value, q_by_parent_and_siblings
from alphatriangle.mcts.seq_halving import considered_visit_sequence, considered_visit_table
from alphatriangle.mcts.tree import CHANCE, DECISION, Tree, allocate_tree, keep_subtree
from alphatriangle.utils.softmax import masked_log_softmax, masked_softmax

NEG_INF = -np.inf


def _root_with_two_visited_children() -> Tree:
    """Root (node 0) with four actions: a0 leads to a decision node (2 visits, value sum 3,
    reward 0.5), a1 to a chance node (1 visit, value sum 2, reward 1), a2 is legal and
    unvisited, a3 illegal. Priors 0.5, 0.25, 0.25; the network's root value is 1."""
    tree = allocate_tree(games=1, capacity=4, num_actions=4, num_slots=3)
    tree.node_count[0] = 3
    tree.node_visits[0, :3] = [4, 2, 1]
    tree.node_value_sum[0, :3] = [8.0, 3.0, 2.0]
    tree.node_kind[0, :3] = [DECISION, DECISION, CHANCE]
    tree.node_raw_value[0, 0] = 1.0
    tree.children_index[0, 0, :2] = [1, 2]
    tree.children_reward[0, 0, :2] = [0.5, 1.0]
    tree.children_logit[0, 0] = [math.log(0.5), math.log(0.25), math.log(0.25), NEG_INF]
    return tree


def test_completed_q_mixes_the_value_into_unvisited_actions_and_rescales() -> None:
    tree = _root_with_two_visited_children()
    q = np.zeros(4)
    visits = np.zeros(4, dtype=np.int32)
    total = completed_q_by_mix_value(tree, 0.9, 50.0, 0.1, 0.0, 0, 0, q, visits)
    # Q(a0) = 0.5 + 0.9 * 3/2 = 1.85; Q(a1) = 1 + 1.0 * 2/1 = 3 (no discount into chance).
    # mixed = (1 + 3 * (0.5 * 1.85 + 0.25 * 3) / 0.75) / (3 + 1) = 1.925 for a2.
    # sigma = (q - 1.85) * (50 + 2) * 0.1 / (3 - 1.85).
    scale = 5.2 / 1.15
    assert total == 3
    assert visits[:3].tolist() == [2, 1, 0]
    assert q[:3] == pytest.approx([0.0, 1.15 * scale, 0.075 * scale])


def test_completed_q_divides_by_at_least_the_minimum_span() -> None:
    tree = _root_with_two_visited_children()
    q = np.zeros(4)
    visits = np.zeros(4, dtype=np.int32)
    # The same Qs as above (span 1.15): a floor below the span changes nothing.
    completed_q_by_mix_value(tree, 0.9, 50.0, 0.1, 1.0, 0, 0, q, visits)
    assert q[:3] == pytest.approx([0.0, 5.2, 0.075 * 5.2 / 1.15])
    # A floor of 4 divides by 4: sigma = (q - 1.85) * 5.2 / 4.
    completed_q_by_mix_value(tree, 0.9, 50.0, 0.1, 4.0, 0, 0, q, visits)
    assert q[:3] == pytest.approx([0.0, 1.15 * 1.3, 0.075 * 1.3])


def test_puct_q_is_normalised_with_the_parent_value_over_a_minimum_span() -> None:
    tree = _root_with_two_visited_children()
    q = np.zeros(4)
    visits = np.zeros(4, dtype=np.int32)
    # parent 8/4 = 2 lies inside [1.85, 3]: span 1.15; unvisited a2 gets 0.
    q_by_parent_and_siblings(tree, 0.9, 0.5, 0, 0, q, visits)
    assert q[:3] == pytest.approx([0.0, 1.0, 0.0])
    q_by_parent_and_siblings(tree, 0.9, 2.0, 0, 0, q, visits)
    assert q[:3] == pytest.approx([0.0, 1.15 / 2.0, 0.0])


def test_puct_action_adds_the_exploration_bonus() -> None:
    logits = np.array([0.0, 0.0, 0.0, NEG_INF])
    prior = np.array([0.5, 0.3, 0.2, 0.0])
    q = np.array([0.1, 0.5, 0.0, 9.0])
    visits = np.array([2, 1, 0, 0], dtype=np.int32)
    # 0.1 + 1.25*0.5*sqrt(3)/3 = 0.461; 0.5 + 1.25*0.3*sqrt(3)/2 = 0.825; 1.25*0.2*sqrt(3) = 0.433
    assert puct_action(logits, prior, q, visits, 3, 1.25) == 1
    # With c = 20 the prior over visits dominates: 5.87, 5.70, 6.93.
    assert puct_action(logits, prior, q, visits, 3, 20.0) == 2


def test_gumbel_interior_action_follows_the_improved_policy_minus_the_visit_share() -> None:
    logits = np.log(np.array([0.5, 0.25, 0.25, 1.0]))
    logits[3] = NEG_INF
    sigma_q = np.array([0.0, math.log(2.0), 0.0, 5.0])
    visits = np.array([1, 2, 0, 0], dtype=np.int32)
    policy = np.zeros(4)
    # improved policy ~ [0.5, 0.5, 0.25] -> [0.4, 0.4, 0.2]; minus visits / (1 + 3):
    # 0.15, -0.1, 0.2.
    assert gumbel_interior_action(logits, sigma_q, visits, 3, policy) == 2
    assert policy == pytest.approx([0.4, 0.4, 0.2, 0.0])


def test_gumbel_root_action_picks_among_actions_due_a_visit() -> None:
    logits = np.array([0.0, 0.0, 0.0, NEG_INF])
    gumbel = np.array([0.2, 0.0, 1.5, 9.0])
    sigma_q = np.array([0.0, 0.8, 0.0, 0.0])
    search_visits = np.array([1, 1, 0, 0], dtype=np.int32)
    # Scores 0.2, 0.8, 1.5 (the illegal a3 never counts); due one visit: a0 or a1 -> a1.
    assert gumbel_root_action(logits, gumbel, sigma_q, search_visits, 1) == 1
    # Nobody has 2 visits: the best legal action of all.
    assert gumbel_root_action(logits, gumbel, sigma_q, search_visits, 2) == 2


def test_sequential_halving_schedules() -> None:
    # m = 4, n = 16: two phases; 16 // (2 * 4) = 2 rounds of 4, then 16 // (2 * 2) = 4 of 2.
    assert considered_visit_sequence(4, 16) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # m = 2, n = 5: one phase of 5 // 2 = 2 rounds, then more rounds of the same two.
    assert considered_visit_sequence(2, 5) == [0, 0, 1, 1, 2]
    # m = 3, n = 4: ceil(log2 3) = 2 phases, one round of 3, then the best two.
    assert considered_visit_sequence(3, 4) == [0, 0, 0, 1]
    assert considered_visit_sequence(1, 3) == [0, 1, 2]
    table = considered_visit_table(3, 4)
    assert table.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3], [0, 0, 1, 1], [0, 0, 0, 1]]


def test_masked_softmax_and_log_softmax() -> None:
    scores = np.array([0.0, math.log(3.0), NEG_INF])
    probs = np.zeros(3)
    masked_softmax(scores, probs)
    assert probs == pytest.approx([0.25, 0.75, 0.0])
    logs = scores.astype(np.float32)
    masked_log_softmax(logs, logs)
    assert logs[:2] == pytest.approx([math.log(0.25), math.log(0.75)], rel=1e-6)
    assert logs[2] == NEG_INF


def test_keep_subtree_renumbers_the_kept_nodes_in_order() -> None:
    # 0 -a0-> 1 -a1-> 3, 0 -a2-> 2: keeping node 1 keeps 1 and 3 as 0 and 1.
    tree = allocate_tree(games=1, capacity=4, num_actions=3, num_slots=3)
    tree.node_count[0] = 4
    tree.children_index[0, 0, [0, 2]] = [1, 2]
    tree.children_index[0, 1, 1] = 3
    tree.node_visits[0, :4] = [9, 5, 3, 2]
    keep_subtree(tree, 0, 1, np.zeros(4, dtype=np.int32))
    assert tree.node_count[0] == 2
    assert tree.node_visits[0, :2].tolist() == [5, 2]
    assert tree.children_index[0, 0].tolist() == [-1, 1, -1]


def test_widening_keeps_outcomes_growing_with_the_square_root_of_visits() -> None:
    # ceil(2 * sqrt(v)): v = 0 -> 1 (at least one), 1 -> 2, 2 -> 3 (2.83), 4 -> 4, 16 -> 8.
    assert [widened_outcomes(2.0, v, 100) for v in (0, 1, 2, 4, 16)] == [1, 2, 3, 4, 8]
    assert widened_outcomes(2.0, 10_000, 12) == 12
    assert widened_outcomes(0.5, 9, 100) == 2


def _chance_tree(visits: list[int]) -> Tree:
    """Node 0 (decision) -a0-> node 1 (chance, empty board) with outcomes 2.. holding hands
    [k, k, k] and the given visits; node 1 has their sum."""
    tree = allocate_tree(games=1, capacity=8, num_actions=4, num_slots=3)
    tree.node_kind[0, :2] = [DECISION, CHANCE]
    tree.children_index[0, 0, 0] = 1
    for k, v in enumerate(visits):
        tree.children_index[0, 1, k] = 2 + k
        tree.node_shapes[0, 2 + k] = k
        tree.node_visits[0, 2 + k] = v
    tree.node_num_children[0, 1] = len(visits)
    tree.node_visits[0, 1] = sum(visits)
    tree.node_count[0] = 2 + len(visits)
    return tree


def test_widening_revisits_the_least_visited_outcome_until_a_new_one_is_due() -> None:
    t = engine_tables(EnvConfig()).core
    hands = np.zeros((1, 3), dtype=np.int8)
    rng = seed_states([5])
    # 4 visits, widening 1: ceil(sqrt(4)) = 2 outcomes, both kept: the least visited (rank 1).
    sampler = chance_sampler(1, 4, 3, widening=1.0, most=8, common=True)
    tree = _chance_tree([3, 1])
    assert chance_step(t, tree, sampler, rng, hands, 0, 1, 0) == (1, 3, False)
    # 5 visits: ceil(sqrt(5)) = 3: a third outcome, row 2 of level 0's common refills.
    tree = _chance_tree([3, 2])
    rank, child, new = chance_step(t, tree, sampler, rng, hands, 0, 1, 0)
    assert (rank, child, new) == (2, 4, True)
    assert sampler.drawn[0].tolist() == [3, 0, 0, 0]
    assert tree.node_shapes[0, 4].tolist() == sampler.table[0, 0, 2].tolist()
    assert tree.node_num_children[0, 1] == 3 and tree.node_count[0] == 5
    assert not tree.node_terminal[0, 4]  # any refill fits an empty board


def test_common_refills_give_sibling_chance_nodes_the_same_outcomes() -> None:
    t = engine_tables(EnvConfig()).core
    hands = np.zeros((1, 3), dtype=np.int8)
    sampler = chance_sampler(1, 4, 3, widening=1.0, most=8, common=True)
    first, second = _chance_tree([]), _chance_tree([])
    rng = seed_states([5])
    for _ in range(3):
        for tree in (first, second):
            _, child, _ = chance_step(t, tree, sampler, rng, hands, 0, 1, 2)
            tree.node_visits[0, 1] += 1
            tree.node_visits[0, child] += 1
    # visits 0, 1, 2 allow 1, 1, 2 outcomes: two outcomes each, the same two hands.
    kept = [tree.node_shapes[0, 2:4].tolist() for tree in (first, second)]
    assert kept[0] == kept[1] == sampler.table[0, 2, :2].tolist()
    assert sampler.drawn[0].tolist() == [0, 0, 2, 0]


def _searched(
    logits: list[list[float]],
    search_visits: list[list[int]],
    gumbel: list[list[float]],
    sigma_q: list[list[float]],
    visits: list[list[int]],
    active: list[bool],
    move_numbers: list[int],
) -> SearchedRoots:
    """Searched roots of hand-set statistics (the tree holds only the root logits)."""
    games, actions = len(logits), len(logits[0])
    tree = allocate_tree(games=games, capacity=1, num_actions=actions, num_slots=3)
    tree.children_logit[:, 0] = logits
    roots = RootState(
        gumbel=np.array(gumbel, dtype=np.float32),
        prior=np.zeros((games, actions), dtype=np.float32),
        search_visits=np.array(search_visits, dtype=np.int32),
        visit_schedule=np.zeros((games, 1), dtype=np.int32),
    )
    improved = np.full((games, actions), 1.0 / actions)
    stats = RootStatistics(np.array(sigma_q), np.array(visits, dtype=np.int32), improved)
    return SearchedRoots(tree, roots, stats, np.array(active), np.array(move_numbers))


def test_gumbel_root_plays_the_best_scoring_action_among_the_most_searched() -> None:
    searched = _searched(
        logits=[[0.0, -1.0, 0.5, NEG_INF], [0.0, 0.0, 0.0, 0.0]],
        search_visits=[[4, 4, 2, 4], [1, 1, 1, 1]],
        gumbel=[[0.1, 2.0, 5.0, 9.0], [0.0, 0.0, 0.0, 0.0]],
        sigma_q=[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
        visits=[[4, 4, 2, 0], [1, 1, 1, 1]],
        active=[True, False],
        move_numbers=[0, 0],
    )
    actions, targets = GumbelRoot(MCTSConfig(), np.random.default_rng(0)).decide(searched)
    # Survivors (4 search visits, legal): a0 scores 0.1 + 0 + 1 = 1.1, a1 2 - 1 + 0 = 1.0;
    # a2 (5.5) was halved away and a3 is illegal. The inactive game plays nothing.
    assert actions.tolist() == [0, -1]
    assert targets[0].tolist() == pytest.approx([0.25] * 4) and not targets[1].any()


def test_puct_root_targets_the_visit_shares_and_samples_with_the_temperature() -> None:
    config = MCTSConfig(
        ROOT_SELECTION="puct", TEMPERATURE_INITIAL=0.5, TEMPERATURE_FINAL=0.0,
        TEMPERATURE_ANNEAL_MOVES=10,
    )  # fmt: skip
    searched = _searched(
        logits=[[0.0] * 4] * 2,
        search_visits=[[0] * 4] * 2,
        gumbel=[[0.0] * 4] * 2,
        sigma_q=[[0.0] * 4] * 2,
        visits=[[3, 1, 0, 0], [1, 3, 0, 0]],
        active=[True, True],
        move_numbers=[0, 10],
    )
    policy = PuctRoot(config, np.random.default_rng(1))
    actions, targets = policy.decide(searched)
    assert targets.tolist() == [[0.75, 0.25, 0.0, 0.0], [0.25, 0.75, 0.0, 0.0]]
    assert actions[1] == 1  # move 10: temperature 0, the most visited
    # Temperature 0.5 weighs visits squared: 9 : 1, so a0 with probability 0.9.
    draws = [policy.decide(searched)[0][0] for _ in range(4000)]
    assert set(draws) <= {0, 1}
    assert np.mean(np.array(draws) == 0) == pytest.approx(0.9, abs=0.02)


def test_expand_adds_a_decision_child_then_a_chance_child_when_the_hand_empties() -> None:
    tables = engine_tables(EnvConfig())
    t = tables.core
    cols = tables.config.COLS
    up, down = 2 * cols + 7, 2 * cols + 8  # (2, 7) points up, (2, 8) down: r + c odd, even
    assert t.place_ok[0, up] and t.place_ok[2, down]
    tree = allocate_tree(games=1, capacity=4, num_actions=tables.config.ACTION_DIM, num_slots=3)
    tree.node_count[0] = 1
    tree.node_shapes[0, 0] = [0, 2, -1]  # a single up triangle and a single down one
    hand = np.zeros(3, dtype=np.int8)

    first = expand(t, tree, hand, 0, 0, up)  # slot 0 at (2, 7), cell 37 of the low word
    assert first == 1 and tree.node_kind[0, 1] == DECISION and not tree.node_terminal[0, 1]
    assert tree.node_shapes[0, 1].tolist() == [-1, 2, -1]
    assert tree.children_index[0, 0, up] == 1
    # One placed triangle (0.01) and a move still possible (0.005); no line is complete.
    assert tree.children_reward[0, 0, up] == pytest.approx(0.015)
    assert int(tree.node_occ[0, 1, 0]) == 1 << up

    action = t.cells + down  # slot 1 at (2, 8): the hand is empty, a refill follows
    second = expand(t, tree, hand, 0, 1, action)
    assert second == 2 and tree.node_kind[0, 2] == CHANCE
    assert tree.node_shapes[0, 2].tolist() == [-1, -1, -1]
    assert tree.children_reward[0, 1, action] == pytest.approx(0.01)  # the refill's part later
    assert int(tree.node_occ[0, 2, 0]) == (1 << up) | (1 << down)
    # A refill's child needs two nodes (the chance node and its first outcome): 3 + 2 > 4.
    assert expand(t, tree, hand, 0, 1, t.cells + 2 * cols + 10) == -1
