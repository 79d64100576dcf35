"""AlphaTriangleNet, the NeuralNetwork wrapper, the value support and ModelConfig."""

from pathlib import Path

import numpy as np
import pytest
import torch
from networks import seeded_network
from pydantic import ValidationError

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.features import feature_spec
from alphatriangle.game import GameBatch, GameState
from alphatriangle.nn import (
    AlphaTriangleNet,
    SlotPolicyHead,
    ValueSupport,
    inverse_value_transform,
    resolve_device,
    value_transform,
)
from alphatriangle.nn.network import _choose_backend
from alphatriangle.utils import machine

ENV = EnvConfig()


@pytest.mark.parametrize("preset", ["small", "medium", "large"])
def test_presets_produce_policy_and_value_logits(preset: str) -> None:
    config = ModelConfig.preset(preset)
    model = AlphaTriangleNet(config, ENV).eval()
    spec = feature_spec(ENV)
    with torch.no_grad():
        policy, value = model(torch.rand(3, *spec.board_shape), torch.rand(3, spec.other_dim))
    assert policy.shape == (3, ENV.ACTION_DIM)
    assert value.shape == (3, config.NUM_VALUE_ATOMS)
    assert torch.isfinite(policy).all() and torch.isfinite(value).all()
    assert (model.transformer is not None) == config.USE_TRANSFORMER


def test_evaluate_gives_probabilities_over_legal_actions_only() -> None:
    network = seeded_network(0, ModelConfig(), ENV)
    states = [GameState(initial_seed=s) for s in range(3)]
    states[1].step(min(states[1].valid_actions()))
    for state, (policy, value) in zip(states, network.evaluate_batch(states), strict=True):
        assert set(policy) == state.valid_actions()
        assert sum(policy.values()) == pytest.approx(1.0, abs=1e-5)
        assert np.isfinite(value)
    over = GameState.from_snapshot([], [None, None, None])
    assert network.evaluate(over)[0] == {}


def test_weights_round_trip_between_networks() -> None:
    source = seeded_network(1, ModelConfig(), ENV)
    target = seeded_network(2, ModelConfig(), ENV)
    batch = GameBatch.new(5, seeds=list(range(5)))
    before = target.evaluate_arrays(batch.occ, batch.shapes)
    weights = source.get_weights()
    assert all(isinstance(v, np.ndarray) for v in weights.values())
    target.set_weights(weights)
    after = target.evaluate_arrays(batch.occ, batch.shapes)
    expected = source.evaluate_arrays(batch.occ, batch.shapes)
    assert not np.allclose(before[0], after[0])
    np.testing.assert_allclose(after[0], expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(after[1], expected[1], rtol=1e-5, atol=1e-4)


def test_value_transform_inverts_and_two_hot_keeps_the_expectation() -> None:
    x = torch.tensor([-20.0, -3.5, 0.0, 0.7, 12.0, 150.0, 299.0])
    for eps in (0.0, 0.001):
        np.testing.assert_allclose(
            inverse_value_transform(value_transform(x, eps), eps), x, rtol=1e-4, atol=1e-4
        )
    support = ValueSupport(ModelConfig())
    target = support.project(x)
    assert torch.allclose(target.sum(1), torch.ones(len(x)))
    assert ((target > 0).sum(1) <= 2).all()
    recovered = inverse_value_transform((target * support.atoms).sum(1), support.eps)
    np.testing.assert_allclose(recovered, x, rtol=1e-3, atol=1e-3)
    clamped = support.project(torch.tensor([1e6]))
    assert clamped[0, -1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"VALUE_MIN": 5.0, "VALUE_MAX": 5.0}, "VALUE_MIN"),
        ({"USE_TRANSFORMER": True, "TRANSFORMER_DIM": 30, "TRANSFORMER_HEADS": 4}, "divisible"),
        ({"FC_DIMS_SHARED": (64, 0)}, "FC_DIMS_SHARED"),
        ({"NUM_VALUE_ATOMS": 1}, "NUM_VALUE_ATOMS"),
        ({"ACTIVATION_FUNCTION": "tanh"}, "ACTIVATION_FUNCTION"),
    ],
)
def test_model_config_rejects_inconsistent_dimensions(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ModelConfig.model_validate(overrides)
    with pytest.raises(ValueError, match="unknown model preset"):
        ModelConfig.preset("huge")


def test_device_resolution() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_automatic_inference_backend_per_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ONNX Runtime on a CPU without AMX, bfloat16 with AMX and on CUDA (decided without a
    GPU: no tensor is made)."""
    cpuinfo = tmp_path / "cpuinfo"
    monkeypatch.setattr(machine, "CPUINFO", str(cpuinfo))
    cpuinfo.write_text("flags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile amx_bf16\n")
    assert _choose_backend("auto", torch.device("cpu"), compile_model=False) == "bf16"
    assert _choose_backend("onnx", torch.device("cpu"), compile_model=False) == "onnx"
    cpuinfo.write_text("flags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert _choose_backend("auto", torch.device("cpu"), compile_model=False) == "onnx"
    assert _choose_backend("auto", torch.device("cpu"), compile_model=True) == "torch"
    assert _choose_backend("auto", torch.device("cuda"), compile_model=False) == "bf16"
    assert _choose_backend("auto", torch.device("cuda"), compile_model=True) == "torch"
    assert _choose_backend("torch", torch.device("cuda"), compile_model=False) == "torch"


def test_compiled_model_matches_eager() -> None:
    eager = seeded_network(4, ModelConfig(), ENV, inference="torch")
    compiled = seeded_network(4, ModelConfig(), ENV, compile_model=True)
    compiled.set_weights(eager.get_weights())
    batch = GameBatch.new(6, seeds=list(range(6)))
    expected = eager.evaluate_arrays(batch.occ, batch.shapes)
    got = compiled.evaluate_arrays(batch.occ, batch.shapes)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-4, atol=1e-3)


def test_inference_copy_matches_the_module_and_follows_training() -> None:
    network = seeded_network(5, ModelConfig(), ENV, inference="onnx")
    batch = GameBatch.new(8, seeds=list(range(8)))
    board, other = network.features.extract(batch.occ, batch.shapes)
    inputs = (torch.from_numpy(board), torch.from_numpy(other))
    optimizer = torch.optim.SGD(network.model.parameters(), lr=0.1)
    for _ in range(2):
        before = network.evaluate_arrays(batch.occ, batch.shapes)
        network.model.train()
        logits, value_logits = network.model(*inputs)
        optimizer.zero_grad()
        (logits.square().mean() + value_logits.mean()).backward()
        optimizer.step()
        network.model.eval()
        with torch.no_grad():
            expected_logits, expected_value_logits = network.model(*inputs)
        after = network.evaluate_arrays(batch.occ, batch.shapes)
        assert not np.allclose(before[0], after[0])
        np.testing.assert_allclose(after[0], expected_logits.numpy(), rtol=1e-4, atol=1e-4)
        expected_values = network.support.expected_value(expected_value_logits).numpy()
        np.testing.assert_allclose(after[1], expected_values, rtol=1e-4, atol=1e-3)


def test_policy_head_scores_each_slot_by_its_shape_in_action_order() -> None:
    spec = feature_spec(ENV)
    head = SlotPolicyHead(ModelConfig(), 32, spec.num_slots, spec.num_shapes).eval()
    features = torch.randn(2, 32, spec.rows, spec.cols)
    other = torch.zeros(2, spec.other_dim)
    shapes = [4, 9, 17]
    for slot, shape in enumerate(shapes):
        other[:, slot * spec.num_shapes + shape] = 1.0
    swapped = other.clone()
    swapped[:, : spec.num_shapes], swapped[:, 2 * spec.num_shapes : 3 * spec.num_shapes] = (
        other[:, 2 * spec.num_shapes : 3 * spec.num_shapes],
        other[:, : spec.num_shapes],
    )
    with torch.no_grad():
        logits = head(features, other).reshape(2, spec.num_slots, spec.rows, spec.cols)
        logits_swapped = head(features, swapped).reshape(2, spec.num_slots, spec.rows, spec.cols)
    assert logits.shape[0] * logits[0].numel() == 2 * ENV.ACTION_DIM
    torch.testing.assert_close(logits_swapped[:, 0], logits[:, 2])
    torch.testing.assert_close(logits_swapped[:, 2], logits[:, 0])
    torch.testing.assert_close(logits_swapped[:, 1], logits[:, 1])
    assert not torch.allclose(logits[:, 0], logits[:, 1])


@pytest.mark.parametrize("preset", ["small", "medium"])
def test_onnx_runtime_inference_matches_torch_and_follows_weight_updates(preset: str) -> None:
    onnx = seeded_network(6, ModelConfig.preset(preset), ENV, inference="onnx")
    reference = seeded_network(6, ModelConfig.preset(preset), ENV, inference="torch")
    assert (onnx.backend, reference.backend) == ("onnx", "torch")
    batch = GameBatch.new(7, seeds=list(range(7)))
    for _ in range(2):
        logits, values = onnx.evaluate_arrays(batch.occ, batch.shapes)
        expected_logits, expected_values = reference.evaluate_arrays(batch.occ, batch.shapes)
        assert onnx.backend == "onnx"
        np.testing.assert_allclose(logits, expected_logits, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(values, expected_values, rtol=1e-4, atol=1e-3)
        new_weights = seeded_network(7, ModelConfig.preset(preset), ENV).get_weights()
        onnx.set_weights(new_weights)
        reference.set_weights(new_weights)
    single = onnx.evaluate_arrays(batch.occ[:1], batch.shapes[:1])
    np.testing.assert_allclose(single[0], logits[:1], rtol=1e-4, atol=1e-4)


def test_onnx_inference_where_it_cannot_run_is_refused() -> None:
    with pytest.raises(ValueError, match="inference 'onnx' needs the onnxruntime package"):
        seeded_network(0, ModelConfig(), ENV, inference="onnx", compile_model=True)
    assert seeded_network(0, ModelConfig(), ENV, compile_model=True).backend == "torch"


def test_a_model_onnx_cannot_export_falls_back_to_torch(caplog: pytest.LogCaptureFixture) -> None:
    network = seeded_network(0, ModelConfig.preset("large"), ENV, inference="onnx")
    reference = seeded_network(0, ModelConfig.preset("large"), ENV, inference="torch")
    batch = GameBatch.new(2, seeds=[0, 1])
    logits, _ = network.evaluate_arrays(batch.occ, batch.shapes)
    assert network.backend == "torch" and "ONNX export failed" in caplog.text
    np.testing.assert_array_equal(logits, reference.evaluate_arrays(batch.occ, batch.shapes)[0])


@pytest.mark.parametrize("preset", ["small", "medium"])
def test_bfloat16_inference_is_close_to_float32_and_follows_weight_updates(preset: str) -> None:
    """bfloat16 keeps 8 bits of mantissa: probabilities and values agree with float32 to
    about a percent, and the copy is rebuilt when the weights change."""
    half = seeded_network(6, ModelConfig.preset(preset), ENV, inference="bf16")
    reference = seeded_network(6, ModelConfig.preset(preset), ENV, inference="torch")
    batch = GameBatch.new(32, seeds=list(range(32)))
    rng = np.random.default_rng(0)
    for _ in range(8):
        moves = [rng.choice(np.flatnonzero(m)) if m.any() else -1 for m in batch.legal_mask()]
        batch.step(np.array(moves))
    legal = batch.legal_mask()
    for _ in range(2):
        logits, values = half.evaluate_arrays(batch.occ, batch.shapes)
        expected_logits, expected_values = reference.evaluate_arrays(batch.occ, batch.shapes)
        assert logits.dtype == np.float32 and values.dtype == np.float32
        probs = torch.softmax(
            torch.from_numpy(logits).masked_fill(~torch.from_numpy(legal), -1e9), 1
        )
        expected = torch.softmax(
            torch.from_numpy(expected_logits).masked_fill(~torch.from_numpy(legal), -1e9), 1
        )
        torch.testing.assert_close(probs, expected, rtol=0.0, atol=0.02)
        np.testing.assert_allclose(values, expected_values, rtol=0.03, atol=0.05)
        assert not np.array_equal(logits, expected_logits)
        new_weights = seeded_network(7, ModelConfig.preset(preset), ENV).get_weights()
        half.set_weights(new_weights)
        reference.set_weights(new_weights)
