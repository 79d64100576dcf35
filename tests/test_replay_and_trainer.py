"""ExperienceBuffer (uniform and prioritized) and Trainer."""

import numpy as np
import pytest
import torch
from networks import seeded_network

from alphatriangle.config import EnvConfig, MCTSConfig, ModelConfig, SelfPlayConfig, TrainConfig
from alphatriangle.features import feature_spec
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import Experiences, SelfPlayWorker
from alphatriangle.rl.core import ExperienceBuffer, ReplaySettings, SampledBatch, Trainer
from alphatriangle.rl.core.sum_tree import leaf_base, sum_tree_find, sum_tree_set
from alphatriangle.rl.core.trainer import cosine_learning_rate
from alphatriangle.utils.machine import cpu_has_native_bf16

ENV = EnvConfig()
SPEC = feature_spec(ENV)


def _experiences(n: int, start: int = 0) -> Experiences:
    """Examples whose value is their serial number, so positions can be traced."""
    rng = np.random.default_rng(start)
    policy = rng.random((n, ENV.ACTION_DIM)).astype(np.float32)
    return Experiences.without_bootstrap(
        board=rng.integers(0, 2, size=(n, *SPEC.board_shape), dtype=np.uint8),
        other=rng.random((n, SPEC.other_dim)).astype(np.float32),
        policy=policy / policy.sum(1, keepdims=True),
        value=np.arange(start, start + n, dtype=np.float32),
        num_slots=SPEC.num_slots,
    )


def _buffer(capacity: int, use_per: bool, min_size: int = 1) -> ExperienceBuffer:
    settings = ReplaySettings(capacity=capacity, min_size_to_train=min_size, use_per=use_per,
                              beta_anneal_steps=100)  # fmt: skip
    return ExperienceBuffer(
        settings, SPEC.board_shape, SPEC.other_dim, ENV.ACTION_DIM, SPEC.num_slots, seed=0
    )


def test_ring_buffer_keeps_the_newest_examples() -> None:
    buffer = _buffer(10, use_per=False, min_size=8)
    buffer.add_batch(_experiences(6))
    assert len(buffer) == 6 and not buffer.is_ready()
    assert buffer.sample(7) is None
    buffer.add_batch(_experiences(7, start=6))
    assert len(buffer) == 10 and buffer.is_ready()
    assert sorted(buffer.value.tolist()) == list(range(3, 13))
    buffer.add_batch(_experiences(25, start=13))
    assert sorted(buffer.value.tolist()) == list(range(28, 38))
    batch = buffer.sample(5)
    assert batch is not None
    assert np.array_equal(batch.experiences.value, buffer.value[batch.indices])
    assert (batch.weights == 1).all()


def test_sum_tree_samples_in_proportion_to_priority() -> None:
    base = leaf_base(5)
    tree = np.zeros(2 * base)
    sum_tree_set(tree, base, np.arange(5), np.array([1.0, 0.0, 3.0, 0.0, 6.0]))
    assert tree[1] == pytest.approx(10.0)
    masses = np.random.default_rng(0).random(20_000) * 10.0
    out = np.empty(20_000, dtype=np.int64)
    sum_tree_find(tree, base, 5, masses, out)
    counts = np.bincount(out, minlength=5) / 20_000
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.3, 0.0, 0.6], atol=0.02)


def test_prioritized_sampling_prefers_large_errors_and_corrects_with_weights() -> None:
    buffer = _buffer(100, use_per=True)
    buffer.add_batch(_experiences(100))
    errors = np.full(100, 0.01)
    errors[7] = 50.0
    buffer.update_priorities(np.arange(100), errors)
    batch = buffer.sample(64, step=0)
    assert batch is not None
    assert (batch.indices == 7).mean() > 0.5
    assert batch.weights[batch.indices == 7].max() < batch.weights[batch.indices != 7].min()
    assert batch.weights.max() == pytest.approx(1.0)
    assert buffer.beta(0) == pytest.approx(0.4) and buffer.beta(100) == pytest.approx(1.0)
    assert buffer.beta(50) == pytest.approx(0.7)
    assert buffer.beta(0, time_fraction=0.5) == pytest.approx(0.7)
    assert buffer.beta(75, time_fraction=0.5) == pytest.approx(0.85)
    assert buffer.beta(10, time_fraction=3.0) == pytest.approx(1.0)
    buffer.add_batch(_experiences(1, start=500))
    assert buffer.priorities()[0] == pytest.approx(50.0**0.6, rel=1e-3)


def test_cosine_learning_rate_follows_progress() -> None:
    assert cosine_learning_rate(1e-3, 1e-5, 0.0) == pytest.approx(1e-3)
    assert cosine_learning_rate(1e-3, 1e-5, 0.5) == pytest.approx((1e-3 + 1e-5) / 2)
    assert cosine_learning_rate(1e-3, 1e-5, 0.25) == pytest.approx(
        1e-5 + (1e-3 - 1e-5) * (1 + 2**-0.5) / 2
    )
    assert cosine_learning_rate(1e-3, 1e-5, 1.0) == pytest.approx(1e-5)
    assert cosine_learning_rate(1e-3, 1e-5, 7.0) == pytest.approx(1e-5)
    config = TrainConfig(LEARNING_RATE=2e-3, LR_SCHEDULER_ETA_MIN=0.0)
    trainer = Trainer(NeuralNetwork(ModelConfig(), EnvConfig(), device="cpu"), config)
    trainer.set_progress(0.5)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)
    assert len(trainer.optimizer.param_groups) == 1


def test_the_ntuple_table_learns_at_its_share_of_the_schedules_rate() -> None:
    config = TrainConfig(LEARNING_RATE=2e-3, LR_SCHEDULER_ETA_MIN=0.0, NTUPLE_TABLE_LR_SCALE=0.1)
    network = NeuralNetwork(ModelConfig(NTUPLE_VALUE_DIM=1), EnvConfig(), device="cpu")
    trainer = Trainer(network, config)
    rest, table = trainer.optimizer.param_groups
    assert table["params"] == [network.model.ntuple.table.weight]  # type: ignore[union-attr]
    assert len(rest["params"]) == len(list(network.model.parameters())) - 1
    assert (rest["lr"], table["lr"]) == pytest.approx((2e-3, 2e-4))
    trainer.set_progress(0.5)
    assert (rest["lr"], table["lr"]) == pytest.approx((1e-3, 1e-4))


@pytest.mark.parametrize("bf16", [False, True])
def test_trainer_fits_self_play_data(bf16: bool) -> None:
    model = ModelConfig(CONV_FILTERS=16, NUM_RESIDUAL_BLOCKS=1)
    play = SelfPlayConfig(GAMES_PER_WORKER=8, N_STEP_RETURNS=3)
    worker = SelfPlayWorker(0, ENV, MCTSConfig(NUM_SIMULATIONS=4), model, play, seed=0)
    data = Experiences.concatenate([r.experiences for r in worker.run_episodes()])
    buffer = _buffer(len(data), use_per=True)
    buffer.add_batch(data)
    network = seeded_network(0, model, ENV)
    config = TrainConfig(
        LEARNING_RATE=3e-3,
        BATCH_SIZE=32,
        MAX_TRAINING_STEPS=200,
        CPU_BF16_TRAINING=bf16,
    )
    trainer = Trainer(network, config)
    assert trainer.autocast_dtype == (torch.bfloat16 if bf16 else None)
    history = []
    for step in range(150):
        batch = buffer.sample(min(32, len(buffer)), step)
        assert batch is not None
        trainer.set_progress(step / config.MAX_TRAINING_STEPS)
        metrics, errors = trainer.train_step(batch)
        buffer.update_priorities(batch.indices, errors)
        history.append(metrics)
    first = history[0]
    assert metrics["Loss/Total"] < 0.7 * first["Loss/Total"]
    assert metrics["Loss/Value"] < first["Loss/Value"]
    assert metrics["LearningRate"] == pytest.approx(
        cosine_learning_rate(3e-3, config.LR_SCHEDULER_ETA_MIN, 149 / 200)
    )
    assert not network.model.training
    state = trainer.get_state()
    fresh = Trainer(network, TrainConfig(LEARNING_RATE=3e-3, MAX_TRAINING_STEPS=200))
    fresh.load_state(state)
    assert fresh.optimizer.param_groups[0]["lr"] == pytest.approx(metrics["LearningRate"], rel=0.05)


def test_the_weight_average_decays_slower_at_first_and_copies_integer_state() -> None:
    """Decay min(d, (1 + n) / (10 + n)): 2/11 at the first update, so 0 moves to 9/11 of
    the way to 1; at update 990, 991/1000; later d itself."""
    from alphatriangle.rl.core.weight_average import WeightAverage, average_decay

    assert average_decay(0.999, 1) == pytest.approx(2 / 11)
    assert average_decay(0.999, 990) == pytest.approx(0.991)
    assert average_decay(0.999, 100_000) == 0.999
    model = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        model.weight.zero_()
    average = WeightAverage(model, decay=0.999)
    assert model.num_batches_tracked is not None
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.num_batches_tracked.fill_(7)
    average.update(model)
    weight = np.asarray(average.weights()["weight"], dtype=np.float64)
    np.testing.assert_allclose(weight, np.full(2, 9 / 11), rtol=1e-6)
    assert average.weights()["num_batches_tracked"] == 7
    average.update(model)  # 3/12 of the way left: 9/11 + (1 - 9/11) * 9/12
    weight = np.asarray(average.weights()["weight"], dtype=np.float64)
    np.testing.assert_allclose(weight, np.full(2, 9 / 11 + 2 / 11 * 0.75), rtol=1e-6)


def test_a_trainer_with_a_weight_average_plays_it_and_resumes_the_trained_weights() -> None:
    model = ModelConfig(CONV_FILTERS=8, NUM_RESIDUAL_BLOCKS=1)
    buffer = _buffer(64, use_per=False)
    data = _experiences(64)
    buffer.add_batch(
        Experiences.without_bootstrap(
            board=data.board, other=data.other, policy=data.policy,
            value=(data.value / 16).astype(np.float32), num_slots=SPEC.num_slots,
        )
    )  # fmt: skip
    network = seeded_network(0, model, ENV, inference="torch")
    config = TrainConfig(BATCH_SIZE=16, WEIGHT_EMA_DECAY=0.9, CPU_BF16_TRAINING=False)
    trainer = Trainer(network, config)
    for step in range(20):
        batch = buffer.sample(16, step)
        assert batch is not None
        trainer.train_step(batch)
    trained, played = network.get_weights(), trainer.play_weights()
    assert any(not np.array_equal(trained[k], played[k]) for k in trained)
    state = trainer.get_state()
    resumed_network = seeded_network(1, model, ENV, inference="torch")
    resumed_network.set_weights(played)  # a checkpoint's weights are the average
    resumed = Trainer(resumed_network, config)
    resumed.load_state(state)
    for key, value in resumed_network.get_weights().items():
        np.testing.assert_array_equal(value, trained[key])
    for key, value in resumed.play_weights().items():
        np.testing.assert_array_equal(value, played[key])
    assert resumed.average is not None and resumed.average.updates == 20
    plain = Trainer(seeded_network(2, model, ENV, inference="torch"), TrainConfig())
    for key, value in plain.play_weights().items():
        np.testing.assert_array_equal(value, plain.network.get_weights()[key])


def test_refreshed_value_targets_bootstrap_from_the_current_network() -> None:
    model = ModelConfig(CONV_FILTERS=16, NUM_RESIDUAL_BLOCKS=1)
    play = SelfPlayConfig(GAMES_PER_WORKER=4, N_STEP_RETURNS=3)
    worker = SelfPlayWorker(0, ENV, MCTSConfig(NUM_SIMULATIONS=4), model, play, seed=1)
    data = Experiences.concatenate([r.experiences for r in worker.run_episodes()])
    bootstrapped = data.bootstrap_discount > 0
    assert bootstrapped.any() and not bootstrapped.all()  # the last 3 moves of a game are not
    np.testing.assert_allclose(data.bootstrap_discount[bootstrapped], 0.99**3, rtol=1e-6)
    network = seeded_network(3, model, ENV, inference="torch")
    stored = Trainer(network, TrainConfig()).value_targets(data).numpy()
    np.testing.assert_array_equal(stored, data.value)
    refreshed = Trainer(network, TrainConfig(REFRESH_VALUE_TARGETS=True)).value_targets(data)
    _, later = network.evaluate_arrays(data.bootstrap_occ, data.bootstrap_shapes)
    expected = np.where(bootstrapped, data.reward_sum + data.bootstrap_discount * later, data.value)
    np.testing.assert_allclose(refreshed.numpy(), expected, rtol=1e-4, atol=1e-3)
    # Without a bootstrap, the stored target is its reward sum: nothing to refresh.
    np.testing.assert_allclose(data.value[~bootstrapped], data.reward_sum[~bootstrapped], atol=1e-5)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (True, torch.bfloat16),
        (False, None),
        ("auto", torch.bfloat16 if cpu_has_native_bf16() else None),
    ],
)
def test_cpu_bfloat16_setting_picks_the_trainers_autocast(
    setting: bool | str, expected: torch.dtype | None
) -> None:
    model = ModelConfig(CONV_FILTERS=16, NUM_RESIDUAL_BLOCKS=1)
    config = TrainConfig.model_validate({"CPU_BF16_TRAINING": setting})
    assert Trainer(seeded_network(0, model, ENV), config).autocast_dtype == expected


def test_bfloat16_training_computes_in_bfloat16_and_stays_close() -> None:
    """The first step's losses in bfloat16 autocast are within a percent or two of float32's,
    but not equal to them: the autocast is really on."""
    model = ModelConfig(CONV_FILTERS=16, NUM_RESIDUAL_BLOCKS=1)
    play = SelfPlayConfig(GAMES_PER_WORKER=4, N_STEP_RETURNS=3)
    worker = SelfPlayWorker(0, ENV, MCTSConfig(NUM_SIMULATIONS=4), model, play, seed=2)
    data = Experiences.concatenate([r.experiences for r in worker.run_episodes()])
    rows = np.arange(min(64, len(data)))
    batch = SampledBatch(rows, data.select(rows), np.ones(rows.size, np.float32))
    losses = {}
    for bf16 in (False, True):
        trainer = Trainer(seeded_network(3, model, ENV), TrainConfig(CPU_BF16_TRAINING=bf16))
        metrics, _ = trainer.train_step(batch)
        losses[bf16] = (metrics["Loss/Policy"], metrics["Loss/Value"])
    assert losses[True] != losses[False]
    np.testing.assert_allclose(losses[True], losses[False], rtol=0.02)


def test_only_finite_examples_with_distribution_policies_are_valid() -> None:
    policy = np.array(
        [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.6, 0.3, 0.0], [0.2, 0.2, 0.6], [0.25, 0.75, 0.0]],
        dtype=np.float32,
    )
    value = np.array([1.0, np.nan, 2.0, 3.0, 4.0], dtype=np.float32)
    other = np.zeros((5, 2), dtype=np.float32)
    other[3, 1] = np.inf
    experiences = Experiences.without_bootstrap(
        np.zeros((5, 1, 2, 2), np.uint8), other, policy, value, num_slots=3
    )
    # Row 1: value NaN (and so its reward sum); row 2: policy sums to 0.9; row 3: inf feature.
    assert experiences.valid_rows().tolist() == [True, False, False, False, True]
    assert experiences.select(experiences.valid_rows()).value.tolist() == [1.0, 4.0]
