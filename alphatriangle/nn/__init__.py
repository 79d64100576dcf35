"""The policy/value network and its inference wrapper."""

from alphatriangle.nn.model import AlphaTriangleNet, SlotPolicyHead
from alphatriangle.nn.network import NeuralNetwork, resolve_device
from alphatriangle.nn.ntuple_features import NTupleFeatures
from alphatriangle.nn.value_support import ValueSupport, inverse_value_transform, value_transform

__all__ = [
    "AlphaTriangleNet",
    "NTupleFeatures",
    "NeuralNetwork",
    "SlotPolicyHead",
    "ValueSupport",
    "inverse_value_transform",
    "resolve_device",
    "value_transform",
]
