"""NTupleFeatures: the n-tuple baseline's lookups inside the network's value head."""

import numpy as np
import torch
from networks import seeded_network

from alphatriangle.baselines.ntuple import afterstate_value, tuple_layout
from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.config.ntuple_config import NTupleConfig
from alphatriangle.features import FeatureExtractor
from alphatriangle.game import GameBatch
from alphatriangle.game.geometry import engine_tables
from alphatriangle.nn import AlphaTriangleNet
from alphatriangle.nn.ntuple_features import NTupleFeatures

ENV = EnvConfig()
LAYOUT = tuple_layout(engine_tables(ENV), NTupleConfig())


def _played_batch(n: int, moves: int) -> GameBatch:
    batch = GameBatch.new(n, seeds=list(range(n)))
    rng = np.random.default_rng(0)
    for _ in range(moves):
        legal = batch.legal_mask()
        batch.step(np.array([rng.choice(np.flatnonzero(m)) if m.any() else -1 for m in legal]))
    return batch


def _occupied(batch: GameBatch) -> torch.Tensor:
    board, _ = FeatureExtractor(ENV).extract(batch.occ, batch.shapes)
    return torch.from_numpy(board[:, 0])


def test_empty_board_indexes_each_tuples_first_row_and_a_filled_cell_sets_its_bit() -> None:
    features = NTupleFeatures(ENV, 2)
    occupied = torch.zeros(1, ENV.ROWS, ENV.COLS)
    torch.testing.assert_close(features.indices(occupied)[0], torch.from_numpy(LAYOUT.offsets))
    first, third = int(LAYOUT.cells[0, 0]), int(LAYOUT.cells[0, 2])
    occupied.view(1, -1)[0, [first, third]] = 1.0
    assert int(features.indices(occupied)[0, 0]) == int(LAYOUT.offsets[0]) + 0b101


def test_one_wide_features_equal_the_baselines_afterstate_value() -> None:
    """With the baseline's weights as the table, the features are its value, board by board."""
    features = NTupleFeatures(ENV, 1)
    weights = np.random.default_rng(1).normal(size=LAYOUT.num_weights)
    features.table.weight.data[:, 0] = torch.from_numpy(weights)
    batch = _played_batch(6, 20)
    with torch.no_grad():
        summed = features(_occupied(batch))[:, 0].double()
    expected = [afterstate_value(LAYOUT, weights, o[0], o[1]) for o in batch.occ]
    np.testing.assert_allclose(summed.numpy(), expected, rtol=1e-4, atol=1e-3)
    assert len(set(np.round(expected, 6))) == 6


def test_a_table_started_from_a_player_gives_its_value_in_hundreds_of_points() -> None:
    features = NTupleFeatures(ENV, 3)
    weights = np.random.default_rng(3).normal(size=LAYOUT.num_weights)
    assert not features.start_from(weights[:-1])
    assert features.start_from(weights)
    batch = _played_batch(4, 12)
    with torch.no_grad():
        summed = features(_occupied(batch)).double().numpy()
    expected = [afterstate_value(LAYOUT, weights, o[0], o[1]) / 100 for o in batch.occ]
    np.testing.assert_allclose(summed[:, 0], expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(summed[:, 1:], 0.0)


def test_value_head_reads_the_features_and_they_start_at_zero() -> None:
    plain = ModelConfig()
    with_tuples = ModelConfig(NTUPLE_VALUE_DIM=4)
    torch.manual_seed(0)
    model = AlphaTriangleNet(with_tuples, ENV).eval()
    batch = _played_batch(3, 10)
    assert model.ntuple is not None and AlphaTriangleNet(plain, ENV).ntuple is None
    assert model.value_head[0].in_features == plain.FC_DIMS_SHARED[-1] + 4
    board, other = FeatureExtractor(ENV).extract(batch.occ, batch.shapes)
    inputs = torch.from_numpy(board), torch.from_numpy(other)
    with torch.no_grad():
        policy, value = model(*inputs)
        model.ntuple.table.weight.normal_()
        policy_after, value_after = model(*inputs)
    torch.testing.assert_close(policy_after, policy)
    assert not torch.allclose(value_after, value)


def test_onnx_and_bfloat16_inference_keep_the_lookups_exact() -> None:
    """The indices stay integers in every backend, so only the float arithmetic differs."""
    config = ModelConfig(NTUPLE_VALUE_DIM=4)
    torch_net = seeded_network(3, config, ENV, inference="torch")
    weights = torch_net.get_weights()
    weights["ntuple.table.weight"] = (
        np.random.default_rng(2)
        .normal(size=weights["ntuple.table.weight"].shape)
        .astype(np.float32)
    )
    torch_net.set_weights(weights)
    batch = _played_batch(8, 15)
    expected_values = torch_net.evaluate_arrays(batch.occ, batch.shapes)[1]
    for backend, tolerance in (("onnx", 1e-3), ("bf16", 0.05)):
        other = seeded_network(4, config, ENV, inference=backend)
        other.set_weights(weights)
        values = other.evaluate_arrays(batch.occ, batch.shapes)[1]
        assert other.backend == backend
        np.testing.assert_allclose(values, expected_values, rtol=tolerance, atol=tolerance)
    assert np.ptp(expected_values) > 1.0
