"""AlphaTriangleVector-v0 against Gymnasium's SyncVectorEnv of AlphaTriangle-v0, masks, seeds
and feature observations; AlphaTriangle-v0's masks and eval seeds."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers.vector import RecordEpisodeStatistics

import alphatriangle.envs.env as game_env
from alphatriangle.baselines.simple import greedy_actions, policy_streams
from alphatriangle.config import EnvConfig
from alphatriangle.envs.env import EPISODE_SEED_STRIDE, AlphaTriangleEnv
from alphatriangle.envs.vector_env import AlphaTriangleVectorEnv
from alphatriangle.evaluation.suite import baseline_chooser, play_suite
from alphatriangle.features import FeatureExtractor
from alphatriangle.game import GameBatch, GameState


def _random_legal(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.array([rng.choice(np.flatnonzero(row)) if row.any() else 0 for row in masks])


@pytest.mark.parametrize("observation", ["board", "features"])
def test_vector_env_moves_like_sync_vector_env_of_the_single_env(observation: str) -> None:
    ours = gym.make_vec(game_env.ENV_ID, num_envs=6, observation=observation)
    assert isinstance(ours, AlphaTriangleVectorEnv)
    sync = gym.make_vec(
        game_env.ENV_ID, num_envs=6, vectorization_mode="sync", observation=observation
    )
    assert ours.observation_space == sync.observation_space
    assert ours.action_space == sync.action_space
    obs, info = ours.reset(seed=11)
    sync_obs, sync_info = sync.reset(seed=11)
    rng = np.random.default_rng(3)
    ended = illegal = 0
    for t in range(400):
        for key in obs:
            assert np.array_equal(obs[key], sync_obs[key]), (t, key)
        assert np.array_equal(info["action_mask"], sync_info["action_mask"])
        actions = _random_legal(info["action_mask"], rng)
        if t % 53 == 7:
            actions[t % 6] = int(np.flatnonzero(~info["action_mask"][t % 6])[0])
        obs, reward, terminated, truncated, info = ours.step(actions)
        sync_obs, sync_reward, sync_terminated, sync_truncated, sync_info = sync.step(actions)
        assert np.allclose(reward, sync_reward)
        assert np.array_equal(terminated, sync_terminated)
        assert np.array_equal(truncated, sync_truncated)
        assert np.array_equal(info["illegal_action"], sync_info["illegal_action"])
        assert np.allclose(info["score"], sync_info["score"])
        ended += int(terminated.sum())
        illegal += int(info["illegal_action"].sum())
    assert ended > 20 and illegal > 3


def test_next_step_autoreset_ignores_the_action_and_masks_allow_anything() -> None:
    env = AlphaTriangleVectorEnv(num_envs=3)
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = env.reset(seed=[5, 6, 7])
    illegal = np.array([int(np.flatnonzero(~row)[0]) for row in info["action_mask"]])
    legal = np.array([int(np.flatnonzero(row)[0]) for row in info["action_mask"]])
    board_before = obs["board"][0].copy()
    actions = legal.copy()
    actions[0] = illegal[0]
    obs, reward, terminated, _, info = env.step(actions)
    assert terminated.tolist() == [True, False, False]
    assert info["illegal_action"].tolist() == [True, False, False]
    assert reward[0] == EnvConfig().PENALTY_GAME_OVER
    assert np.array_equal(obs["board"][0], board_before)
    assert env.action_masks()[0].all()
    assert not env.action_masks()[1].all()
    obs, reward, terminated, _, info = env.step(legal)
    assert reward[0] == 0.0 and not terminated[0]
    second_game = GameState(initial_seed=5 + EPISODE_SEED_STRIDE)
    expected = np.array([-1 if s is None else s for s in second_game.shape_ids()], np.int8)
    assert np.array_equal(obs["shapes"][0], expected)
    assert (obs["board"][0] == 1).sum() == 0


def test_vector_env_works_under_gymnasium_vector_wrappers() -> None:
    env = RecordEpisodeStatistics(AlphaTriangleVectorEnv(num_envs=4))
    _, info = env.reset(seed=0)
    batch = GameBatch.new(4, seeds=[0, 1, 2, 3])
    rng = policy_streams(4, seed=1)
    episodes = 0
    for _ in range(300):
        actions = greedy_actions(batch, rng)
        actions = np.where(actions < 0, 0, actions)
        _, _, terminated, _, info = env.step(actions)
        batch.step(np.where(batch.done, -1, actions))
        if "episode" in info:
            episodes += int(info["_episode"].sum())
        if terminated.any() or batch.done.any():
            break
    assert np.array_equal(terminated, batch.done)
    assert episodes == int(terminated.sum())


def test_reset_seed_plays_the_game_eval_plays() -> None:
    seed = 20_240_007
    eval_game = play_suite("greedy", [seed], baseline_chooser("greedy", [seed]), EnvConfig())
    env = gym.make(game_env.ENV_ID)
    single = env.unwrapped
    assert isinstance(single, AlphaTriangleEnv)
    _, info = env.reset(seed=seed)
    choose = baseline_chooser("greedy", [seed])
    moves, terminated = 0, False
    while not terminated:
        action = int(choose(single.state.batch)[0])
        assert info["action_mask"][action] and single.action_masks()[action]
        _, _, terminated, _, info = env.step(action)
        moves += 1
    assert (info["score"], moves) == (eval_game.scores[0], eval_game.lengths[0])
    assert not single.action_masks().any()


def test_feature_observations_are_the_networks_inputs() -> None:
    env = gym.make(game_env.ENV_ID, observation="features")
    obs, _ = env.reset(seed=3)
    state = GameState(initial_seed=3)
    board, other = FeatureExtractor(EnvConfig()).extract(state.batch.occ, state.batch.shapes)
    assert np.array_equal(obs["board"], board[0]) and np.array_equal(obs["other"], other[0])
    assert env.observation_space.contains(obs)
    with pytest.raises(ValueError, match="observation 'pixels' is not supported"):
        gym.make(game_env.ENV_ID, observation="pixels")


def test_vector_env_seeds_and_bad_input() -> None:
    env = AlphaTriangleVectorEnv(num_envs=3)
    first, _ = env.reset(seed=9)
    again, _ = env.reset(seed=9)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    for i in range(3):
        state = GameState(initial_seed=9 + i)
        assert first["shapes"][i].tolist() == [-1 if s is None else s for s in state.shape_ids()]
    with pytest.raises(ValueError, match="expected 3 actions"):
        env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="got 2 seeds for 3 games"):
        env.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="num_envs must be at least 1"):
        AlphaTriangleVectorEnv(num_envs=0)
    shared = AlphaTriangleVectorEnv(num_envs=2, copy=False)
    obs, _ = shared.reset(seed=1)
    board = obs["board"]
    obs, *_ = shared.step(np.array([int(r.argmax()) for r in shared.action_masks()]))
    assert obs["board"] is board
