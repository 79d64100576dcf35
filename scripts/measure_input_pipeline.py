"""The trainer's input pipeline (sampling, value targets, symmetry images, tensors) at batch
1,024 and its share of a step, on whichever checkout is first on `sys.path`: code from before
`Trainer.prepare` existed runs the same steps inline, so one harness measures both sides of
an A/B (docs/experiments.md, *Speed*).

    PYTHONPATH=/path/to/old/checkout python scripts/measure_input_pipeline.py 20 before
    python scripts/measure_input_pipeline.py 20 after
"""

import json
import sys
import time
from typing import Any

import numpy as np
import torch

from alphatriangle.bench.search import midgame_positions
from alphatriangle.config import load_run_config
from alphatriangle.features import FeatureExtractor, feature_spec
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.core import ExperienceBuffer, ReplaySettings, SampledBatch, Trainer
from alphatriangle.rl.types import Experiences

BATCH = 1024
EXAMPLES = 100_000


def filled_buffer() -> ExperienceBuffer:
    env = load_run_config("laptop").env
    spec = feature_spec(env)
    positions = midgame_positions(EXAMPLES, env)
    board, other = FeatureExtractor(env).extract(positions.occ, positions.shapes)
    rng = np.random.default_rng(0)
    policy = board[:, 3:].reshape(EXAMPLES, -1) * rng.random((EXAMPLES, env.ACTION_DIM))
    policy /= np.maximum(policy.sum(1, keepdims=True), 1e-9)
    value = rng.normal(20, 10, EXAMPLES).astype(np.float32)
    examples = Experiences.without_bootstrap(
        board.astype(np.uint8), other, policy.astype(np.float32), value, spec.num_slots
    )
    settings = ReplaySettings(capacity=EXAMPLES, min_size_to_train=BATCH, use_per=True)
    buffer = ExperienceBuffer(
        settings, spec.board_shape, spec.other_dim, env.ACTION_DIM, spec.num_slots, seed=0
    )
    buffer.add_batch(examples)
    return buffer


def prepare(trainer: Trainer, batch: SampledBatch) -> Any:
    """`Trainer.prepare`, or what `train_step` did before its first line ran the model."""
    if hasattr(trainer, "prepare"):
        return trainer.prepare(batch)
    exp = batch.experiences
    targets = trainer.value_targets(exp)
    assert trainer.augment is not None
    exp = trainer.augment(exp)
    board = torch.from_numpy(exp.board).float()
    legal = board[:, 3:].flatten(1) > 0.5
    return board, torch.from_numpy(exp.other), torch.from_numpy(exp.policy), legal, targets


def main(seconds: float, label: str) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = load_run_config("laptop", settings={"train.BATCH_SIZE": BATCH})
    buffer = filled_buffer()
    network = NeuralNetwork(config.model, config.env, device="cpu")
    trainer = Trainer(network, config.train, np.random.SeedSequence(0))
    sampling = preparing = stepping = 0.0
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        began = time.perf_counter()
        batch = buffer.sample(BATCH, steps)
        assert batch is not None
        sampled = time.perf_counter()
        prepare(trainer, batch)
        prepared = time.perf_counter()
        _, errors = trainer.train_step(batch)
        stepped = time.perf_counter()
        buffer.update_priorities(batch.indices, errors)
        sampling += sampled - began
        preparing += prepared - sampled
        stepping += stepped - prepared
        steps += 1
    result = {
        "tree": label,
        "steps": steps,
        "pipeline_samples_per_s": round(steps * BATCH / (sampling + preparing)),
        "sample_ms": round(1e3 * sampling / steps, 3),
        "prepare_ms": round(1e3 * preparing / steps, 3),
        "step_ms": round(1e3 * (sampling + stepping) / steps, 2),
        "pipeline_share_of_step": round((sampling + preparing) / (sampling + stepping), 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2])
