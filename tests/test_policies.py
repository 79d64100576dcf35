"""Baseline policies: legality, greediness, and common random numbers across policies."""

import numpy as np

from alphatriangle.baselines.simple import BASELINES, greedy_actions, policy_streams, random_actions
from alphatriangle.game import GameBatch


def _refill_history(policy: str, seeds: list[int]) -> tuple[list[list[list[int]]], np.ndarray]:
    batch = GameBatch.new(len(seeds), seeds=seeds)
    rng = policy_streams(len(seeds), seed=99)
    history: list[list[list[int]]] = [[row.tolist()] for row in batch.shapes]
    while not batch.done.all():
        result = batch.step(BASELINES[policy](batch, rng))
        for g in np.flatnonzero(result.refilled):
            history[g].append(batch.shapes[g].tolist())
    return history, batch.score.copy()


def test_policies_choose_legal_actions_and_skip_finished_games() -> None:
    batch = GameBatch.new(64, seeds=list(range(64)))
    rng = policy_streams(64, seed=0)
    while not batch.done.all():
        masks = batch.legal_mask()
        for act in (random_actions, greedy_actions):
            actions = act(batch, rng)
            for g, a in enumerate(actions):
                assert (a == -1) == bool(batch.done[g])
                assert a == -1 or masks[g, a]
        batch.step(random_actions(batch, rng))


def test_random_policy_spreads_over_legal_actions() -> None:
    batch = GameBatch.new(1, seeds=[4])
    rng = policy_streams(1, seed=1)
    picks = {int(random_actions(batch, rng)[0]) for _ in range(2000)}
    assert picks == set(np.flatnonzero(batch.legal_mask()[0]).tolist())


def _gains(batch: GameBatch, g: int) -> dict[int, int]:
    """Immediate score of every legal action of game `g`, by stepping one copy per action."""
    legal = np.flatnonzero(batch.legal_mask()[g])
    copies = GameBatch.empty(len(legal), seeds=[0] * len(legal))
    copies.occ[:] = batch.occ[g]
    copies.shapes[:] = batch.shapes[g]
    result = copies.step(legal, forced_refills=np.zeros((len(legal), 3), dtype=np.int8))
    return dict(zip(legal.tolist(), result.score_delta.tolist(), strict=True))


def test_greedy_takes_the_best_immediate_score() -> None:
    batch = GameBatch.new(32, seeds=list(range(100, 132)))
    rng = policy_streams(32, seed=2)
    for _ in range(15):
        actions = greedy_actions(batch, rng)
        for g in np.flatnonzero(~batch.done):
            gains = _gains(batch, int(g))
            assert gains[int(actions[g])] == max(gains.values())
        batch.step(actions)


def test_every_policy_sees_the_same_refills_for_the_same_seed() -> None:
    seeds = list(range(500, 516))
    random_refills, random_scores = _refill_history("random", seeds)
    greedy_refills, greedy_scores = _refill_history("greedy", seeds)
    for g in range(len(seeds)):
        common = min(len(random_refills[g]), len(greedy_refills[g]))
        assert common >= 2
        assert random_refills[g][:common] == greedy_refills[g][:common]
    assert greedy_scores.mean() > random_scores.mean()
