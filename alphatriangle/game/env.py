"""Gymnasium environment `AlphaTriangle-v0` over `GameState`.

Observation: `board` ([ROWS, COLS] int8: -1 death cell, 0 empty, 1 filled) and `shapes`
(a shape id per slot, -1 when empty). `info["action_mask"]` marks the legal actions.
An illegal action leaves the game as it is and ends the episode with the game-over
penalty (`info["illegal_action"]` is True), so unmasked agents cannot loop forever.
"""

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from alphatriangle.config import EnvConfig
from alphatriangle.game.game_state import GameState
from alphatriangle.game.geometry import engine_tables
from alphatriangle.game.render import render_text
from alphatriangle.game.shapes import NUM_SHAPES

Observation = dict[str, Any]


class AlphaTriangleEnv(gym.Env[Observation, np.int64]):
    """One game per episode; the reward is the engine's training reward."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012 (as Gymnasium declares it)

    def __init__(self, config: EnvConfig | None = None, render_mode: str | None = None) -> None:
        self.config = config or EnvConfig()
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r} is not supported; use 'ansi'")
        self.render_mode = render_mode
        cfg = self.config
        self.action_space = spaces.Discrete(cfg.ACTION_DIM)
        self.observation_space = spaces.Dict(
            {
                "board": spaces.Box(-1, 1, shape=(cfg.ROWS, cfg.COLS), dtype=np.int8),
                "shapes": spaces.Box(
                    -1, NUM_SHAPES - 1, shape=(cfg.NUM_SHAPE_SLOTS,), dtype=np.int8
                ),
            }
        )
        playable = engine_tables(cfg).playable.reshape(cfg.ROWS, cfg.COLS)
        self._empty_board = np.where(playable, 0, -1).astype(np.int8)
        self.state = GameState(cfg, initial_seed=0)

    def _observation(self) -> Observation:
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

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        super().reset(seed=seed)
        game_seed = int(self.np_random.integers(2**63 - 1))
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
if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="alphatriangle.game.env:AlphaTriangleEnv")
