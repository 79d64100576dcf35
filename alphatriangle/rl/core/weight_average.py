"""An exponential moving average of the trained weights (`train.WEIGHT_EMA_DECAY`): what a
run plays, evaluates and checkpoints, so that the games and the scores come from weights
with the step-to-step noise of SGD averaged out."""

import torch

from alphatriangle.nn.network import Weights


def average_decay(decay: float, updates: int) -> float:
    """The decay of the `updates`-th update: `decay`, but at most (1 + n) / (10 + n), so
    that the first averages follow the first steps instead of the initial weights."""
    return min(decay, (1.0 + updates) / (10.0 + updates))


class WeightAverage:
    """The average of a model's state (parameters and BatchNorm statistics; integer entries
    such as BatchNorm's step count are copied)."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Move the average towards the model's state after a step."""
        self.updates += 1
        weight = 1.0 - average_decay(self.decay, self.updates)
        for key, value in model.state_dict().items():
            average = self.state[key]
            if average.is_floating_point():
                average.lerp_(value.detach().to(average.dtype), weight)
            else:
                average.copy_(value)

    def weights(self) -> Weights:
        """The average as CPU NumPy arrays (`NeuralNetwork.get_weights`'s form)."""
        return {k: v.cpu().numpy().copy() for k, v in self.state.items()}

    def get_state(self) -> dict[str, object]:
        return {"state": {k: v.cpu().clone() for k, v in self.state.items()},
                "updates": self.updates}  # fmt: skip

    def load_state(self, saved: dict[str, object]) -> None:
        state = saved["state"]
        if not isinstance(state, dict) or set(state) != set(self.state):
            raise ValueError("the saved weight average does not match the model's state")
        for key, value in state.items():
            self.state[key].copy_(value)
        self.updates = int(saved["updates"])  # type: ignore[call-overload]
