"""An inference copy of the model: BatchNorm folded into the convolutions, channels-last.

Folding removes a pass over every activation and channels-last suits oneDNN's convolutions:
together about 1.3x the CPU forward rate of the training module at self-play batch sizes.
"""

import copy
import importlib.util
import io
import warnings
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def _fold_sequential(sequence: nn.Sequential) -> None:
    names = list(sequence._modules)
    for first, second in pairwise(names):
        conv, norm = sequence._modules[first], sequence._modules[second]
        if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
            sequence._modules[first] = fuse_conv_bn_eval(conv, norm)
            sequence._modules[second] = nn.Identity()


def folded_for_inference(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` with each Conv2d+BatchNorm2d pair fused, channels-last."""
    folded = copy.deepcopy(model).eval()
    for module in folded.modules():
        if isinstance(module, nn.Sequential):
            _fold_sequential(module)
    for parameter in folded.parameters():
        parameter.requires_grad_(False)
    channels_last: nn.Module = folded.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return channels_last


def weights_version(tensors: Sequence[torch.Tensor]) -> tuple[int, ...]:
    """Changes whenever any of a model's parameters and buffers (`tensors`, listed once) is
    modified in place (an optimizer step, `load_state_dict`)."""
    return tuple(t._version for t in tensors)


def bfloat16_copy(folded: nn.Module) -> nn.Module:
    """The folded model with its weights in bfloat16: oneDNN's bfloat16 convolutions take
    about half the time of float32 on CPUs that have them."""
    half: nn.Module = copy.deepcopy(folded).to(torch.bfloat16)
    return half


def onnx_runtime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


class OnnxInference:
    """The folded model exported to ONNX and run by ONNX Runtime with torch's thread count:
    on this project's CPU about 1.5 to 3x the folded torch copy's rate (see the README's
    Speed section). Built from example inputs; any batch size runs afterwards."""

    def __init__(self, folded: nn.Module, board: torch.Tensor, other: torch.Tensor) -> None:
        import onnxruntime

        program = io.BytesIO()
        batch = {0: "batch"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on its own internals
            torch.onnx.export(  # the TorchScript exporter writes to a file object too
                folded, (board, other), program, input_names=["board", "other"],  # type: ignore[arg-type]
                output_names=["policy", "value"], dynamo=False,
                dynamic_axes={"board": batch, "other": batch, "policy": batch, "value": batch},
            )  # fmt: skip
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            program.getvalue(), options, providers=["CPUExecutionProvider"]
        )

    def __call__(
        self, board: npt.NDArray[np.float32], other: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(policy logits [n, ACTION_DIM], value logits [n, atoms])."""
        policy, value = self.session.run(None, {"board": board, "other": other})
        return policy, value
