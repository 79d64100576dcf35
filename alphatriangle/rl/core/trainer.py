"""`Trainer`: one optimisation step of the network on a sampled batch."""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch.nn import functional

from alphatriangle.config import TrainConfig
from alphatriangle.features import BOARD_BASE_PLANES
from alphatriangle.nn import AlphaTriangleNet, NeuralNetwork
from alphatriangle.nn.network import Weights
from alphatriangle.rl.core.augment import SymmetryAugmenter
from alphatriangle.rl.core.buffer import SampledBatch
from alphatriangle.rl.core.weight_average import WeightAverage
from alphatriangle.rl.types import Experiences
from alphatriangle.utils.machine import cpu_has_native_bf16


@dataclass(frozen=True)
class TrainingTensors:
    """A sampled batch as the step takes it, on the trainer's device."""

    board: torch.Tensor
    """[n, channels, ROWS, COLS] float feature planes."""
    other: torch.Tensor
    policy: torch.Tensor
    """[n, ACTION_DIM] search policy targets."""
    value: torch.Tensor
    """[n] value targets (refreshed when `REFRESH_VALUE_TARGETS`)."""
    weights: torch.Tensor
    """[n] importance weights."""
    legal: torch.Tensor
    """[n, ACTION_DIM] bool: the legal actions (the anchor planes)."""


LR_SCALE_KEY = "lr_scale"
"""A parameter group's learning rate as a multiple of the schedule's."""


def _parameter_groups(model: AlphaTriangleNet, cfg: TrainConfig) -> list[dict[str, Any]]:
    """Every parameter at the learning rate, except the value head's n-tuple table (if any)
    at `NTUPLE_TABLE_LR_SCALE` times it: each of its rows is one pattern of one tuple, and
    the value reads the sum of about two hundred of them."""
    table = [] if model.ntuple is None else [model.ntuple.table.weight]
    rest = [p for p in model.parameters() if all(p is not t for t in table)]
    groups: list[dict[str, Any]] = [{"params": rest, LR_SCALE_KEY: 1.0}]
    if table:
        groups.append({"params": table, LR_SCALE_KEY: cfg.NTUPLE_TABLE_LR_SCALE})
    for group in groups:
        group["lr"] = cfg.LEARNING_RATE * group[LR_SCALE_KEY]
    return groups


def _optimizer(groups: list[dict[str, Any]], cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.OPTIMIZER_TYPE == "AdamW":
        return torch.optim.AdamW(groups, lr=cfg.LEARNING_RATE, weight_decay=cfg.WEIGHT_DECAY)
    if cfg.OPTIMIZER_TYPE == "Adam":
        return torch.optim.Adam(groups, lr=cfg.LEARNING_RATE, weight_decay=cfg.WEIGHT_DECAY)
    return torch.optim.SGD(
        groups, lr=cfg.LEARNING_RATE, momentum=cfg.SGD_MOMENTUM, weight_decay=cfg.WEIGHT_DECAY
    )


def cosine_learning_rate(initial: float, final: float, progress: float) -> float:
    """Cosine annealing from `initial` at progress 0 to `final` at progress 1 and after."""
    return final + (initial - final) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The step-based scheduler ("step"); "cosine" follows `Trainer.set_progress` instead."""
    if cfg.LR_SCHEDULER_TYPE == "step":
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=cfg.LR_STEP_SIZE, gamma=cfg.LR_STEP_GAMMA
        )
    return None


def _autocast_dtype(cfg: TrainConfig, device: torch.device, use_amp: bool) -> torch.dtype | None:
    """float16 for mixed precision on CUDA; bfloat16 on a CPU when asked, or by default where
    the CPU has native bfloat16; else None (float32)."""
    if use_amp:
        return torch.float16
    if device.type != "cpu":
        return None
    wanted = cfg.CPU_BF16_TRAINING
    if wanted is True or (wanted == "auto" and cpu_has_native_bf16()):
        return torch.bfloat16
    return None


class Trainer:
    """Trains `network.model` in place: policy cross-entropy over legal actions,
    distributional value cross-entropy, optional entropy bonus, importance weights; with
    `SYMMETRY_AUGMENTATION`, on sampled examples mapped by random board symmetries; in
    float16 on CUDA (`USE_MIXED_PRECISION`) or bfloat16 on a CPU (`CPU_BF16_TRAINING`)."""

    def __init__(
        self,
        network: NeuralNetwork,
        config: TrainConfig,
        augmentation_seed: np.random.SeedSequence | None = None,
    ) -> None:
        self.network = network
        self.config = config
        self.device = network.device
        self.model = network.model
        self.optimizer = _optimizer(_parameter_groups(self.model, config), config)
        self.scheduler = _scheduler(self.optimizer, config)
        self.use_amp = config.USE_MIXED_PRECISION and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.autocast_dtype = _autocast_dtype(config, self.device, self.use_amp)
        self.augment = (
            SymmetryAugmenter(network.env_config, augmentation_seed)
            if config.SYMMETRY_AUGMENTATION
            else None
        )
        self.average = (
            WeightAverage(self.model, config.WEIGHT_EMA_DECAY)
            if config.WEIGHT_EMA_DECAY > 0
            else None
        )
        self._forward = self.model
        if config.COMPILE_MODEL:
            self._forward = torch.compile(self.model)  # type: ignore[assignment]

    def set_progress(self, progress: float) -> None:
        """Where the run is, from 0 to 1: sets the cosine schedule's learning rate."""
        if self.config.LR_SCHEDULER_TYPE != "cosine":
            return
        lr = cosine_learning_rate(
            self.config.LEARNING_RATE, self.config.LR_SCHEDULER_ETA_MIN, progress
        )
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get(LR_SCALE_KEY, 1.0)

    def value_targets(self, exp: Experiences) -> torch.Tensor:
        """The examples' value targets: as stored, or (`REFRESH_VALUE_TARGETS`) their n-step
        rewards plus the discounted value the current network gives their bootstrap
        positions, in one batched forward pass of the model in eval mode."""
        stored = torch.from_numpy(exp.value).to(self.device)
        rows = np.flatnonzero(exp.bootstrap_discount > 0)
        if not self.config.REFRESH_VALUE_TARGETS or rows.size == 0:
            return stored
        board, other = self.network.features.extract(
            exp.bootstrap_occ[rows], exp.bootstrap_shapes[rows]
        )
        self.model.eval()
        with torch.no_grad():
            _, value_logits = self.model(
                torch.from_numpy(board).to(self.device), torch.from_numpy(other).to(self.device)
            )
            bootstrap = self.network.support.expected_value(value_logits)
        targets = stored.clone()
        index = torch.from_numpy(rows).to(self.device)
        reward_sum = torch.from_numpy(exp.reward_sum[rows]).to(self.device)
        discount = torch.from_numpy(exp.bootstrap_discount[rows]).to(self.device)
        targets[index] = reward_sum + discount * bootstrap
        return targets

    def prepare(self, batch: SampledBatch) -> TrainingTensors:
        """The input pipeline: value targets, symmetry images, tensors on the device (boards
        cross as uint8 and become float there)."""
        exp = batch.experiences
        target_value = self.value_targets(exp)
        if self.augment is not None:
            exp = self.augment(exp)
        device = self.device
        board = torch.from_numpy(exp.board).to(device, non_blocking=True)
        return TrainingTensors(
            board=board.float(),
            other=torch.from_numpy(exp.other).to(device, non_blocking=True),
            policy=torch.from_numpy(exp.policy).to(device, non_blocking=True),
            value=target_value,
            weights=torch.from_numpy(batch.weights).to(device, non_blocking=True),
            legal=board[:, BOARD_BASE_PLANES:].flatten(1).bool(),
        )

    def train_step(self, batch: SampledBatch) -> tuple[dict[str, float], npt.NDArray[np.float32]]:
        """One gradient step; returns the loss terms and per-example value errors (for PER)."""
        return self.optimize(self.prepare(batch))

    def optimize(self, batch: TrainingTensors) -> tuple[dict[str, float], npt.NDArray[np.float32]]:
        """One gradient step on prepared tensors; the loss terms and the per-example value
        errors come back to the host in one transfer."""
        cfg = self.config
        self.model.train()
        with torch.autocast(
            self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None
        ):
            policy_logits, value_logits = self._forward(batch.board, batch.other)
        policy_logits = policy_logits.float().masked_fill(~batch.legal, -1e9)
        log_policy = functional.log_softmax(policy_logits, dim=1)
        policy_loss = -(batch.policy * log_policy).sum(1)
        probs = log_policy.exp()
        entropy = -(probs * log_policy.masked_fill(~batch.legal, 0.0)).sum(1)
        support = self.network.support
        value_target = support.project(batch.value)
        value_loss = -(value_target * functional.log_softmax(value_logits.float(), dim=1)).sum(1)
        per_example = (
            cfg.POLICY_LOSS_WEIGHT * policy_loss
            + cfg.VALUE_LOSS_WEIGHT * value_loss
            - cfg.ENTROPY_BONUS_WEIGHT * entropy
        )
        loss = (batch.weights * per_example).mean()

        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
        grad_norm = torch.zeros((), device=self.device)
        if cfg.GRADIENT_CLIP_VALUE is not None:
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(
                self.model.parameters(), cfg.GRADIENT_CLIP_VALUE
            )
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()
        if self.average is not None:
            self.average.update(self.model)
        self.model.eval()

        with torch.no_grad():
            td_errors = (support.expected_value(value_logits.detach()) - batch.value).abs()
            terms = torch.stack(
                [
                    loss.detach(),
                    (batch.weights * policy_loss).mean().detach(),
                    (batch.weights * value_loss).mean().detach(),
                    entropy.mean().detach(),
                    grad_norm.float(),
                ]
            )
            host = torch.cat([terms, td_errors.float()]).cpu().numpy()
        td = host[len(terms) :].astype(np.float32)
        total, policy_term, value_term, entropy_term, norm = (float(x) for x in host[: len(terms)])
        metrics = {
            "Loss/Total": total,
            "Loss/Policy": policy_term,
            "Loss/Value": value_term,
            "Loss/Entropy": entropy_term,
            "Loss/Mean_Abs_TD_Error": float(td.mean()),
            "Train/Grad_Norm": norm,
            "LearningRate": self.optimizer.param_groups[0]["lr"],
        }
        return metrics, td

    def start_ntuple_table(self, values: npt.NDArray[np.floating]) -> bool:
        """Seed the value head's n-tuple table (`NTupleFeatures.start_from`) before training;
        False where the model has none or its tuples differ."""
        ntuple = self.network.model.ntuple
        if ntuple is None or not ntuple.start_from(values):
            return False
        if self.average is not None:
            self.average = WeightAverage(self.model, self.config.WEIGHT_EMA_DECAY)
        return True

    def play_weights(self) -> Weights:
        """The weights the run plays, evaluates and checkpoints: the average
        (`WEIGHT_EMA_DECAY`) or the trained weights."""
        if self.average is not None:
            return self.average.weights()
        return self.network.get_weights()

    def get_state(self) -> dict[str, Any]:
        """Optimizer, scheduler and scaler state (tensors and plain values only); with an
        average, the trained weights too, since the checkpoint's weights are the average."""
        state: dict[str, Any] = {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler else None,
            "scaler": self.scaler.state_dict(),
        }
        if self.average is not None:
            state["weight_average"] = self.average.get_state()
            state["trained_weights"] = {
                k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()
            }
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what `get_state` saved (a resumed run continues its optimizer, and the
        weights it trains rather than their average)."""
        if "trained_weights" in state:
            self.network.set_weights(state["trained_weights"])
        if self.average is not None:
            self.average = WeightAverage(self.model, self.config.WEIGHT_EMA_DECAY)
            if "weight_average" in state:
                self.average.load_state(state["weight_average"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
