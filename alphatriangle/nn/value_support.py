"""Categorical value distribution over a support in transformed space.

Returns are squashed by the invertible h(x) = sign(x)(sqrt(|x|+1)-1) + eps*x (as in
MuZero) so large returns fit few atoms; targets are projected onto the two nearest atoms.
"""

import torch

from alphatriangle.config import ModelConfig


def value_transform(x: torch.Tensor, eps: float) -> torch.Tensor:
    return torch.sign(x) * (torch.sqrt(x.abs() + 1.0) - 1.0) + eps * x


def inverse_value_transform(y: torch.Tensor, eps: float) -> torch.Tensor:
    if eps == 0.0:
        return torch.sign(y) * ((y.abs() + 1.0) ** 2 - 1.0)
    root = (torch.sqrt(1.0 + 4.0 * eps * (y.abs() + 1.0 + eps)) - 1.0) / (2.0 * eps)
    return torch.sign(y) * (root**2 - 1.0)


class ValueSupport:
    """The atoms of the value head and conversions between values and distributions."""

    def __init__(self, config: ModelConfig, device: torch.device | str = "cpu") -> None:
        self.eps = config.VALUE_TRANSFORM_EPSILON
        self.num_atoms = config.NUM_VALUE_ATOMS
        low = value_transform(torch.tensor(config.VALUE_MIN), self.eps).item()
        high = value_transform(torch.tensor(config.VALUE_MAX), self.eps).item()
        self.atoms = torch.linspace(low, high, self.num_atoms, device=device)
        self.low, self.high = low, high
        self.delta = (high - low) / (self.num_atoms - 1)

    def to(self, device: torch.device | str) -> "ValueSupport":
        self.atoms = self.atoms.to(device)
        return self

    def expected_value(self, logits: torch.Tensor) -> torch.Tensor:
        """[batch, atoms] logits to [batch] values in return space."""
        probs = torch.softmax(logits.float(), dim=-1)
        return inverse_value_transform((probs * self.atoms).sum(-1), self.eps)

    def project(self, values: torch.Tensor) -> torch.Tensor:
        """[batch] returns to [batch, atoms] two-hot targets, clamped to the support."""
        y = value_transform(values.float(), self.eps).clamp(self.low, self.high)
        position = (y - self.low) / self.delta
        lower = position.floor().long().clamp(0, self.num_atoms - 1)
        upper = (lower + 1).clamp(max=self.num_atoms - 1)
        upper_weight = position - lower.float()
        target = torch.zeros(values.shape[0], self.num_atoms, device=values.device)
        target.scatter_add_(1, lower.unsqueeze(1), (1.0 - upper_weight).unsqueeze(1))
        target.scatter_add_(1, upper.unsqueeze(1), upper_weight.unsqueeze(1))
        return target
