"""The board's symmetries and what they do to positions, hands and actions.

The default board is symmetric under the left-right mirror, the vertical flip and their
composition (the half turn). Shapes never rotate or mirror in the game, so a symmetry maps a
position to a position of the game only when every shape in the hand has an image in the
catalogue (each of the mirror and the flip misses two shapes); `Symmetries.valid` says which.

Everything is derived from the engine's own placement tables: a placement's image is a set of
cells, looked up among all placements of all shapes, so a symmetry that is not one of the
configured board (another `PLAYABLE_RANGE_PER_ROW`) is simply absent.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from alphatriangle.config import EnvConfig
from alphatriangle.game.geometry import bits_to_words, engine_tables, words_to_bits

CANDIDATES: tuple[tuple[str, bool, bool], ...] = (
    ("mirror", False, True),
    ("flip", True, False),
    ("half_turn", True, True),
)
"""(name, reverses rows, reverses columns) of each symmetry tried on the rectangle."""

MISSING = -1
"""Marks a shape without an image in the catalogue, or an anchor without a placement."""


class Symmetries(NamedTuple):
    """The symmetries of one board that map its playable cells and lines onto themselves."""

    names: tuple[str, ...]
    cell_map: npt.NDArray[np.int32]
    """[g, cells] the image of each cell of the rectangle."""
    shape_map: npt.NDArray[np.int8]
    """[g, shapes] the catalogue shape that is each shape's image, or MISSING."""
    anchor_map: npt.NDArray[np.int32]
    """[g, shapes, cells] the anchor of the image placement (of shape `shape_map[g, s]`) of
    shape s anchored at each cell; MISSING where s does not fit there."""


def _rectangle_map(rows: int, cols: int, flip_rows: bool, flip_cols: bool) -> np.ndarray:
    r, c = np.divmod(np.arange(rows * cols), cols)
    r = rows - 1 - r if flip_rows else r
    c = cols - 1 - c if flip_cols else c
    return (r * cols + c).astype(np.int32)


def _cell_sets(occ: npt.NDArray[np.uint64]) -> list[frozenset[int]]:
    """The cell sets of bitboards given as [n, 2] words."""
    return [frozenset(np.flatnonzero(row).tolist()) for row in words_to_bits(occ)]


@lru_cache(maxsize=16)
def board_symmetries(config: EnvConfig) -> Symmetries:
    """The symmetries of `config`'s board with their shape and anchor tables (cached)."""
    tables = engine_tables(config)
    core = tables.core
    n_shapes, cells = core.place_ok.shape
    placements = np.argwhere(core.place_ok)
    covered = _cell_sets(core.place_bits[core.place_ok])
    placement_of = {
        cells_: (int(s), int(a)) for (s, a), cells_ in zip(placements, covered, strict=True)
    }
    line_sets = {frozenset(r * config.COLS + c for r, c in line) for line in tables.lines}

    names, cell_maps, shape_maps, anchor_maps = [], [], [], []
    for name, flip_rows, flip_cols in CANDIDATES:
        cell_map = _rectangle_map(config.ROWS, config.COLS, flip_rows, flip_cols)
        if not np.array_equal(tables.playable[cell_map], tables.playable):
            continue
        if {frozenset(cell_map[list(line)].tolist()) for line in line_sets} != line_sets:
            continue
        shape_map = np.full(n_shapes, MISSING, dtype=np.int8)
        anchor_map = np.full((n_shapes, cells), MISSING, dtype=np.int32)
        for (s, a), cells_ in zip(placements, covered, strict=True):
            image = placement_of.get(frozenset(cell_map[list(cells_)].tolist()))
            if image is not None:
                shape_map[s], anchor_map[s, a] = image
        complete = (anchor_map != MISSING).sum(1) == core.place_ok.sum(1)
        shape_map[~complete] = MISSING
        anchor_map[~complete] = MISSING
        names.append(name)
        cell_maps.append(cell_map)
        shape_maps.append(shape_map)
        anchor_maps.append(anchor_map)
    return Symmetries(
        names=tuple(names),
        cell_map=np.array(cell_maps, dtype=np.int32).reshape(len(names), cells),
        shape_map=np.array(shape_maps, dtype=np.int8).reshape(len(names), n_shapes),
        anchor_map=np.array(anchor_maps, dtype=np.int32).reshape(len(names), n_shapes, cells),
    )


def valid(symmetries: Symmetries, hands: npt.NDArray[np.int8]) -> npt.NDArray[np.bool_]:
    """[n, g] whether each symmetry maps each hand ([n, slots], -1 empty) into the catalogue."""
    images = symmetries.shape_map[:, np.maximum(hands, 0)]
    fits: npt.NDArray[np.bool_] = ((images != MISSING) | (hands < 0)[None]).all(axis=2).T
    return fits


def map_boards(
    symmetries: Symmetries, g: npt.NDArray[np.intp], occ: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint64]:
    """The images of boards `occ` ([n, 2] words) under symmetry `g[i]` each."""
    n, cells = occ.shape[0], symmetries.cell_map.shape[1]
    bits = words_to_bits(occ)
    image = np.zeros_like(bits)
    image[np.arange(n)[:, None], symmetries.cell_map[g]] = bits[:, :cells]
    return bits_to_words(image)


def map_hands(
    symmetries: Symmetries, g: npt.NDArray[np.intp], hands: npt.NDArray[np.int8]
) -> npt.NDArray[np.int8]:
    """The images of hands ([n, slots], -1 empty) under `g[i]`; only for valid pairs."""
    images = symmetries.shape_map[g[:, None], np.maximum(hands, 0)]
    return np.where(hands < 0, hands, images).astype(np.int8)


def map_policies(
    symmetries: Symmetries,
    g: npt.NDArray[np.intp],
    hands: npt.NDArray[np.int8],
    policies: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """The images of action distributions ([n, slots * cells]) under `g[i]`: the mass of
    action (slot, anchor) moves to (slot, image anchor). Mass on an anchor where the slot's
    shape does not fit (never legal) is dropped."""
    n, slots = hands.shape
    cells = symmetries.cell_map.shape[1]
    anchors = symmetries.anchor_map[g[:, None], np.maximum(hands, 0)]
    targets = anchors + (np.arange(slots) * cells)[None, :, None]
    keep = (anchors != MISSING) & (hands >= 0)[:, :, None]
    image = np.zeros_like(policies)
    rows = np.broadcast_to(np.arange(n)[:, None, None], keep.shape)
    image[rows[keep], targets[keep]] = policies.reshape(n, slots, cells)[keep]
    return image
