"""The Gymnasium environment AlphaTriangle-v0."""

import warnings

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import alphatriangle.envs.env  # noqa: F401  (registers AlphaTriangle-v0)
from alphatriangle.config import EnvConfig


def test_env_passes_gymnasium_checker() -> None:
    env = gym.make("AlphaTriangle-v0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    assert env.action_space == gym.spaces.Discrete(360)


def test_episode_with_masked_actions_reaches_game_over() -> None:
    env = gym.make("AlphaTriangle-v0", render_mode="ansi")
    obs, info = env.reset(seed=3)
    assert obs["board"].shape == (8, 15)
    assert (obs["board"] == -1).sum() == 120 - 96
    rng = np.random.default_rng(0)
    total, steps, terminated = 0.0, 0, False
    while not terminated:
        action = rng.choice(np.flatnonzero(info["action_mask"]))
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        steps += 1
        assert not truncated and not info["illegal_action"]
    assert info["score"] > 0 and steps > 3
    assert not info["action_mask"].any()
    assert "GAME OVER" in str(env.render())


def test_same_seed_same_episode_start() -> None:
    env = gym.make("AlphaTriangle-v0")
    first, _ = env.reset(seed=42)
    second, _ = env.reset(seed=42)
    assert np.array_equal(first["shapes"], second["shapes"])


def test_illegal_action_ends_the_episode_without_changing_the_board() -> None:
    env = gym.make("AlphaTriangle-v0")
    obs, info = env.reset(seed=1)
    illegal = int(np.flatnonzero(~info["action_mask"])[0])
    after, reward, terminated, _, info = env.step(illegal)
    assert terminated and info["illegal_action"]
    assert reward == EnvConfig().PENALTY_GAME_OVER
    assert np.array_equal(after["board"], obs["board"])
