"""Network inputs computed from the batched core's arrays, for a whole batch at once.

Board planes ([batch, channels, ROWS, COLS]):
occupied, empty playable cell, up-pointing playable cell, and per slot the anchors where
its shape can be placed now. Other features ([batch, other_dim]): first per slot a one-hot
of its shape (`num_slots * num_shapes`, zeros for an empty slot; the policy head reads it),
then per slot its share of legal placements; per line the fraction filled; the board's fill
ratio and the fraction of empty slots.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.config import EnvConfig
from alphatriangle.game.core import free_at, popcount
from alphatriangle.game.geometry import CoreTables, EngineTables, bits_to_words, engine_tables
from alphatriangle.game.shapes import NUM_SHAPES

BOARD_BASE_PLANES = 3
"""occupied, empty playable, up-pointing playable; then one anchor plane per slot."""
_ONE = np.uint64(1)


@dataclass(frozen=True)
class FeatureSpec:
    """The fixed shapes of the features for one `EnvConfig`."""

    board_channels: int
    rows: int
    cols: int
    other_dim: int
    num_slots: int
    num_shapes: int
    num_lines: int

    @property
    def board_shape(self) -> tuple[int, int, int]:
        return self.board_channels, self.rows, self.cols


@lru_cache(maxsize=16)
def feature_spec(config: EnvConfig) -> FeatureSpec:
    lines = len(engine_tables(config).lines)
    slots = config.NUM_SHAPE_SLOTS
    return FeatureSpec(
        board_channels=BOARD_BASE_PLANES + slots,
        rows=config.ROWS,
        cols=config.COLS,
        other_dim=slots * (NUM_SHAPES + 1) + lines + 2,
        num_slots=slots,
        num_shapes=NUM_SHAPES,
        num_lines=lines,
    )


@njit(cache=True)
def _extract(
    t: CoreTables,
    playable: np.ndarray,
    cell_is_up: np.ndarray,
    line_sizes: np.ndarray,
    playable_count: int,
    cols: int,
    occ: np.ndarray,
    shapes: np.ndarray,
    board: np.ndarray,
    other: np.ndarray,
) -> None:
    anchors, anchor_count, place_bits, line_bits = (
        t.anchors,
        t.anchor_count,
        t.place_bits,
        t.line_bits,
    )
    n_slots = shapes.shape[1]
    n_shapes = anchors.shape[0]
    board[:] = 0.0
    other[:] = 0.0
    for g in range(occ.shape[0]):
        lo, hi = occ[g, 0], occ[g, 1]
        for cell in range(t.cells):
            if not playable[cell]:
                continue
            r = cell // cols
            c = cell - r * cols
            word = lo if cell < 64 else hi
            bit = (word >> np.uint64(cell & 63)) & _ONE
            if bit:
                board[g, 0, r, c] = 1.0
            else:
                board[g, 1, r, c] = 1.0
            if cell_is_up[cell]:
                board[g, 2, r, c] = 1.0
        filled = popcount(lo) + popcount(hi)
        empty_slots = 0
        for slot in range(n_slots):
            shape = shapes[g, slot]
            if shape < 0:
                empty_slots += 1
                continue
            other[g, slot * n_shapes + shape] = 1.0
            count = 0
            for k in range(anchor_count[shape]):
                anchor = anchors[shape, k]
                if free_at(place_bits, shape, anchor, lo, hi):
                    r = anchor // cols
                    board[g, BOARD_BASE_PLANES + slot, r, anchor - r * cols] = 1.0
                    count += 1
            other[g, n_slots * n_shapes + slot] = count / max(1, anchor_count[shape])
        base = n_slots * (n_shapes + 1)
        for line in range(line_bits.shape[0]):
            inside = popcount(lo & line_bits[line, 0]) + popcount(hi & line_bits[line, 1])
            other[g, base + line] = inside / line_sizes[line]
        base += line_bits.shape[0]
        other[g, base] = filled / playable_count
        other[g, base + 1] = empty_slots / n_slots


class FeatureExtractor:
    """Fills preallocated feature arrays for batches of positions of one `EnvConfig`."""

    def __init__(self, config: EnvConfig) -> None:
        self.tables: EngineTables = engine_tables(config)
        self.spec = feature_spec(config)
        self._line_sizes = np.array([len(line) for line in self.tables.lines], dtype=np.float32)
        self._playable_count = int(self.tables.playable.sum())

    def allocate(self, n: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        board = np.zeros((n, *self.spec.board_shape), dtype=np.float32)
        other = np.zeros((n, self.spec.other_dim), dtype=np.float32)
        return board, other

    def extract(
        self,
        occ: npt.NDArray[np.uint64],
        shapes: npt.NDArray[np.int8],
        out: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Board planes and other features of positions `(occ[i], shapes[i])`."""
        board, other = out if out is not None else self.allocate(occ.shape[0])
        _extract(
            self.tables.core,
            self.tables.playable,
            self.tables.cell_is_up,
            self._line_sizes,
            self._playable_count,
            self.spec.cols,
            occ,
            shapes,
            board,
            other,
        )
        return board, other


def positions_from_features(
    spec: FeatureSpec,
    board: npt.NDArray[np.uint8] | npt.NDArray[np.float32],
    other: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int8]]:
    """The positions `(occ, shapes)` that features were extracted from: the occupied plane
    and the slots' shape one-hots hold them whole, so stored examples need no other copy."""
    n = board.shape[0]
    cells = spec.rows * spec.cols
    bits = np.zeros((n, 128), dtype=np.uint8)
    bits[:, :cells] = board[:, 0].reshape(n, cells) > 0.5
    return bits_to_words(bits), hands_from_other(spec, other)


def hands_from_other(spec: FeatureSpec, other: npt.NDArray[np.float32]) -> npt.NDArray[np.int8]:
    """The hands ([n, slots], -1 for an empty slot) held in the slots' shape one-hots."""
    hands = np.empty((other.shape[0], spec.num_slots), dtype=np.int8)
    _hands_from_one_hots(other, spec.num_shapes, hands)
    return hands


@njit(cache=True, nogil=True)
def _hands_from_one_hots(other: np.ndarray, num_shapes: int, hands: np.ndarray) -> None:
    for i in range(hands.shape[0]):
        for slot in range(hands.shape[1]):
            hands[i, slot] = -1
            for shape in range(num_shapes):
                if other[i, slot * num_shapes + shape] > 0.5:
                    hands[i, slot] = shape
                    break
