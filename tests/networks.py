"""Networks for tests, with torch seeded first (NeuralNetwork itself never seeds torch)."""

from typing import Any

import torch

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.nn import NeuralNetwork


def seeded_network(seed: int, model: ModelConfig, env: EnvConfig, **options: Any) -> NeuralNetwork:
    """A CPU network whose initial weights come from `torch.manual_seed(seed)`."""
    torch.manual_seed(seed)
    return NeuralNetwork(model, env, device="cpu", **options)
