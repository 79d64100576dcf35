"""The n-tuple player as a policy over a batch of games: `search_hand`'s first move in each.

It re-plans at every move (a hand's later moves see the board the earlier ones left), with
the policy's own random streams for tie-breaks, never a game's refill stream.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.baselines.ntuple.layout import TupleLayout, tuple_layout
from alphatriangle.baselines.ntuple.search import first_move_values, search_hand
from alphatriangle.baselines.ntuple.value import afterstate_value
from alphatriangle.config import EnvConfig
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.game.batch import GameBatch
from alphatriangle.game.core import GameArrays
from alphatriangle.game.geometry import CoreTables, engine_tables

WEIGHTS_KEY = "ntuple"
"""The n-tuple weights' name in a checkpoint's or exported agent's `model.safetensors`."""


@dataclass(frozen=True)
class NTuplePlayer:
    """Learned weights with the tuples and board they belong to."""

    env: EnvConfig
    config: NTupleConfig
    weights: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        expected = self.layout.num_weights
        if self.weights.shape != (expected,):
            raise ValueError(
                f"n-tuple weights have shape {self.weights.shape}, but the tuples of these "
                f"settings need ({expected},)"
            )

    @classmethod
    def empty(cls, env: EnvConfig, config: NTupleConfig) -> "NTuplePlayer":
        """All weights zero: the player before any learning."""
        size = tuple_layout(engine_tables(env), config).num_weights
        return cls(env, config, np.zeros(size, dtype=np.float32))

    @property
    def layout(self) -> TupleLayout:
        return tuple_layout(engine_tables(self.env), self.config)


@njit(cache=True, nogil=True)
def _first_moves(  # noqa: PLR0913
    t: CoreTables,
    layout: TupleLayout,
    weights: np.ndarray,
    width: int,
    games: GameArrays,
    rng: np.ndarray,
    first: int,
    every: int,
    out: np.ndarray,
) -> None:
    actions = np.empty(games.shapes.shape[1], dtype=np.int64)
    for g in range(first, games.occ.shape[0], every):
        out[g] = -1
        if games.done[g]:
            continue
        lo, hi = games.occ[g, 0], games.occ[g, 1]
        length = search_hand(t, layout, weights, lo, hi, games.shapes[g], width, rng, g, actions)[3]
        if length > 0:
            out[g] = actions[0]


def ntuple_actions(
    batch: GameBatch,
    rng: npt.NDArray[np.uint64],
    player: NTuplePlayer,
    width: int | None = None,
    pool: ThreadPoolExecutor | None = None,
    threads: int = 1,
) -> npt.NDArray[np.int64]:
    """The n-tuple player's move in every game (-1 where a game is over), searching with a
    beam of `width` (its `BEAM_WIDTH` by default), the games split over `threads` of `pool`."""
    out = np.empty(len(batch), dtype=np.int64)
    args = (batch.tables.core, player.layout, player.weights, width or player.config.BEAM_WIDTH,
            batch.arrays, rng)  # fmt: skip
    if pool is None or threads <= 1:
        _first_moves(*args, 0, 1, out)
        return out
    jobs = [pool.submit(_first_moves, *args, i, threads, out) for i in range(threads)]
    for job in jobs:
        job.result()
    return out


def first_moves(
    player: NTuplePlayer, batch: GameBatch, rng: npt.NDArray[np.uint64], width: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Game 0's legal moves, each with its worth (its points plus the best rest of the
    hand's), best first."""
    slots = batch.arrays.shapes.shape[1]
    capacity = slots * batch.tables.core.cells
    actions = np.empty(capacity, dtype=np.int64)
    values = np.empty(capacity, dtype=np.float64)
    lo, hi = batch.arrays.occ[0, 0], batch.arrays.occ[0, 1]
    n = first_move_values(batch.tables.core, player.layout, player.weights, lo, hi,
                          batch.arrays.shapes[0], width, rng, 0, actions, values)  # fmt: skip
    order = np.argsort(-values[:n], kind="stable")
    return actions[:n][order], values[:n][order]


def position_value(
    player: NTuplePlayer, batch: GameBatch, rng: npt.NDArray[np.uint64], width: int
) -> float:
    """What game 0's position is worth to the player: the points it expects from here (the
    best sequence of its hand, plus the value of the board that leaves)."""
    actions = np.empty(batch.arrays.shapes.shape[1], dtype=np.int64)
    lo, hi, hand = batch.arrays.occ[0, 0], batch.arrays.occ[0, 1], batch.arrays.shapes[0]
    found = search_hand(
        batch.tables.core, player.layout, player.weights, lo, hi, hand, width, rng, 0, actions
    )
    return float(found[0])


def board_value(player: NTuplePlayer, batch: GameBatch) -> float:
    """The learned value of game 0's board as it stands (an afterstate's value at a hand's
    start)."""
    lo, hi = batch.arrays.occ[0, 0], batch.arrays.occ[0, 1]
    return float(afterstate_value(player.layout, player.weights, lo, hi))
