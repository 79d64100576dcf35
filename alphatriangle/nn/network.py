"""`NeuralNetwork`: the model behind a batched inference API for search and self-play."""

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import torch

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.config.selfplay_config import InferenceBackend
from alphatriangle.features import FeatureExtractor
from alphatriangle.game import GameState
from alphatriangle.nn.inference import (
    OnnxInference,
    bfloat16_copy,
    folded_for_inference,
    onnx_runtime_installed,
    weights_version,
)
from alphatriangle.nn.model import AlphaTriangleNet
from alphatriangle.nn.value_support import ValueSupport
from alphatriangle.utils.machine import cpu_has_amx, cpu_has_native_bf16
from alphatriangle.utils.softmax import masked_softmax

logger = logging.getLogger(__name__)

Weights = dict[str, npt.NDArray[np.generic]]
PolicyValueOutput = tuple[dict[int, float], float]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """`auto` picks CUDA when present, else the CPU; asking for absent CUDA is an error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available; use cpu")
    return resolved


class NeuralNetwork:
    """Wraps `AlphaTriangleNet`: features, device placement, masking, weights transfer."""

    def __init__(
        self,
        model_config: ModelConfig,
        env_config: EnvConfig,
        device: str | torch.device = "auto",
        compile_model: bool = False,
        inference: InferenceBackend = "auto",
    ) -> None:
        self.model_config = model_config
        self.env_config = env_config
        self.device = resolve_device(device)
        self.backend = _choose_backend(inference, self.device, compile_model)
        self._onnx: OnnxInference | None = None
        self._onnx_version: tuple[int, ...] = ()
        self.model = AlphaTriangleNet(model_config, env_config).to(self.device)
        self.model.eval()
        self._tracked = [*self.model.parameters(), *self.model.buffers()]
        self.support = ValueSupport(model_config, self.device)
        self.features = FeatureExtractor(env_config)
        self._compiled = torch.compile(self.model) if compile_model else None
        self._folded: torch.nn.Module | None = None
        self._folded_version: tuple[int, ...] = ()
        self._buffers: dict[int, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}

    def _feature_buffers(self, n: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        if n not in self._buffers:
            self._buffers[n] = self.features.allocate(n)
        return self._buffers[n]

    def _inference_forward(self) -> torch.nn.Module:
        """The compiled model, or a folded copy rebuilt whenever the weights have changed."""
        if self._compiled is not None:
            return self._compiled  # type: ignore[return-value]
        version = weights_version(self._tracked)
        if self._folded is None or version != self._folded_version:
            self._folded = folded_for_inference(self.model)
            if self.backend == "bf16":
                self._folded = bfloat16_copy(self._folded)
            self._folded_version = version
        return self._folded

    def _onnx_inference(
        self, board: npt.NDArray[np.float32], other: npt.NDArray[np.float32]
    ) -> OnnxInference | None:
        """The ONNX Runtime copy of the current weights (exported again after they change);
        None, and torch from then on, if this model does not export."""
        version = weights_version(self._tracked)
        if self._onnx is None or version != self._onnx_version:
            try:
                with torch.inference_mode(False), torch.no_grad():
                    folded = folded_for_inference(self.model)
                    self._onnx = OnnxInference(
                        folded, torch.from_numpy(board.copy()), torch.from_numpy(other.copy())
                    )
            except Exception as error:
                logger.warning("ONNX export failed (%s); inference runs in torch", error)
                self.backend = "torch"
                return None
            self._onnx_version = version
        return self._onnx

    @torch.inference_mode()
    def evaluate_arrays(
        self, occ: npt.NDArray[np.uint64], shapes: npt.NDArray[np.int8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """The fast path: positions as core arrays to (policy logits [n, A], values [n]).

        Logits are raw: the search masks illegal actions itself.
        """
        board, other = self.features.extract(occ, shapes, self._feature_buffers(occ.shape[0]))
        onnx = self._onnx_inference(board, other) if self.backend == "onnx" else None
        if onnx is not None:
            policy, value_logits = onnx(board, other)
            values = self.support.expected_value(torch.from_numpy(value_logits))
            return policy, values.numpy().astype(np.float32)
        dtype = torch.bfloat16 if self.backend == "bf16" else torch.float32
        board_tensor = torch.from_numpy(board).to(self.device, dtype)
        logits, value_logits = self._inference_forward()(
            board_tensor.contiguous(memory_format=torch.channels_last),
            torch.from_numpy(other).to(self.device, dtype),
        )
        values = self.support.expected_value(value_logits)
        return (
            logits.float().cpu().numpy(),
            values.cpu().numpy().astype(np.float32),
        )

    def evaluate_batch(self, states: Sequence[GameState]) -> list[PolicyValueOutput]:
        """Per state: probabilities over its legal actions (illegal ones get none) and value."""
        if not states:
            return []
        occ = np.stack([s.batch.occ[0] for s in states])
        shapes = np.stack([s.batch.shapes[0] for s in states])
        logits, values = self.evaluate_arrays(occ, shapes)
        outputs: list[PolicyValueOutput] = []
        for state, row, value in zip(states, logits, values, strict=True):
            mask = state.valid_action_mask()
            if not mask.any():
                outputs.append(({}, float(value)))
                continue
            probs = np.where(mask, row, -np.inf)
            masked_softmax(probs, probs)
            legal = np.flatnonzero(mask)
            outputs.append(({int(a): float(probs[a]) for a in legal}, float(value)))
        return outputs

    def evaluate(self, state: GameState) -> PolicyValueOutput:
        """One position: `({legal action: probability}, value)`, the value in points (the
        discounted return the network expects from here)."""
        return self.evaluate_batch([state])[0]

    def get_weights(self) -> Weights:
        """The model's state as CPU NumPy arrays (plain data: safe to send and store)."""
        return {k: v.detach().cpu().numpy() for k, v in self.model.state_dict().items()}

    def set_weights(self, weights: Mapping[str, npt.NDArray[np.generic] | torch.Tensor]) -> None:
        """Load a state dict (`get_weights`'s form, or tensors); every key must match the
        model's. Inference copies are rebuilt on the next evaluation."""
        state = {k: torch.as_tensor(np.asarray(v)) for k, v in weights.items()}
        self.model.load_state_dict(state)
        self.model.eval()


def _choose_backend(
    inference: InferenceBackend, device: torch.device, compile_model: bool
) -> InferenceBackend:
    """`auto`: bfloat16 on CUDA (the tensor cores' rate, half the memory traffic) and on a CPU
    with AMX (1.2x ONNX Runtime's rate at batch 32, 1.6x at 128), ONNX Runtime for other CPU
    networks when it is installed, torch when compiled or without it; `onnx` where it cannot
    run is an error; `bf16` runs anywhere but is slow where emulated (a warning)."""
    if inference == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        logger.warning("this CPU has no native bfloat16: bf16 inference is emulated and slow")
    possible = device.type == "cpu" and not compile_model and onnx_runtime_installed()
    if inference == "onnx" and not possible:
        raise ValueError(
            "inference 'onnx' needs the onnxruntime package and a CPU network without "
            "torch.compile; use inference 'torch' or 'auto'"
        )
    if inference == "auto":
        if compile_model:
            return "torch"
        if device.type == "cuda" or cpu_has_amx():
            return "bf16"
        return "onnx" if possible else "torch"
    return inference
