"""Self-play: n-step targets, full games in-process and as a Ray actor, step logging."""

import time
from typing import Any

import numpy as np
import pytest
import ray
from networks import seeded_network

from alphatriangle.config import EnvConfig, MCTSConfig, ModelConfig, SelfPlayConfig
from alphatriangle.rl import SelfPlayResult, SelfPlayWorker, n_step_returns, remote_self_play_worker
from alphatriangle.utils import StepInfo
from alphatriangle.utils.softmax import masked_log_softmax

ENV = EnvConfig()
MCTS = MCTSConfig(NUM_SIMULATIONS=8)
SELF_PLAY = SelfPlayConfig(GAMES_PER_WORKER=4, N_STEP_RETURNS=3)


def test_n_step_returns_bootstrap_from_search_values() -> None:
    rewards = np.array([1.0, 2.0, 3.0, 4.0, -10.0])
    values = np.array([50.0, 40.0, 30.0, 20.0, 10.0])
    targets = n_step_returns(rewards, values, n=2, discount=0.5)
    expected = [1 + 0.5 * 2 + 0.25 * 30, 2 + 0.5 * 3 + 0.25 * 20, 3 + 0.5 * 4 + 0.25 * 10,
                4 + 0.5 * -10, -10.0]  # fmt: skip
    np.testing.assert_allclose(targets, expected)


def _check_result(result: SelfPlayResult) -> None:
    exp = result.experiences
    assert len(exp) == result.episode_steps > 0
    assert result.final_score > 0
    assert result.total_simulations == result.episode_steps * MCTS.NUM_SIMULATIONS
    assert result.avg_root_visits >= MCTS.NUM_SIMULATIONS
    assert result.avg_tree_depth >= 1
    np.testing.assert_allclose(exp.policy.sum(axis=1), 1.0, rtol=1e-5)
    legal = exp.board[:, 3:].reshape(len(exp), -1) == 1
    assert not (exp.policy[~legal] > 0).any()
    assert exp.board.dtype == np.uint8


def test_worker_plays_full_games_with_the_default_network() -> None:
    worker = SelfPlayWorker(0, ENV, MCTS, ModelConfig(), SELF_PLAY, seed=3)
    worker.set_current_trainer_step(17)
    results = worker.run_episodes()
    results.append(worker.run_episode())
    for result in results:
        _check_result(result)
        assert result.trainer_step == 17
        assert result.worker_id == 0


def test_run_for_reports_positions_before_any_game_ends() -> None:
    worker = SelfPlayWorker(1, ENV, MCTS, ModelConfig(), SELF_PLAY, seed=5)
    first = worker.run_for(0.0)
    assert first.results == [] and first.positions == SELF_PLAY.GAMES_PER_WORKER
    played = first.positions
    while True:
        batch = worker.run_for(60.0)
        played += batch.positions
        if batch.results:
            break
        assert batch.positions > 0
    for result in batch.results:
        _check_result(result)
    assert played >= sum(r.episode_steps for r in batch.results)
    assert played % SELF_PLAY.GAMES_PER_WORKER == 0


@ray.remote
class RecordingCollector:
    """Records what workers send to `log_batch` (the interface of the stats collector)."""

    def __init__(self) -> None:
        self.batches: list[dict[str, list[tuple[float, StepInfo]]]] = []

    def log_batch(self, metrics: dict[str, list[tuple[float, StepInfo]]]) -> None:
        self.batches.append(metrics)

    def get(self) -> list[dict[str, list[tuple[float, StepInfo]]]]:
        return self.batches


@pytest.mark.usefixtures("ray_local")
def test_ray_actor_worker_plays_with_sent_weights_and_logs_step_info() -> None:
    collector = RecordingCollector.remote()  # type: ignore[attr-defined]
    actor = remote_self_play_worker().remote(
        1, ENV, MCTS, ModelConfig(), SELF_PLAY, seed=5, stats_collector=collector
    )
    weights = seeded_network(9, ModelConfig(), ENV).get_weights()
    ray.get(actor.set_weights.remote(weights))
    ray.get(actor.set_current_trainer_step.remote(42))
    sent = ray.get(actor.get_weights.remote())
    assert all(np.array_equal(sent[k], weights[k]) for k in weights)
    result: SelfPlayResult = ray.get(actor.run_episode.remote())
    _check_result(result)
    assert result.trainer_step == 42 and result.worker_id == 1
    batches: list[Any] = []
    for _ in range(100):  # the worker's log_batch call may land just after run_episode returns
        batches = ray.get(collector.get.remote())
        if batches:
            break
        time.sleep(0.05)
    visits = [entry for batch in batches for entry in batch["MCTS/Step_Visits"]]
    assert visits
    for value, info in visits:
        assert value >= MCTS.NUM_SIMULATIONS
        assert info["global_step"] == 42
        assert info["worker_id"] == 1
        assert info["game_step_index"] >= 0
    assert max(info["game_step_index"] for _, info in visits) >= result.episode_steps - 1


def test_playout_caps_train_only_on_full_searches() -> None:
    selfplay = SELF_PLAY.model_copy(
        update={"PLAYOUT_CAP_FULL_FRACTION": 0.25, "PLAYOUT_CAP_CHEAP_SIMULATIONS": 2}
    )
    worker = SelfPlayWorker(0, ENV, MCTS, ModelConfig(), selfplay, seed=11)
    result = worker.run_episode()
    trained = len(result.experiences)
    assert 0 < trained < result.episode_steps
    cheap = result.episode_steps - trained
    assert result.total_simulations == trained * MCTS.NUM_SIMULATIONS + cheap * 2
    assert np.isfinite(result.experiences.value).all()


def test_new_weights_keep_trees_with_reevaluated_roots_when_asked() -> None:
    mcts = MCTSConfig(NUM_SIMULATIONS=32)
    keep = SELF_PLAY.model_copy(update={"KEEP_TREES_ON_WEIGHT_UPDATE": True})
    kept, dropped = (
        SelfPlayWorker(0, ENV, mcts, ModelConfig(), t, seed=4) for t in (keep, SELF_PLAY)
    )
    weights = seeded_network(9, ModelConfig(), ENV).get_weights()
    for worker in (kept, dropped):
        worker.run_for(0.0)
        worker.set_weights(weights)
    assert (dropped.search.tree.node_count == 0).all()
    tree = kept.search.tree
    assert (tree.node_count >= 1).all() and tree.node_count.sum() > len(kept.games)
    assert not tree.node_evaluated[:, 0].any()
    visits = tree.node_visits[:, 0].copy()
    games = kept.games
    kept.search.search(games.occ, games.shapes, kept.network.evaluate_arrays)
    logits, _ = kept.network.evaluate_arrays(games.occ, games.shapes)
    expected = np.where(games.legal_mask(), logits, -np.inf)
    for g in range(len(games)):
        masked_log_softmax(expected[g], expected[g])
    np.testing.assert_allclose(tree.children_logit[:, 0], expected, atol=1e-5)
    assert (tree.node_visits[:, 0] == visits + 1 + mcts.NUM_SIMULATIONS).all()


def _planner_worker(warm_steps: int, seed: int = 0, handover: int = 0) -> SelfPlayWorker:
    model = ModelConfig(CONV_FILTERS=16, NUM_RESIDUAL_BLOCKS=1)
    selfplay = SelfPlayConfig(
        GAMES_PER_WORKER=4, N_STEP_RETURNS=3, PLANNER_WARM_START_STEPS=warm_steps,
        WARM_START_HANDOVER_STEPS=handover,
    )  # fmt: skip
    return SelfPlayWorker(0, ENV, MCTSConfig(NUM_SIMULATIONS=4), model, selfplay, seed=seed)


def test_warm_start_games_are_played_by_the_planner() -> None:
    """Before PLANNER_WARM_START_STEPS the planner plays: one-hot policy targets on legal
    moves, no search, value targets that are the discounted returns to the game's end, and
    scores far above what an untrained network's search reaches."""
    worker = _planner_worker(warm_steps=100)
    results = [worker.run_episode() for _ in range(6)]
    searched = [_planner_worker(warm_steps=0, seed=1).run_episode() for _ in range(3)]
    discount = MCTSConfig().DISCOUNT
    for result in results:
        exp = result.experiences
        assert result.total_simulations == 0 and result.avg_root_visits == 0
        assert len(exp) == result.episode_steps
        np.testing.assert_array_equal(exp.policy.max(axis=1), 1.0)
        np.testing.assert_array_equal(exp.policy.sum(axis=1), 1.0)
        legal = exp.board[:, 3:].reshape(len(exp), -1) == 1
        assert not (exp.policy[~legal] > 0).any()
        np.testing.assert_array_equal(exp.bootstrap_discount, 0.0)
        np.testing.assert_allclose(exp.value, exp.reward_sum)
        # z_t = r_t + discount * z_{t+1}: returns to the end, nothing bootstrapped.
        rewards = exp.value[:-1] - discount * exp.value[1:]
        assert (rewards > 0).all()
    assert np.mean([r.final_score for r in results]) > 2 * max(r.final_score for r in searched)
    assert all(r.total_simulations > 0 for r in searched)


def test_games_begun_after_the_warm_start_are_searched() -> None:
    worker = _planner_worker(warm_steps=10)
    first = worker.run_episode()
    assert first.total_simulations == 0
    worker.set_current_trainer_step(10)
    later = [worker.run_episode() for _ in range(8)]
    by_planner = [r for r in later if r.total_simulations == 0]
    searched = [r for r in later if r.total_simulations > 0]
    assert len(by_planner) <= 3  # at most the games already begun when the warm start ended
    assert searched and all(r.total_simulations == r.episode_steps * 4 for r in searched)


def test_during_the_handover_some_new_games_are_the_teachers_and_after_it_none() -> None:
    """Halfway through WARM_START_HANDOVER_STEPS about half the new games are the planner's;
    once it is over, only the games begun before are."""
    worker = _planner_worker(warm_steps=10, handover=20)
    worker.set_current_trainer_step(20)
    halfway = [worker.run_episode() for _ in range(16)]
    taught = sum(r.total_simulations == 0 for r in halfway)
    assert 3 <= taught <= 13
    worker.set_current_trainer_step(30)
    later = [worker.run_episode() for _ in range(12)]
    assert sum(r.total_simulations == 0 for r in later) <= 4


def _ntuple_worker(seed: int = 0) -> SelfPlayWorker:
    model = ModelConfig(CONV_FILTERS=16, NUM_RESIDUAL_BLOCKS=1)
    selfplay = SelfPlayConfig(
        GAMES_PER_WORKER=4, N_STEP_RETURNS=3, PLANNER_WARM_START_STEPS=100,
        WARM_START_PLAYER="ntuple",
    )  # fmt: skip
    return SelfPlayWorker(0, ENV, MCTSConfig(NUM_SIMULATIONS=4), model, selfplay, seed=seed)


def test_an_ntuple_warm_start_plays_the_ntuple_players_games_on_the_same_seeds() -> None:
    """With WARM_START_PLAYER="ntuple" the warm-start games are the n-tuple player's (sent as
    weights): one-hot targets, no search, and on the planner worker's own game seeds a mean
    score well above the planner's; without weights the worker says what is missing."""
    from alphatriangle.evaluation.checkpoints import NTupleAgent, load_any_agent

    with pytest.raises(RuntimeError, match="weights were never sent"):
        _ntuple_worker().run_episode()
    agent = load_any_agent("models/ntuple")
    assert isinstance(agent, NTupleAgent)
    worker = _ntuple_worker()
    worker.set_warm_start_ntuple(agent.player.weights)
    taught = [worker.run_episode() for _ in range(6)]
    planner = _planner_worker(warm_steps=100)
    planned = [planner.run_episode() for _ in range(6)]
    for result in taught:
        exp = result.experiences
        assert result.total_simulations == 0 and len(exp) == result.episode_steps
        np.testing.assert_array_equal(exp.policy.max(axis=1), 1.0)
        np.testing.assert_allclose(exp.value, exp.reward_sum)
    ntuple_mean = np.mean([r.final_score for r in taught])
    assert ntuple_mean > 1.5 * np.mean([r.final_score for r in planned])
