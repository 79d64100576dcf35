"""Symmetry augmentation of sampled examples: a position's image under a board symmetry,
with its search policy moved along, is another example of the same game for free.

A symmetry permutes cells, lines, shapes and placements, so the image of an example's
features is a gather of the example's own features through fixed tables (`GatherTables`):
one numba pass over the batch, no positions decoded and no features extracted again.
"""

from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.config import EnvConfig
from alphatriangle.features import BOARD_BASE_PLANES, FeatureSpec, feature_spec, hands_from_other
from alphatriangle.game.geometry import engine_tables
from alphatriangle.game.symmetry import MISSING, Symmetries, board_symmetries
from alphatriangle.rl.types import Experiences

IDENTITY = -1
"""The drawn "symmetry" of an example kept as it is."""


class GatherTables(NamedTuple):
    """Where each value of an image example comes from, per symmetry g (symmetries are
    involutions, but the tables are inverted explicitly, not assumed)."""

    cell_source: npt.NDArray[np.int32]
    """[g, cells] the cell whose value lands on each cell."""
    shape_image: npt.NDArray[np.int8]
    """[g, shapes] the image of each shape (MISSING: none)."""
    anchor_source: npt.NDArray[np.int32]
    """[g, image shapes, cells] the anchor of the source placement of each image placement
    (MISSING where the image shape has no placement there)."""
    line_image: npt.NDArray[np.int32]
    """[g, lines] the image of each line."""


@lru_cache(maxsize=16)
def gather_tables(config: EnvConfig) -> GatherTables:
    """The gather tables of `config`'s board symmetries (cached)."""
    symmetries = board_symmetries(config)
    n_sym, cells = symmetries.cell_map.shape
    cell_source = np.empty_like(symmetries.cell_map)
    for g in range(n_sym):
        cell_source[g, symmetries.cell_map[g]] = np.arange(cells, dtype=np.int32)
    anchor_source = np.full_like(symmetries.anchor_map, MISSING)
    for g, s, a in np.argwhere(symmetries.anchor_map != MISSING):
        anchor_source[g, symmetries.shape_map[g, s], symmetries.anchor_map[g, s, a]] = a
    cols = config.COLS
    lines = [frozenset(r * cols + c for r, c in line) for line in engine_tables(config).lines]
    index_of = {line: i for i, line in enumerate(lines)}
    line_image = np.array(
        [[index_of[frozenset(symmetries.cell_map[g, list(line)].tolist())] for line in lines]
         for g in range(n_sym)],
        dtype=np.int32,
    ).reshape(n_sym, len(lines))  # fmt: skip
    return GatherTables(cell_source, symmetries.shape_map, anchor_source, line_image)


@njit(cache=True, nogil=True, inline="always")
def _copy_row(out: np.ndarray, source: np.ndarray, i: int) -> None:
    """Row i of `source` into row i of `out`, as a plain loop (numba's slice assignment of a
    row took about twice as long)."""
    for k in range(source.shape[1]):
        out[i, k] = source[i, k]


@njit(cache=True, nogil=True)
def _gather_images(
    drawn: np.ndarray,
    hands: np.ndarray,
    board: np.ndarray,
    other: np.ndarray,
    policy: np.ndarray,
    cell_source: np.ndarray,
    shape_image: np.ndarray,
    anchor_source: np.ndarray,
    line_image: np.ndarray,
    base_planes: int,
    num_shapes: int,
    board_out: np.ndarray,
    other_out: np.ndarray,
    policy_out: np.ndarray,
) -> None:
    """Row i of the outputs: example i mapped by symmetry `drawn[i]` (IDENTITY: copied), its
    hand `hands[i]`. Boards are [n, channels * cells] (plane-major), policies
    [n, slots * cells]; the loops run over contiguous rows."""
    cells = cell_source.shape[1]
    n_slots = hands.shape[1]
    lines = line_image.shape[1]
    line_base = n_slots * (num_shapes + 1)
    for i in range(drawn.shape[0]):
        g = drawn[i]
        _copy_row(other_out, other, i)
        if g < 0:
            _copy_row(board_out, board, i)
            _copy_row(policy_out, policy, i)
            continue
        for plane in range(base_planes - 1):
            base = plane * cells
            for cell in range(cells):
                board_out[i, base + cell] = board[i, base + cell_source[g, cell]]
        base = (base_planes - 1) * cells
        for cell in range(cells):
            board_out[i, base + cell] = board[i, base + cell]
        for slot in range(n_slots):
            shape = hands[i, slot]
            base = (base_planes + slot) * cells
            offset = slot * cells
            if shape < 0:
                for cell in range(cells):
                    board_out[i, base + cell] = board[i, base + cell]
                    policy_out[i, offset + cell] = policy[i, offset + cell]
                continue
            image = shape_image[g, shape]
            other_out[i, slot * num_shapes + shape] = 0.0
            other_out[i, slot * num_shapes + image] = 1.0
            for cell in range(cells):
                source = anchor_source[g, image, cell]
                if source < 0:
                    board_out[i, base + cell] = 0
                    policy_out[i, offset + cell] = 0.0
                else:
                    board_out[i, base + cell] = board[i, base + source]
                    policy_out[i, offset + cell] = policy[i, offset + source]
        for line in range(lines):
            other_out[i, line_base + line_image[g, line]] = other[i, line_base + line]


def draw_symmetries(
    symmetries: Symmetries, hands: npt.NDArray[np.int8], rng: np.random.Generator
) -> npt.NDArray[np.intp]:
    """Per hand, uniformly the identity (IDENTITY) or one of the symmetries valid for it
    (those that map every shape of the hand into the catalogue)."""
    uniforms = rng.random((hands.shape[0], 1 + symmetries.shape_map.shape[0]))
    drawn = np.empty(hands.shape[0], dtype=np.intp)
    _draw(hands, symmetries.shape_map, uniforms, drawn)
    return drawn


@njit(cache=True, nogil=True)
def _draw(
    hands: np.ndarray, shape_map: np.ndarray, uniforms: np.ndarray, drawn: np.ndarray
) -> None:
    """drawn[i]: the option with the largest uniform among the identity (option 0) and the
    symmetries valid for hand i (option g + 1)."""
    for i in range(hands.shape[0]):
        best, best_option = uniforms[i, 0], 0
        for g in range(shape_map.shape[0]):
            fits = True
            for slot in range(hands.shape[1]):
                shape = hands[i, slot]
                if shape >= 0 and shape_map[g, shape] == MISSING:
                    fits = False
            if fits and uniforms[i, g + 1] > best:
                best, best_option = uniforms[i, g + 1], g + 1
        drawn[i] = best_option - 1


def map_examples(
    exp: Experiences,
    hands: npt.NDArray[np.int8],
    drawn: npt.NDArray[np.intp],
    tables: GatherTables,
    spec: FeatureSpec,
) -> Experiences:
    """Each example (its hand `hands[i]`) mapped by its symmetry `drawn[i]` (IDENTITY: as it
    is): board planes, hand, line features and policy target gathered through `tables`.

    The value target is kept: the position's placements and clears map one to one, only the
    later refills are drawn from a catalogue that is not quite symmetric, so the image's value
    is close to, not exactly, the original's. The bootstrap position stays as stored.
    """
    n = len(exp)
    board = np.empty_like(exp.board)
    other = np.empty_like(exp.other)
    policy = np.empty_like(exp.policy)
    _gather_images(
        drawn,
        hands,
        np.ascontiguousarray(exp.board).reshape(n, -1),
        np.ascontiguousarray(exp.other),
        np.ascontiguousarray(exp.policy),
        *tables,
        BOARD_BASE_PLANES,
        spec.num_shapes,
        board.reshape(n, -1),
        other,
        policy,
    )
    return replace(exp, board=board, other=other, policy=policy)


class SymmetryAugmenter:
    """Each example as is or as its image under a random symmetry valid for its hand, from a
    random stream of its own."""

    def __init__(self, config: EnvConfig, seed: np.random.SeedSequence | None) -> None:
        self.spec = feature_spec(config)
        self.symmetries = board_symmetries(config)
        self.tables = gather_tables(config)
        self.rng = np.random.default_rng(seed)

    def __call__(self, exp: Experiences) -> Experiences:
        hands = hands_from_other(self.spec, exp.other)
        drawn = draw_symmetries(self.symmetries, hands, self.rng)
        if not (drawn != IDENTITY).any():
            return exp
        return map_examples(exp, hands, drawn, self.tables, self.spec)
