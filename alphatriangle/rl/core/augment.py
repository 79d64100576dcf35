"""Symmetry augmentation of sampled examples: a position's image under a board symmetry,
with its search policy moved along, is another example of the same game for free."""

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from alphatriangle.features import FeatureExtractor, positions_from_features
from alphatriangle.game.symmetry import (
    Symmetries,
    board_symmetries,
    map_boards,
    map_hands,
    map_policies,
    valid,
)
from alphatriangle.rl.types import Experiences


def draw_symmetries(
    symmetries: Symmetries, hands: npt.NDArray[np.int8], rng: np.random.Generator
) -> npt.NDArray[np.intp]:
    """Per hand, uniformly the identity (-1) or one of the symmetries valid for it."""
    options = np.concatenate([np.ones((hands.shape[0], 1), bool), valid(symmetries, hands)], 1)
    drawn: npt.NDArray[np.intp] = np.argmax(rng.random(options.shape) * options, axis=1) - 1
    return drawn


def augment(
    exp: Experiences,
    symmetries: Symmetries,
    extractor: FeatureExtractor,
    rng: np.random.Generator,
) -> Experiences:
    """Each example as is or as its image under a random symmetry valid for its hand: board
    and hand mapped, features extracted again, policy target moved to the image actions.

    The value target is kept: the position's placements and clears map one to one, only the
    later refills are drawn from a catalogue that is not quite symmetric, so the image's value
    is close to, not exactly, the original's. The bootstrap position stays as stored.
    """
    occ, hands = positions_from_features(extractor.spec, exp.board, exp.other)
    g = draw_symmetries(symmetries, hands, rng)
    rows = np.flatnonzero(g >= 0)
    if rows.size == 0:
        return exp
    g_rows = g[rows]
    image_hands = map_hands(symmetries, g_rows, hands[rows])
    board, other = extractor.extract(map_boards(symmetries, g_rows, occ[rows]), image_hands)
    policy = map_policies(symmetries, g_rows, hands[rows], exp.policy[rows])
    new_board, new_other, new_policy = exp.board.copy(), exp.other.copy(), exp.policy.copy()
    new_board[rows] = board.astype(exp.board.dtype)
    new_other[rows] = other
    new_policy[rows] = policy
    return replace(exp, board=new_board, other=new_other, policy=new_policy)


class SymmetryAugmenter:
    """`augment` with the tables of one network's board and a random stream of its own."""

    def __init__(self, extractor: FeatureExtractor, seed: np.random.SeedSequence | None) -> None:
        self.extractor = extractor
        self.symmetries = board_symmetries(extractor.tables.config)
        self.rng = np.random.default_rng(seed)

    def __call__(self, exp: Experiences) -> Experiences:
        return augment(exp, self.symmetries, self.extractor, self.rng)
