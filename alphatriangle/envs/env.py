"""Gymnasium environment `AlphaTriangle-v0` over `GameState`.

Observation `"board"` (the default): `board` ([ROWS, COLS] int8: -1 death cell, 0 empty,
1 filled) and `shapes` (a shape id per slot, -1 when empty). Observation `"features"`: the
network's own inputs, `board` (float32 planes [channels, ROWS, COLS]) and `other` (float32
slot encodings and line fills; see `alphatriangle.features`).

Legal actions: `action_masks()` (the method sb3-contrib's maskable algorithms call) and
`info["action_mask"]`. An illegal action leaves the game as it is and ends the episode with
the game-over penalty (`info["illegal_action"]` is True), so unmasked agents cannot loop.

Seeds: `reset(seed=s)` plays game seed `s`, the very game `alphatriangle eval` plays for
seed `s` (the same refills, common random numbers); each later `reset()` plays the next
episode's game, seed `s + k * EPISODE_SEED_STRIDE` for episode `k`.
"""

from typing import Any, Literal

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from alphatriangle.config import EnvConfig
from alphatriangle.features import FeatureExtractor, feature_spec
from alphatriangle.game.game_state import GameState
from alphatriangle.game.geometry import engine_tables
from alphatriangle.game.shapes import NUM_SHAPES
from alphatriangle.ui.render import render_text

Observation = dict[str, Any]
"""Arrays by key: `board` and `shapes`, or `board` and `other` (features)."""
ObservationKind = Literal["board", "features"]

EPISODE_SEED_STRIDE = 2**32
"""Episode `k` after `reset(seed=s)` plays game seed `s + k * EPISODE_SEED_STRIDE`."""
UNSEEDED_BASE_LIMIT = 2**31
"""Without a seed, the first game's seed is drawn below this from the env's `np_random`."""


def episode_game_seed(base: int, episode: int) -> int:
    return base + episode * EPISODE_SEED_STRIDE


def observation_space(config: EnvConfig, observation: ObservationKind) -> spaces.Dict:
    """The space of one game's observation of the given kind."""
    if observation == "features":
        spec = feature_spec(config)
        return spaces.Dict(
            {
                "board": spaces.Box(0.0, 1.0, shape=spec.board_shape, dtype=np.float32),
                "other": spaces.Box(0.0, 1.0, shape=(spec.other_dim,), dtype=np.float32),
            }
        )
    if observation != "board":
        raise ValueError(f"observation {observation!r} is not supported; use 'board' or 'features'")
    return spaces.Dict(
        {
            "board": spaces.Box(-1, 1, shape=(config.ROWS, config.COLS), dtype=np.int8),
            "shapes": spaces.Box(
                -1, NUM_SHAPES - 1, shape=(config.NUM_SHAPE_SLOTS,), dtype=np.int8
            ),
        }
    )


class AlphaTriangleEnv(gym.Env[Observation, np.int64]):
    """One game per episode; the reward is the engine's training reward (`EnvConfig`)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012 (as Gymnasium declares it)

    def __init__(
        self,
        config: EnvConfig | None = None,
        render_mode: str | None = None,
        observation: ObservationKind = "board",
    ) -> None:
        self.config = config or EnvConfig()
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r} is not supported; use 'ansi'")
        self.render_mode = render_mode
        self.observation = observation
        self.action_space = spaces.Discrete(self.config.ACTION_DIM)
        self.observation_space = observation_space(self.config, observation)
        cfg = self.config
        playable = engine_tables(cfg).playable.reshape(cfg.ROWS, cfg.COLS)
        self._empty_board = np.where(playable, 0, -1).astype(np.int8)
        if observation == "features":
            self._features = FeatureExtractor(cfg)
        self._base_seed: int | None = None
        self._episode = 0
        self.state = GameState(cfg, initial_seed=0)

    def _observation(self) -> Observation:
        if self.observation == "features":
            planes, other = self._features.extract(self.state.batch.occ, self.state.batch.shapes)
            return {"board": planes[0], "other": other[0]}
        board = self._empty_board.copy()
        for r, c in self.state.occupied_cells():
            board[r, c] = 1
        shapes = np.array([-1 if s is None else s for s in self.state.shape_ids()], np.int8)
        return {"board": board, "shapes": shapes}

    def _info(self) -> dict[str, Any]:
        return {
            "action_mask": self.state.valid_action_mask(),
            "score": self.state.game_score(),
            "illegal_action": False,
        }

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """[ACTION_DIM] the legal actions now (what maskable algorithms ask for)."""
        return self.state.valid_action_mask()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self._base_seed, self._episode = int(seed), 0
        elif self._base_seed is None:
            self._base_seed = int(self.np_random.integers(UNSEEDED_BASE_LIMIT))
            self._episode = 0
        else:
            self._episode += 1
        game_seed = episode_game_seed(self._base_seed, self._episode)
        self.state = GameState(self.config, initial_seed=game_seed)
        return self._observation(), self._info()

    def step(self, action: np.int64) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        info = self._info()
        if not info["action_mask"][int(action)]:
            info["illegal_action"] = True
            return self._observation(), self.config.PENALTY_GAME_OVER, True, False, info
        reward, done = self.state.step(int(action))
        return self._observation(), reward, done, False, self._info()

    def render(self) -> str | None:
        return render_text(self.state) if self.render_mode == "ansi" else None


ENV_ID = "AlphaTriangle-v0"
VECTOR_ENV_ID = "AlphaTriangleVector-v0"
_VECTOR_ENTRY = "alphatriangle.envs.vector_env:AlphaTriangleVectorEnv"
if ENV_ID not in gym.registry:
    gym.register(
        id=ENV_ID,
        entry_point="alphatriangle.envs.env:AlphaTriangleEnv",
        vector_entry_point=_VECTOR_ENTRY,
    )
if VECTOR_ENV_ID not in gym.registry:
    gym.register(id=VECTOR_ENV_ID, vector_entry_point=_VECTOR_ENTRY)
