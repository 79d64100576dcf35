"""`GameBatch`: many games held in arrays, stepped together by the numba core."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alphatriangle.config import EnvConfig
from alphatriangle.game import core
from alphatriangle.game.geometry import EngineTables, engine_tables
from alphatriangle.game.rng import fresh_seed, seed_states


@dataclass(frozen=True)
class StepResult:
    """What one batched step produced, per game (zeros where a game was skipped)."""

    reward: npt.NDArray[np.float64]
    score_delta: npt.NDArray[np.int64]
    lines_cleared: npt.NDArray[np.int64]
    refilled: npt.NDArray[np.bool_]
    done: npt.NDArray[np.bool_]


@dataclass
class GameBatch:
    """The state of `n` games as arrays (`arrays`, the record the kernels take); row `g` of
    every array is game `g`."""

    tables: EngineTables
    arrays: core.GameArrays

    @property
    def occ(self) -> npt.NDArray[np.uint64]:
        """[n, 2] occupied cells as two bitboard words."""
        return self.arrays.occ

    @property
    def shapes(self) -> npt.NDArray[np.int8]:
        """[n, slots] shape id per slot, -1 when empty."""
        return self.arrays.shapes

    @property
    def score(self) -> npt.NDArray[np.int64]:
        """[n] each game's points so far, as the rules count them."""
        return self.arrays.score

    @property
    def steps(self) -> npt.NDArray[np.int64]:
        """[n] moves played in each game."""
        return self.arrays.steps

    @property
    def done(self) -> npt.NDArray[np.bool_]:
        """[n] whether each game has ended (no shape in hand fits anywhere)."""
        return self.arrays.done

    @property
    def rng(self) -> npt.NDArray[np.uint64]:
        """[n] each game's own refill stream."""
        return self.arrays.rng

    @classmethod
    def empty(
        cls, n: int, config: EnvConfig | None = None, seeds: Sequence[int] | None = None
    ) -> "GameBatch":
        """`n` games with empty boards and slots; streams from `seeds` or fresh entropy."""
        tables = engine_tables(config or EnvConfig())
        if seeds is None:
            seeds = [fresh_seed() for _ in range(n)]
        if len(seeds) != n:
            raise ValueError(f"got {len(seeds)} seeds for {n} games")
        arrays = core.GameArrays(
            occ=np.zeros((n, 2), dtype=np.uint64),
            shapes=np.full((n, tables.config.NUM_SHAPE_SLOTS), -1, dtype=np.int8),
            score=np.zeros(n, dtype=np.int64),
            steps=np.zeros(n, dtype=np.int64),
            done=np.zeros(n, dtype=np.bool_),
            rng=seed_states(seeds),
        )
        return cls(tables, arrays)

    @classmethod
    def new(
        cls, n: int, config: EnvConfig | None = None, seeds: Sequence[int] | None = None
    ) -> "GameBatch":
        """`n` fresh games, each with its slots filled from its own stream."""
        batch = cls.empty(n, config, seeds)
        batch.reset()
        return batch

    def __len__(self) -> int:
        return int(self.occ.shape[0])

    @property
    def config(self) -> EnvConfig:
        """The board, slots and rewards these games are played with."""
        return self.tables.config

    def reset(self, which: npt.NDArray[np.bool_] | None = None) -> None:
        """Start new games where `which` is True (all games by default)."""
        mask = np.ones(len(self), dtype=np.bool_) if which is None else which
        core.reset_batch(self.tables.core, self.arrays, mask)

    def legal_mask(self, out: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.bool_]:
        """[n, ACTION_DIM] legal actions of every game."""
        if out is None:
            out = np.empty((len(self), self.config.ACTION_DIM), dtype=np.bool_)
        core.legal_mask_batch(self.tables.core, self.occ, self.shapes, out)
        return out

    def step(
        self,
        actions: npt.NDArray[np.int64],
        forced_refills: npt.NDArray[np.int8] | None = None,
    ) -> StepResult:
        """Step game `g` with `actions[g]` (< 0 skips it).

        `forced_refills` ([n, slots]) replaces the random refill, for replaying recorded
        games or chance outcomes chosen by a search. Raises `ValueError`, changing
        nothing, if any action is illegal.
        """
        n = len(self)
        actions = np.ascontiguousarray(actions, dtype=np.int64)
        if actions.shape != (n,):
            raise ValueError(f"expected {n} actions, got shape {actions.shape}")
        if forced_refills is None:
            forced = np.empty((0, self.shapes.shape[1]), dtype=np.int8)
        else:
            forced = np.ascontiguousarray(forced_refills, dtype=np.int8)
        out = core.step_arrays(n)
        bad = core.step_batch(self.tables.core, self.arrays, actions, forced, out)
        if bad != core.ALL_LEGAL:
            raise ValueError(f"illegal action {int(actions[bad])} in game {bad}")
        return StepResult(
            out.reward, out.score_delta, out.lines_cleared, out.refilled, self.done.copy()
        )

    def refresh_done(self) -> None:
        """Recompute game over from boards and slots set by hand."""
        core.refresh_done_batch(self.tables.core, self.occ, self.shapes, self.done)

    def copy(self, reseed: bool = True) -> "GameBatch":
        """A deep copy; with `reseed` (the default) its streams are fresh and independent."""
        rng = seed_states([fresh_seed() for _ in range(len(self))]) if reseed else self.rng.copy()
        a = self.arrays
        copied = core.GameArrays(
            a.occ.copy(), a.shapes.copy(), a.score.copy(), a.steps.copy(), a.done.copy(), rng
        )
        return GameBatch(self.tables, copied)
