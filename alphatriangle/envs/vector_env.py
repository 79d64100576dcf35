"""`AlphaTriangleVector-v0`: many games stepped in one numba call, as a Gymnasium `VectorEnv`."""

from typing import Any

import numpy as np
import numpy.typing as npt
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numba import njit

from alphatriangle.config import EnvConfig
from alphatriangle.envs.env import (
    EPISODE_SEED_STRIDE,
    UNSEEDED_BASE_LIMIT,
    Observation,
    ObservationKind,
    observation_space,
)
from alphatriangle.features import FeatureExtractor
from alphatriangle.game.batch import GameBatch
from alphatriangle.game.core import apply_actions, legal_mask_batch, popcount, step_arrays
from alphatriangle.game.rng import seed_states_array

_ONE = np.uint64(1)
_ZERO = np.uint64(0)


@njit(cache=True)
def _board_observation(
    occ: np.ndarray,
    shapes: np.ndarray,
    empty_board: np.ndarray,
    board: np.ndarray,
    out_shapes: np.ndarray,
) -> None:
    """`board[g]` ([games, cells]): -1 death cell, 0 empty, 1 filled; `out_shapes[g]`: the
    slots."""
    for g in range(occ.shape[0]):
        board[g, :] = empty_board
        for w in range(2):
            word = occ[g, w]
            while word != _ZERO:
                lowest = word & (~word + _ONE)
                board[g, 64 * w + popcount(lowest - _ONE)] = 1
                word ^= lowest
        out_shapes[g, :] = shapes[g, :]


class AlphaTriangleVectorEnv(VectorEnv[Observation, npt.NDArray[np.int64], npt.NDArray[Any]]):
    """`num_envs` games over the batched core, in one numba call per step.

    Game `i` behaves exactly as `AlphaTriangle-v0` in a `SyncVectorEnv` would: the same
    observations, rewards, terminations, masks and seeds (`reset(seed=s)` gives game `i` seed
    `s + i`), with no Python object per game. Autoreset is Gymnasium 1.x's next-step mode: the
    step after a game ends resets it, ignores its action and returns reward 0; while a game
    waits for that reset its `action_masks()` row is all True (any action is accepted).

    Observations are written into preallocated arrays; with `copy=False` the arrays returned
    are those buffers, overwritten by the next call (as Gymnasium's `copy=False`).
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}  # noqa: RUF012

    def __init__(
        self,
        num_envs: int = 64,
        config: EnvConfig | None = None,
        observation: ObservationKind = "board",
        copy: bool = True,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        self.config = config or EnvConfig()
        self.num_envs = num_envs
        self.observation = observation
        self.copy = copy
        self.single_observation_space = observation_space(self.config, observation)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.single_action_space = spaces.Discrete(self.config.ACTION_DIM)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.batch = GameBatch.empty(num_envs, self.config, seeds=[0] * num_envs)
        tables = self.batch.tables
        cfg = self.config
        self._empty_board = np.where(tables.playable, 0, -1).astype(np.int8)
        self._no_refills = np.empty((0, cfg.NUM_SHAPE_SLOTS), dtype=np.int8)
        self._masks = np.zeros((num_envs, cfg.ACTION_DIM), dtype=np.bool_)
        self._stepped = step_arrays(num_envs)
        self._terminated = np.zeros(num_envs, dtype=np.bool_)
        self._truncated = np.zeros(num_envs, dtype=np.bool_)
        self._resetting = np.zeros(num_envs, dtype=np.bool_)
        self._base_seeds = np.zeros(num_envs, dtype=np.int64)
        self._episodes = np.zeros(num_envs, dtype=np.int64)
        self._seeded = False
        if observation == "features":
            self._features = FeatureExtractor(cfg)
            board, other = self._features.allocate(num_envs)
            self._obs: Observation = {"board": board, "other": other}
        else:
            self._obs = {
                "board": np.zeros((num_envs, cfg.ROWS, cfg.COLS), dtype=np.int8),
                "shapes": np.zeros((num_envs, cfg.NUM_SHAPE_SLOTS), dtype=np.int8),
            }

    def _start_games(self, which: npt.NDArray[np.bool_]) -> None:
        """New games where `which` is set, each from its base seed and episode number."""
        seeds = self._base_seeds[which] + self._episodes[which] * EPISODE_SEED_STRIDE
        self.batch.rng[which] = seed_states_array(seeds)
        self.batch.reset(which)

    def _observe(self) -> Observation:
        occ, shapes = self.batch.occ, self.batch.shapes
        if self.observation == "features":
            self._features.extract(occ, shapes, (self._obs["board"], self._obs["other"]))
        else:
            board = self._obs["board"].reshape(self.num_envs, -1)
            _board_observation(occ, shapes, self._empty_board, board, self._obs["shapes"])
        legal_mask_batch(self.batch.tables.core, occ, shapes, self._masks)
        if not self.copy:
            return self._obs
        return {key: value.copy() for key, value in self._obs.items()}

    def _infos(self) -> dict[str, Any]:
        everywhere = np.ones(self.num_envs, dtype=np.bool_)
        return {
            "action_mask": self._masks.copy() if self.copy else self._masks,
            "_action_mask": everywhere,
            "score": self.batch.score.astype(np.float64),
            "_score": everywhere,
            "illegal_action": self._stepped.illegal.copy(),
            "_illegal_action": everywhere,
        }

    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Observation, dict[str, Any]]:
        """Start every game; `seed` s gives game `i` seed `s + i`, a list one seed per game."""
        if isinstance(seed, list):
            if len(seed) != self.num_envs:
                raise ValueError(f"got {len(seed)} seeds for {self.num_envs} games")
            seeds: list[int | None] = list(seed)
        else:
            seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        super().reset(seed=seed if isinstance(seed, int) else None)
        for i, game_seed in enumerate(seeds):
            if game_seed is not None:
                self._base_seeds[i], self._episodes[i] = game_seed, 0
            elif not self._seeded:
                self._base_seeds[i] = int(self.np_random.integers(UNSEEDED_BASE_LIMIT))
                self._episodes[i] = 0
            else:
                self._episodes[i] += 1
        self._seeded = True
        self._resetting[:] = False
        self._stepped.illegal[:] = False
        self._start_games(np.ones(self.num_envs, dtype=np.bool_))
        return self._observe(), self._infos()

    def step(
        self, actions: npt.ArrayLike
    ) -> tuple[
        Observation,
        npt.NDArray[np.float64],
        npt.NDArray[np.bool_],
        npt.NDArray[np.bool_],
        dict[str, Any],
    ]:
        """One move in every game (games that ended last step are reset instead)."""
        actions = np.ascontiguousarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {actions.shape[0]}")
        if self._resetting.any():
            self._episodes[self._resetting] += 1
            self._start_games(self._resetting)
        played = np.where(actions < 0, self.config.ACTION_DIM, actions)  # out of range: illegal
        played[self._resetting] = -1  # not stepped: these games were just reset
        apply_actions(
            self.batch.tables.core, self.batch.arrays, played, self._no_refills, self._stepped
        )
        np.logical_and(played >= 0, self.batch.done, out=self._terminated)
        self._resetting[:] = self._terminated
        observation = self._observe()
        return (
            observation,
            self._stepped.reward.copy(),
            self._terminated.copy(),
            self._truncated.copy(),
            self._infos(),
        )

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """[num_envs, ACTION_DIM] the legal actions of every game; all True for a game that
        waits for its next-step reset (its action is ignored)."""
        masks = self._masks.copy()
        masks[self._resetting] = True
        return masks
