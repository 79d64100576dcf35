"""`GameState`: one game behind an object API, a thin view over a one-game `GameBatch`."""

import operator
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from alphatriangle.config import EnvConfig
from alphatriangle.game import core
from alphatriangle.game.batch import GameBatch
from alphatriangle.game.geometry import Cell, cells_to_words, words_to_cells
from alphatriangle.game.rng import fresh_seed, seed_state
from alphatriangle.game.shapes import NUM_SHAPES

_NO_REFILL = np.empty((0, 0), dtype=np.int8)


class GameState:
    """A single game: legal moves, steps, score and rendering.

    Refills come from the game's own random stream, reproducible from `initial_seed`;
    a `copy()` gets a fresh stream, so searching on a copy cannot reveal future refills.
    """

    def __init__(self, config: EnvConfig | None = None, initial_seed: int | None = None) -> None:
        self._batch = GameBatch.new(
            1, config, [fresh_seed() if initial_seed is None else initial_seed]
        )

    @classmethod
    def _wrap(cls, batch: GameBatch) -> "GameState":
        state = cls.__new__(cls)
        state._batch = batch
        return state

    @classmethod
    def from_snapshot(
        cls,
        occupied: Iterable[Sequence[int]],
        shapes: Sequence[int | None],
        config: EnvConfig | None = None,
        score: float = 0.0,
        seed: int | None = None,
    ) -> "GameState":
        """Any position: occupied `(r, c)` cells and a shape id (or None) per slot."""
        batch = GameBatch.empty(1, config, [fresh_seed() if seed is None else seed])
        cfg = batch.config
        cells = []
        for r, c in occupied:
            if (
                not (0 <= r < cfg.ROWS and 0 <= c < cfg.COLS)
                or not batch.tables.playable[r * cfg.COLS + c]
            ):
                raise ValueError(f"cell ({r}, {c}) is not a playable cell of the board")
            cells.append(r * cfg.COLS + c)
        if len(shapes) != cfg.NUM_SHAPE_SLOTS:
            raise ValueError(f"got {len(shapes)} slots, the board has {cfg.NUM_SHAPE_SLOTS}")
        for shape in shapes:
            if shape is not None and not 0 <= shape < NUM_SHAPES:
                raise ValueError(f"shape id {shape} is not in 0..{NUM_SHAPES - 1}")
        if score < 0 or score != int(score):
            raise ValueError(f"score {score} must be a non-negative whole number")
        lo, hi = cells_to_words(cells)
        batch.occ[0] = (lo, hi)
        batch.shapes[0] = [-1 if s is None else s for s in shapes]
        batch.score[0] = int(score)
        batch.refresh_done()
        return cls._wrap(batch)

    @property
    def config(self) -> EnvConfig:
        """The board, slots and rewards this game is played with."""
        return self._batch.config

    @property
    def batch(self) -> GameBatch:
        """The one-game batch behind this state (shared, not a copy)."""
        return self._batch

    @property
    def current_step(self) -> int:
        """Moves played since the game began."""
        return int(self._batch.steps[0])

    def reset(self, seed: int | None = None) -> None:
        """Start a new game; with `seed`, restart the refill stream from it."""
        if seed is not None:
            self._batch.rng[0] = seed_state(seed)
        self._batch.reset()

    def valid_action_mask(self) -> npt.NDArray[np.bool_]:
        """[ACTION_DIM] True where the action is legal."""
        mask: npt.NDArray[np.bool_] = self._batch.legal_mask()[0]
        return mask

    def valid_actions(self) -> set[int]:
        """The legal actions (`slot * ROWS * COLS + row * COLS + col`); empty once over."""
        return {int(a) for a in np.flatnonzero(self.valid_action_mask())}

    def step(self, action: int, refill: Sequence[int] | None = None) -> tuple[float, bool]:
        """Play `action`; returns (reward, done). Raises `ValueError` if it is illegal.

        `refill` (a shape id per slot) replaces the random draw if this move empties every
        slot: for replaying recorded games and for chance outcomes chosen by a search.
        """
        if self.is_over():
            raise ValueError("the game is over: call reset() to start a new one")
        action = operator.index(action)
        forced = _NO_REFILL
        if refill is not None:
            if len(refill) != self.config.NUM_SHAPE_SLOTS or not all(
                0 <= s < NUM_SHAPES for s in refill
            ):
                raise ValueError(f"refill {list(refill)} must hold one shape id per slot")
            forced = np.array([refill], dtype=np.int8)
        b = self._batch
        legal, reward, *_ = core.step_one(b.tables.core, b.arrays, 0, action, forced)
        if not legal:
            raise ValueError(f"illegal action {action}")
        return reward, bool(b.done[0])

    def is_over(self) -> bool:
        """Whether no shape in hand fits anywhere (the game has ended)."""
        return bool(self._batch.done[0])

    def game_score(self) -> float:
        """The game's points so far, as the rules count them (not the training reward)."""
        return float(self._batch.score[0])

    def occupied_cells(self) -> list[Cell]:
        """Occupied `(r, c)` cells, row-major."""
        cols = self.config.COLS
        lo, hi = (int(w) for w in self._batch.occ[0])
        return [divmod(cell, cols) for cell in words_to_cells(lo, hi)]

    def shape_ids(self) -> list[int | None]:
        """The shape id in each slot, None where the slot is empty."""
        return [None if s < 0 else int(s) for s in self._batch.shapes[0]]

    def copy(self) -> "GameState":
        """An equal position whose future refills come from a new, independent stream."""
        return GameState._wrap(self._batch.copy(reseed=True))

    def decode_action(self, action: int) -> tuple[int, int, int]:
        """`action` as `(slot, row, col)`."""
        slot, cell = divmod(action, self.config.cells)
        return slot, *divmod(cell, self.config.COLS)

    def encode_action(self, slot: int, row: int, col: int) -> int:
        """The action placing `slot`'s shape anchored at `(row, col)` (`decode_action`'s
        inverse); a `ValueError` outside the slots or the board. Legal or not is not checked."""
        cfg = self.config
        if not (0 <= slot < cfg.NUM_SHAPE_SLOTS and 0 <= row < cfg.ROWS and 0 <= col < cfg.COLS):
            raise ValueError(f"({slot}, {row}, {col}) is outside the slots or the board")
        return slot * cfg.cells + row * cfg.COLS + col

    def __repr__(self) -> str:
        return (
            f"GameState(score={self.game_score():g}, step={self.current_step}, "
            f"shapes={self.shape_ids()}, over={self.is_over()})"
        )
