"""Board symmetries: hand-checked images, the engine's equivariance, and augmentation."""

import numpy as np
import pytest
import torch
from networks import seeded_network

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig
from alphatriangle.features import FeatureExtractor, positions_from_features
from alphatriangle.game import GameBatch
from alphatriangle.game.symmetry import (
    MISSING,
    board_symmetries,
    map_boards,
    map_hands,
    map_policies,
    valid,
)
from alphatriangle.rl.core import SampledBatch, Trainer
from alphatriangle.rl.core.augment import (
    IDENTITY,
    SymmetryAugmenter,
    gather_tables,
    map_examples,
)
from alphatriangle.rl.types import Experiences

ENV = EnvConfig()
SYMMETRIES = board_symmetries(ENV)
MIRROR, FLIP, HALF_TURN = range(3)


def _cell(r: int, c: int) -> int:
    return r * ENV.COLS + c


def _played(n: int, moves: int, seed: int = 3) -> GameBatch:
    batch = GameBatch.new(n, seeds=list(range(seed, seed + n)))
    rng = np.random.default_rng(seed)
    for _ in range(moves):
        masks = batch.legal_mask()
        batch.step(np.array([rng.choice(np.flatnonzero(m)) if m.any() else -1 for m in masks]))
    return batch


def test_the_default_board_has_three_symmetries_each_missing_two_shapes() -> None:
    assert SYMMETRIES.names == ("mirror", "flip", "half_turn")
    missing = [set(np.flatnonzero(row == MISSING).tolist()) for row in SYMMETRIES.shape_map]
    assert missing == [{11, 13}, {7, 16}, {8, 14}]


def test_hand_checked_images() -> None:
    # The up triangle (shape 0) at (0, 3): mirrored it stays an up triangle at (0, 11);
    # flipped it becomes the down triangle (shape 2) at (7, 3).
    assert SYMMETRIES.shape_map[MIRROR, 0] == 0
    assert SYMMETRIES.anchor_map[MIRROR, 0, _cell(0, 3)] == _cell(0, 11)
    assert SYMMETRIES.shape_map[FLIP, 0] == 2
    assert SYMMETRIES.anchor_map[FLIP, 0, _cell(0, 3)] == _cell(7, 3)
    # The vertical pair (shape 1: up at the origin, down below) at (0, 3) covers (0, 3) and
    # (1, 3); flipped it covers (7, 3) and (6, 3): the same shape anchored at (6, 3).
    assert SYMMETRIES.shape_map[FLIP, 1] == 1
    assert SYMMETRIES.anchor_map[FLIP, 1, _cell(0, 3)] == _cell(6, 3)
    # Shape 3 (up then down, side by side) mirrored is shape 4 (down then up).
    assert SYMMETRIES.shape_map[MIRROR, 3] == 4
    # Shape 3 at (0, 3) covers (0, 3) and (0, 4); mirrored: (0, 11) and (0, 10), so shape 4
    # is anchored at (0, 10).
    assert SYMMETRIES.anchor_map[MIRROR, 3, _cell(0, 3)] == _cell(0, 10)
    # No anchor where the shape does not fit: (0, 0) is a death cell.
    assert SYMMETRIES.anchor_map[MIRROR, 0, _cell(0, 0)] == MISSING


def test_an_asymmetric_board_keeps_only_its_symmetries() -> None:
    middle = ((2, 13), (1, 14), (0, 15), (0, 15), (1, 14), (2, 13))
    lopsided = EnvConfig(PLAYABLE_RANGE_PER_ROW=((3, 12), *middle, (3, 11)))
    assert board_symmetries(lopsided).names == ()
    shifted = EnvConfig(PLAYABLE_RANGE_PER_ROW=((3, 11), *middle, (3, 11)))
    assert board_symmetries(shifted).names == ("flip",)


def test_validity_follows_the_hand() -> None:
    hands = np.array([[0, 1, -1], [11, 0, 2], [7, -1, -1], [-1, -1, -1]], dtype=np.int8)
    assert valid(SYMMETRIES, hands).tolist() == [
        [True, True, True],
        [False, True, True],
        [True, False, True],
        [True, True, True],
    ]


@pytest.mark.parametrize("g", [MIRROR, FLIP, HALF_TURN])
def test_the_engine_is_equivariant(g: int) -> None:
    """Legal moves, placements, clears, rewards and game ends of an image position are the
    images of the original's, over random play."""
    batch = _played(48, 0)
    rng = np.random.default_rng(g)
    refill = np.array([0, 1, 5], dtype=np.int8)
    compared = 0
    for _ in range(40):
        masks = batch.legal_mask()
        ok = valid(SYMMETRIES, batch.shapes)[:, g] & ~batch.done
        rows = np.flatnonzero(ok)
        gs = np.full(rows.size, g)
        image = GameBatch.empty(rows.size)
        image.occ[:] = map_boards(SYMMETRIES, gs, batch.occ[rows])
        image.shapes[:] = map_hands(SYMMETRIES, gs, batch.shapes[rows])
        mapped = map_policies(SYMMETRIES, gs, batch.shapes[rows], masks[rows].astype(np.float32))
        np.testing.assert_array_equal(image.legal_mask(), mapped > 0)

        actions = np.array([rng.choice(np.flatnonzero(m)) if m.any() else -1 for m in masks])
        one_hot = np.zeros((rows.size, masks.shape[1]), np.float32)
        one_hot[np.arange(rows.size), actions[rows]] = 1.0
        image_actions = map_policies(SYMMETRIES, gs, batch.shapes[rows], one_hot).argmax(1)
        forced = np.tile(refill, (len(batch), 1))
        result = batch.step(np.where(masks.any(1), actions, -1), forced_refills=forced)
        image_forced = map_hands(SYMMETRIES, gs, forced[rows])
        image_result = image.step(image_actions, forced_refills=image_forced)

        np.testing.assert_array_equal(image.occ, map_boards(SYMMETRIES, gs, batch.occ[rows]))
        np.testing.assert_array_equal(image_result.score_delta, result.score_delta[rows])
        np.testing.assert_array_equal(image_result.lines_cleared, result.lines_cleared[rows])
        np.testing.assert_allclose(image_result.reward, result.reward[rows])
        np.testing.assert_array_equal(image_result.done, result.done[rows])
        compared += rows.size
        batch.reset(batch.done)
    assert compared > 1000


def test_symmetries_compose() -> None:
    """Mirror then flip is the half turn, and each symmetry undoes itself."""
    occ = _played(32, 12).occ
    ones = np.ones(32, dtype=np.intp)
    mirrored = map_boards(SYMMETRIES, ones * MIRROR, occ)
    np.testing.assert_array_equal(
        map_boards(SYMMETRIES, ones * FLIP, mirrored), map_boards(SYMMETRIES, ones * HALF_TURN, occ)
    )
    for g in range(3):
        twice = map_boards(SYMMETRIES, ones * g, map_boards(SYMMETRIES, ones * g, occ))
        np.testing.assert_array_equal(twice, occ)


def test_positions_come_back_from_their_features() -> None:
    batch = _played(32, 9)
    extractor = FeatureExtractor(ENV)
    board, other = extractor.extract(batch.occ, batch.shapes)
    occ, shapes = positions_from_features(extractor.spec, board.astype(np.uint8), other)
    np.testing.assert_array_equal(occ, batch.occ)
    np.testing.assert_array_equal(shapes, batch.shapes)


def _examples(batch: GameBatch) -> Experiences:
    extractor = FeatureExtractor(ENV)
    board, other = extractor.extract(batch.occ, batch.shapes)
    legal = batch.legal_mask().astype(np.float32)
    policy = legal * np.random.default_rng(0).random(legal.shape).astype(np.float32)
    policy /= np.maximum(policy.sum(1, keepdims=True), 1e-9)
    value = np.linspace(0, 5, len(batch)).astype(np.float32)
    return Experiences.without_bootstrap(board.astype(np.uint8), other, policy, value, 3)


def test_augmented_examples_are_the_image_positions() -> None:
    batch = _played(64, 6)
    exp = _examples(batch)
    extractor = FeatureExtractor(ENV)
    out = SymmetryAugmenter(ENV, np.random.SeedSequence(5))(exp)
    occ, hands = positions_from_features(extractor.spec, exp.board, exp.other)
    changed = np.flatnonzero((out.board != exp.board).any(axis=(1, 2, 3)))
    assert 20 < changed.size < 64
    np.testing.assert_array_equal(out.value, exp.value)
    np.testing.assert_allclose(out.policy.sum(1), exp.policy.sum(1), rtol=1e-6)
    for row in range(64):
        images = [map_boards(SYMMETRIES, np.array([g]), occ[row : row + 1]) for g in range(3)] + [
            occ[row : row + 1]
        ]
        new_occ, new_hand = positions_from_features(
            extractor.spec, out.board[row : row + 1], out.other[row : row + 1]
        )
        assert any(np.array_equal(new_occ, image) for image in images)
        board, other = extractor.extract(new_occ, new_hand)
        np.testing.assert_array_equal(out.board[row], board[0])
        np.testing.assert_array_equal(out.other[row], other[0])
        legal = board[0, 3:].reshape(-1) > 0.5
        assert out.policy[row][~legal].sum() == 0.0
        assert valid(SYMMETRIES, hands[row : row + 1]).any() or row not in changed


def test_gather_tables_hand_checked() -> None:
    tables = gather_tables(ENV)
    # The mirror sends (0, 3) to (0, 11), so (0, 11)'s value comes from (0, 3).
    assert tables.cell_source[MIRROR, _cell(0, 11)] == _cell(0, 3)
    # Flipped, the up triangle (shape 0) at (0, 3) is the down triangle (shape 2) at (7, 3).
    assert tables.shape_image[FLIP, 0] == 2
    assert tables.anchor_source[FLIP, 2, _cell(7, 3)] == _cell(0, 3)
    # Shape 3 at (0, 3) mirrored is shape 4 at (0, 10) (test_hand_checked_images).
    assert tables.anchor_source[MIRROR, 4, _cell(0, 10)] == _cell(0, 3)
    # Every symmetry permutes the lines.
    for g in range(3):
        assert sorted(tables.line_image[g]) == list(range(tables.line_image.shape[1]))


@pytest.mark.parametrize("g", [IDENTITY, MIRROR, FLIP, HALF_TURN])
def test_gathered_images_equal_the_extracted_image_positions(g: int) -> None:
    """The gather of an example's features equals the features extracted from its image
    position, with the policy mapped by `map_policies`."""
    batch = _played(256, 5, seed=11)
    exp = _examples(batch)
    extractor = FeatureExtractor(ENV)
    occ, hands = positions_from_features(extractor.spec, exp.board, exp.other)
    rows = np.arange(256) if g == IDENTITY else np.flatnonzero(valid(SYMMETRIES, hands)[:, g])
    assert rows.size > 20
    exp, occ, hands = exp.select(rows), occ[rows], hands[rows]
    drawn = np.full(rows.size, g, dtype=np.intp)
    out = map_examples(exp, hands, drawn, gather_tables(ENV), extractor.spec)
    if g == IDENTITY:
        expected_board, expected_other, expected_policy = exp.board, exp.other, exp.policy
    else:
        image_board, expected_other = extractor.extract(
            map_boards(SYMMETRIES, drawn, occ), map_hands(SYMMETRIES, drawn, hands)
        )
        expected_board = image_board.astype(np.uint8)
        expected_policy = map_policies(SYMMETRIES, drawn, hands, exp.policy)
    np.testing.assert_array_equal(out.board, expected_board)
    np.testing.assert_array_equal(out.other, expected_other)
    np.testing.assert_array_equal(out.policy, expected_policy)
    np.testing.assert_array_equal(out.value, exp.value)


def _image_move_probability(augmented: bool) -> float:
    """Train on one position whose search chose one move; return the probability the
    network gives that move's image in the mirrored position."""
    batch = GameBatch.new(1, seeds=[21])
    batch.shapes[0] = [0, 1, 3]
    exp = _examples(batch)
    target = np.zeros_like(exp.policy)
    target[0, np.flatnonzero(batch.legal_mask()[0])[0]] = 1.0
    exp = Experiences.without_bootstrap(exp.board, exp.other, target, exp.value, 3)
    rows = np.zeros(64, dtype=np.int64)
    sampled = SampledBatch(rows, exp.select(rows), np.ones(64, np.float32))
    network = seeded_network(0, ModelConfig(), ENV)
    config = TrainConfig(SYMMETRY_AUGMENTATION=augmented, LEARNING_RATE=3e-3)
    trainer = Trainer(network, config, np.random.SeedSequence(1))
    for _ in range(60):
        trainer.train_step(sampled)
    gs = np.array([MIRROR])
    image = GameBatch.empty(1)
    image.occ[:] = map_boards(SYMMETRIES, gs, batch.occ)
    image.shapes[:] = map_hands(SYMMETRIES, gs, batch.shapes)
    expected = int(map_policies(SYMMETRIES, gs, batch.shapes, target).argmax(1)[0])
    board, other = network.features.extract(image.occ, image.shapes)
    with torch.no_grad():
        logits, _ = network.model(torch.from_numpy(board), torch.from_numpy(other))
    logits = logits.masked_fill(~torch.from_numpy(image.legal_mask()), -1e9)
    return float(torch.softmax(logits, 1)[0, expected])


def test_training_with_augmentation_learns_the_image_policy() -> None:
    with_images = _image_move_probability(augmented=True)
    without = _image_move_probability(augmented=False)
    assert with_images > 0.5
    assert with_images > 3 * without
