"""Search correctness: bandits, chance nodes, no peeking, tree reuse, legality, backups."""

import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from alphatriangle.config import EnvConfig, MCTSConfig
from alphatriangle.game import DRAW_TEMPLATE_IDS, GameBatch, GameState
from alphatriangle.game.geometry import engine_tables
from alphatriangle.mcts import BatchedMCTS, Evaluator, SearchOutput, Tree
from alphatriangle.mcts.tree import CHANCE, node_value

ENV = EnvConfig()
A = ENV.ACTION_DIM
TABLES = engine_tables(ENV)
Arrays = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]


def flat_evaluator(occ: npt.NDArray[np.uint64], shapes: npt.NDArray[np.int8]) -> Arrays:
    """Uniform prior and zero value: the search sees only rewards."""
    return np.zeros((occ.shape[0], A), np.float32), np.zeros(occ.shape[0], np.float32)


def _batch_of(states: list[GameState]) -> GameBatch:
    batch = GameBatch.empty(len(states), seeds=list(range(len(states))))
    for g, state in enumerate(states):
        batch.occ[g] = state.batch.occ[0]
        batch.shapes[g] = state.batch.shapes[0]
    batch.refresh_done()
    return batch


def _bandit() -> tuple[GameState, int]:
    """Row 0 full but for the down cell (0, 4) and one shape, a single down triangle:
    placing it there clears the line (reward ~4.5); anywhere else earns ~0.02, and the
    chance to clear is gone."""
    row0 = [(0, c) for c in range(3, 12) if c != 4]
    state = GameState.from_snapshot(row0, [2, None, None])
    return state, state.encode_action(0, 0, 4)


def _search(
    config: MCTSConfig,
    states: list[GameState],
    evaluator: Evaluator = flat_evaluator,
    seed: int = 0,
) -> tuple[BatchedMCTS, SearchOutput]:
    batch = _batch_of(states)
    search = BatchedMCTS(config, ENV, len(states), seed=seed)
    return search, search.search(batch.occ, batch.shapes, evaluator)


@pytest.mark.parametrize("root", ["gumbel", "puct"])
def test_more_simulations_find_the_best_arm(root: str) -> None:
    state, best = _bandit()
    bad = min(state.valid_actions() - {best})

    def misleading(occ: npt.NDArray[np.uint64], shapes: npt.NDArray[np.int8]) -> Arrays:
        logits, values = flat_evaluator(occ, shapes)
        logits[:, bad] = 4.0
        return logits, values

    found = []
    for sims in (1, 200):
        config = MCTSConfig(
            NUM_SIMULATIONS=sims,
            ROOT_SELECTION=root,
            GUMBEL_SCALE=0.0,
            DIRICHLET_EPSILON=0.0,
            TEMPERATURE_INITIAL=0.0,
            TEMPERATURE_FINAL=0.0,
        )
        _, out = _search(config, [state] * 4, misleading)
        found.append(float((out.actions == best).mean()))
        prior = np.exp(4.0 * (np.arange(A) == bad))
        prior = prior * state.valid_action_mask() / (prior * state.valid_action_mask()).sum()
        if sims == 200:
            assert (out.policy_targets[:, best] > prior[best]).all()
            assert (out.policy_targets[:, best] > out.policy_targets[:, bad]).all()
            assert (out.root_q[:, best] > 4.0).all()
            assert (out.root_q[:, bad] < 1.0).all()
            assert np.isnan(out.root_q[out.root_visits == 0]).all()
    assert found == [0.0, 1.0]


@pytest.mark.parametrize(
    "sampling",
    [
        {"CHANCE_SAMPLING": "capped", "MAX_CHANCE_OUTCOMES": 1500},
        {"CHANCE_SAMPLING": "widening", "CHANCE_WIDENING": 4.0},
    ],
)
def test_chance_node_value_approaches_the_expectation_over_refills(
    sampling: dict[str, object],
) -> None:
    # Every down cell filled but (0, 4) and every line keeps an empty up cell: the single
    # down triangle has exactly one legal move, which empties all slots (a refill).
    up_cells = {(r, c) for line in TABLES.lines for (r, c) in line[:1] if (r + c) % 2 == 1}
    for line in TABLES.lines:
        if not any(cell in up_cells for cell in line):
            up_cells.add(next(cell for cell in line if (cell[0] + cell[1]) % 2 == 1))
    occupied = [
        (r, c)
        for r, (start, end) in enumerate(ENV.PLAYABLE_RANGE_PER_ROW)
        for c in range(start, end)
        if (r, c) not in up_cells and (r, c) != (0, 4)
    ]
    state = GameState.from_snapshot(occupied, [2, None, None])
    assert len(state.valid_actions()) == 1
    action = next(iter(state.valid_actions()))

    def value_of_shapes(occ: npt.NDArray[np.uint64], shapes: npt.NDArray[np.int8]) -> Arrays:
        logits, _ = flat_evaluator(occ, shapes)
        return logits, (shapes[:, 0].astype(np.float32) / 10.0)

    config = MCTSConfig(NUM_SIMULATIONS=1500, ROOT_SELECTION="puct", MAX_SEARCH_DEPTH=1,
                        DISCOUNT=0.9, **sampling)  # fmt: skip
    search, _ = _search(config, [state], value_of_shapes)
    tree = search.tree
    chance = int(tree.children_index[0, 0, action])
    assert tree.node_kind[0, chance] == CHANCE
    estimate = node_value(tree, 0, chance)

    after = state.copy()
    after.step(action, refill=[0, 0, 0])
    ids = np.array(DRAW_TEMPLATE_IDS)
    triples = np.stack(np.meshgrid(ids, ids, ids, indexing="ij"), -1).reshape(-1, 3)
    outcomes = GameBatch.empty(len(triples), seeds=[0] * len(triples))
    outcomes.occ[:] = after.batch.occ[0]
    outcomes.shapes[:] = triples
    outcomes.refresh_done()
    returns = np.where(
        outcomes.done, ENV.PENALTY_GAME_OVER, ENV.REWARD_PER_STEP_ALIVE + 0.9 * triples[:, 0] / 10
    )
    expectation = float(returns.mean())
    # Capped draws a refill per visit (1,500 samples); widening keeps ceil(4 sqrt(1500)) = 155
    # outcomes, each visited about equally.
    kept = int(tree.node_num_children[0, chance])
    samples = config.NUM_SIMULATIONS if "MAX_CHANCE_OUTCOMES" in sampling else kept
    assert "MAX_CHANCE_OUTCOMES" in sampling or kept == 155
    standard_error = float(returns.std() / np.sqrt(samples))
    assert 0.0 < outcomes.done.mean() < 1.0
    assert abs(estimate - expectation) < 4 * standard_error


def test_search_ignores_the_real_games_random_stream() -> None:
    batch = GameBatch.new(6, seeds=list(range(6)))
    config = MCTSConfig(NUM_SIMULATIONS=24)
    results = []
    for game_rng in (batch.rng.copy(), batch.rng[::-1].copy() + np.uint64(12345)):
        batch.rng[:] = game_rng
        before = batch.rng.copy()
        out = BatchedMCTS(config, ENV, 6, seed=3).search(batch.occ, batch.shapes, flat_evaluator)
        assert np.array_equal(batch.rng, before)
        results.append(out)
    assert np.array_equal(results[0].actions, results[1].actions)
    assert np.array_equal(results[0].policy_targets, results[1].policy_targets)
    assert np.array_equal(results[0].root_visits, results[1].root_visits)


def test_n_simulations_expand_n_leaves() -> None:
    batch = GameBatch.new(8, seeds=list(range(8)))
    for root in ("gumbel", "puct"):
        config = MCTSConfig(NUM_SIMULATIONS=40, ROOT_SELECTION=root)
        search = BatchedMCTS(config, ENV, 8, seed=1)
        out = search.search(batch.occ, batch.shapes, flat_evaluator)
        assert (out.expansions == 40).all()
        for g in range(8):
            used = int(out.tree_nodes[g])
            chance_nodes = int((search.tree.node_kind[g, :used] == CHANCE).sum())
            assert used == 1 + 40 + chance_nodes
        assert (search.tree.node_visits[:, 0] == 41).all()


def _legal_in(tree: Tree, g: int, n: int) -> npt.NDArray[np.bool_]:
    state = GameState.from_snapshot([], [None, None, None])
    state.batch.occ[0] = tree.node_occ[g, n]
    state.batch.shapes[0] = tree.node_shapes[g, n]
    return state.valid_action_mask()


def test_only_legal_actions_are_ever_expanded_or_chosen() -> None:
    batch = GameBatch.new(6, seeds=list(range(40, 46)))
    rng = np.random.default_rng(0)
    for _ in range(12):
        batch.step(np.array([rng.choice(np.flatnonzero(m)) for m in batch.legal_mask()]))
        if batch.done.any():
            batch.reset(batch.done.copy())
    for root in ("gumbel", "puct"):
        search = BatchedMCTS(MCTSConfig(NUM_SIMULATIONS=64, ROOT_SELECTION=root), ENV, 6, seed=2)
        out = search.search(batch.occ, batch.shapes, flat_evaluator)
        tree = search.tree
        masks = batch.legal_mask()
        for g in range(6):
            assert masks[g, out.actions[g]]
            assert (out.policy_targets[g][~masks[g]] == 0).all()
            for n in range(tree.node_count[g]):
                if tree.node_kind[g, n] == CHANCE:
                    continue
                expanded = tree.children_index[g, n] >= 0
                assert not (expanded & ~_legal_in(tree, g, n)).any()


def test_backups_use_rewards_and_discount_exactly() -> None:
    batch = GameBatch.new(4, seeds=list(range(60, 64)))

    def varied(occ: npt.NDArray[np.uint64], shapes: npt.NDArray[np.int8]) -> Arrays:
        logits, _ = flat_evaluator(occ, shapes)
        return logits, (shapes.sum(axis=1) % 7).astype(np.float32)

    config = MCTSConfig(NUM_SIMULATIONS=120, DISCOUNT=0.8, MAX_SEARCH_DEPTH=50)
    search = BatchedMCTS(config, ENV, 4, seed=5)
    search.search(batch.occ, batch.shapes, varied)
    tree = search.tree
    for g in range(4):
        for n in range(tree.node_count[g]):
            if tree.node_visits[g, n] == 0 or tree.node_terminal[g, n]:
                continue
            kind = tree.node_kind[g, n]
            width = tree.node_num_children[g, n] if kind == CHANCE else A
            expected = 0.0 if kind == CHANCE else float(tree.node_raw_value[g, n])
            visits = 0 if kind == CHANCE else 1
            for edge in range(width):
                child = tree.children_index[g, n, edge]
                if child < 0 or tree.node_visits[g, child] == 0:
                    continue
                disc = 1.0 if tree.node_kind[g, child] == CHANCE else 0.8
                child_visits = int(tree.node_visits[g, child])
                visits += child_visits
                expected += child_visits * float(tree.children_reward[g, n, edge])
                expected += disc * float(tree.node_value_sum[g, child])
            assert tree.node_visits[g, n] == visits
            assert tree.node_value_sum[g, n] == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_tree_reuse_keeps_the_played_subtree() -> None:
    batch = GameBatch.new(2, seeds=[7, 8])
    search = BatchedMCTS(MCTSConfig(NUM_SIMULATIONS=60, ROOT_SELECTION="puct"), ENV, 2, seed=0)
    out = search.search(batch.occ, batch.shapes, flat_evaluator)
    tree = search.tree
    children = [int(tree.children_index[g, 0, out.actions[g]]) for g in range(2)]
    kept_visits = [int(tree.node_visits[g, c]) for g, c in enumerate(children)]
    batch.step(out.actions)
    search.advance(out.actions, batch.shapes)
    for g in range(2):
        assert tree.node_visits[g, 0] == kept_visits[g]
        assert np.array_equal(tree.node_occ[g, 0], batch.occ[g])
        assert np.array_equal(tree.node_shapes[g, 0], batch.shapes[g])
    again = search.search(batch.occ, batch.shapes, flat_evaluator)
    assert (search.tree.node_visits[:, 0] == np.array(kept_visits) + 60).all()
    assert (again.expansions == 60).all()


def test_tree_reuse_across_a_refill_keeps_only_the_matching_outcome() -> None:
    state = GameState.from_snapshot([], [0, None, None])
    search, out = _search(MCTSConfig(NUM_SIMULATIONS=80, ROOT_SELECTION="puct"), [state])
    tree = search.tree
    played = np.argmax(out.root_visits, axis=1)  # the most searched move: many refills
    chance = int(tree.children_index[0, 0, played[0]])
    assert tree.node_kind[0, chance] == CHANCE
    outcomes = [
        int(tree.children_index[0, chance, k]) for k in range(tree.node_num_children[0, chance])
    ]
    assert len(outcomes) >= 2
    target = max(outcomes, key=lambda n: int(tree.node_visits[0, n]))
    target_shapes = tree.node_shapes[0, target].copy()
    target_visits = int(tree.node_visits[0, target])
    target_occ = tree.node_occ[0, target].copy()

    search.advance(played, target_shapes[None, :])
    assert tree.node_visits[0, 0] == target_visits
    assert np.array_equal(tree.node_shapes[0, 0], target_shapes)
    assert np.array_equal(tree.node_occ[0, 0], target_occ)
    assert tree.node_count[0] < len(outcomes) + 2 + 80
    for n in range(1, tree.node_count[0]):
        assert tree.node_visits[0, n] <= target_visits

    fresh, again = _search(MCTSConfig(NUM_SIMULATIONS=80, ROOT_SELECTION="puct"), [state])
    chance = int(fresh.tree.children_index[0, 0, again.actions[0]])
    outcome_nodes = fresh.tree.children_index[0, chance, : fresh.tree.node_num_children[0, chance]]
    assert [22, 22, 22] not in fresh.tree.node_shapes[0, outcome_nodes].tolist()
    fresh.advance(again.actions, np.array([[22, 22, 22]], dtype=np.int8))
    assert fresh.tree.node_count[0] == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"NUM_SIMULATIONS": 0}, "NUM_SIMULATIONS"),
        ({"ROOT_SELECTION": "alphazero"}, "ROOT_SELECTION"),
        ({"DISCOUNT": 1.5}, "DISCOUNT"),
        ({"DIRICHLET_EPSILON": -0.1}, "DIRICHLET_EPSILON"),
        ({"MAX_CHANCE_OUTCOMES": 0}, "MAX_CHANCE_OUTCOMES"),
        ({"PUCT_MIN_VALUE_SPAN": 0}, "PUCT_MIN_VALUE_SPAN"),
        ({"GUMBEL_MIN_VALUE_SPAN": -1.0}, "GUMBEL_MIN_VALUE_SPAN"),
    ],
)
def test_mcts_config_rejects_bad_values(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        MCTSConfig.model_validate(overrides)


def test_each_game_searches_with_its_own_budget() -> None:
    states = [GameState(initial_seed=s) for s in range(3)]
    batch = _batch_of(states)
    search = BatchedMCTS(MCTSConfig(NUM_SIMULATIONS=24, REUSE_TREE=False), ENV, 3, seed=0)
    budgets = np.array([1, 5, 24], dtype=np.int32)
    out = search.search(batch.occ, batch.shapes, flat_evaluator, simulations=budgets)
    # One visit from the root's own evaluation, then one per simulation.
    assert search.tree.node_visits[:, 0].tolist() == [2, 6, 25]
    assert (out.root_visits.sum(axis=1) == budgets).all()
    assert (out.expansions <= budgets).all()
    # Budget 5 over 16 considered actions: sequential halving visits 5 different actions once.
    assert (out.root_visits[1] > 0).sum() == 5
    for wrong in ([0, 5, 24], [1, 5, 25], [1, 5]):
        with pytest.raises(ValueError, match="budgets from 1 to 24"):
            search.search(batch.occ, batch.shapes, flat_evaluator, simulations=np.array(wrong))


def test_two_searches_with_the_same_streams_agree_exactly() -> None:
    from networks import seeded_network

    from alphatriangle.bench.scaling import compare_searches
    from alphatriangle.config import ModelConfig

    network = seeded_network(3, ModelConfig.preset("small"), ENV)
    batch = GameBatch.new(6, seeds=list(range(6)))
    batch.shapes[:, 1:] = -1  # one shape left: every move meets a refill
    config = MCTSConfig(NUM_SIMULATIONS=24, GUMBEL_SCALE=0.0)
    same = compare_searches(network, config, batch.occ, batch.shapes, (4, 4))
    assert same["agreement"] == 1.0
    assert same["optimism_gap"] == 0.0 and same["q_spread"] == 0.0
    other = compare_searches(network, config, batch.occ, batch.shapes, (4, 5))
    assert other["q_spread"] > 0.0
