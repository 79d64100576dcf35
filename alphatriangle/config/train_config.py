"""Training settings: self-play, replay, optimisation, checkpoints."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

InferenceBackend = Literal["auto", "onnx", "torch", "bf16"]
"""How `NeuralNetwork.evaluate_arrays` runs the model: `onnx` (ONNX Runtime on the folded
copy), `torch` (the folded copy in torch), `bf16` (the folded copy in bfloat16, for CPUs
with native bfloat16 arithmetic such as AVX-512 BF16 or AMX), `auto` (ONNX Runtime on a CPU
when installed)."""


RETIRED_TRAIN_SETTINGS = {
    "RUN_NAME": "train --run-name NAME",
    "AUTO_RESUME_LATEST": "train --resume / --no-resume",
}
"""Settings that were never read, and what does their job: a config file or `--set` naming
one gets one line saying so; the stored configs of older runs and agents drop them."""


class TrainConfig(BaseModel):
    """Everything about how a run generates data and learns from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(name in data for name in RETIRED_TRAIN_SETTINGS):
            return {k: v for k, v in data.items() if k not in RETIRED_TRAIN_SETTINGS}
        return data

    DEVICE: str = Field(
        description="Trainer device: auto (CUDA when present), cpu, cuda or cuda:N.",
        default="auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?)$",
    )
    RAY_ADDRESS: str | None = Field(
        default=None,
        description="Join the Ray cluster at this address (host:port); None: $RAY_ADDRESS if "
        "set, else a local Ray on 127.0.0.1.",
    )
    RANDOM_SEED: int = Field(
        description="Root of every random stream of the run (numpy SeedSequence).", default=42, ge=0
    )
    MAX_TRAINING_STEPS: int = Field(
        description="Training steps (batches) the run ends at.", default=10_000, ge=1
    )
    MAX_TRAINING_MINUTES: float | None = Field(
        default=None,
        gt=0,
        description="End the run after this many minutes of training (summed over resumes), "
        "with a final checkpoint and exit 0. The LR and PER beta schedules follow the run's "
        "progress: the larger of steps over MAX_TRAINING_STEPS and time over this budget.",
    )

    NUM_SELF_PLAY_WORKERS: int = Field(
        description="Self-play actors (capped at the CPUs minus one on a machine).", default=2, ge=1
    )
    INFERENCE_BACKEND: InferenceBackend = Field(
        default="auto",
        description="How self-play and evaluation run the network on a CPU: onnx (ONNX "
        "Runtime on a folded copy, rebuilt when weights change), torch, bf16 (the folded "
        "copy in bfloat16, for CPUs with AVX-512 BF16 or AMX), or auto (onnx when "
        "onnxruntime is installed).",
    )
    WORKER_DEVICE: str = Field(
        description="Where self-play workers run their network: cpu, cuda, or auto (CUDA when "
        "present). The laptop network is fastest on the CPU (ONNX Runtime); larger ones need "
        "the GPU.",
        default="cpu",
        pattern=r"^(auto|cpu|cuda(:\d+)?)$",
    )
    SELF_PLAY_GAMES_PER_WORKER: int = Field(
        default=32, ge=1, description="Games each worker plays at once (one batched search)."
    )
    PLAYOUT_CAP_FULL_FRACTION: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of self-play moves searched with mcts.NUM_SIMULATIONS; the others "
        "get PLAYOUT_CAP_CHEAP_SIMULATIONS and give no training example (KataGo's playout "
        "cap randomisation). 1: every move is a full search.",
    )
    PLAYOUT_CAP_CHEAP_SIMULATIONS: int = Field(
        default=8,
        ge=1,
        description="Simulations of a cheap self-play move (at most mcts.NUM_SIMULATIONS).",
    )
    KEEP_TREES_ON_WEIGHT_UPDATE: bool = Field(
        default=False,
        description="New weights keep self-play's search trees (their roots re-evaluated by "
        "the new network) instead of dropping them.",
    )
    WORKER_UPDATE_FREQ_STEPS: int = Field(
        description="Steps between weight broadcasts to the workers.", default=50, ge=1
    )
    REFRESH_VALUE_TARGETS: bool = Field(
        default=False,
        description="Bootstrap each sampled example's value target again from the current "
        "network (its n rewards plus the discounted value of the position n moves later, one "
        "batched forward pass, no search) instead of the search's root value at play time.",
    )
    PLANNER_WARM_START_STEPS: int = Field(
        default=0,
        ge=0,
        description="Until this training step, new self-play games are played by the planner "
        "(the `planner` section) instead of the search: its moves are the policy targets and "
        "its games' discounted returns the value targets. A teacher about ten times faster "
        "than the search for a run's first minutes; 0 is self-play only.",
    )
    SYMMETRY_AUGMENTATION: bool = Field(
        default=True,
        description="Train on each sampled example or, at random, its image under a board "
        "symmetry (mirror, flip, half turn) valid for its hand, policy target moved along "
        "(in a 15-minute A/B: 946.6 against 407.9 without).",
    )
    N_STEP_RETURNS: int = Field(
        default=10, ge=1, description="Rewards summed before bootstrapping."
    )

    BATCH_SIZE: int = Field(description="Examples per training step.", default=128, ge=1)
    BUFFER_CAPACITY: int = Field(
        description="Examples the replay buffer holds (the oldest are overwritten).",
        default=50_000,
        ge=1,
    )
    MIN_BUFFER_SIZE_TO_TRAIN: int = Field(
        description="Examples needed before the first training step.", default=2_000, ge=1
    )
    MAX_SAMPLES_PER_EXPERIENCE: float = Field(
        default=8.0,
        gt=0,
        description="Training stops to wait for self-play when it has drawn this many samples "
        "per example added (the train/self-play ratio).",
    )
    USE_PER: bool = Field(
        default=True, description="Prioritized replay (by TD error); uniform sampling otherwise."
    )
    PER_ALPHA: float = Field(
        description="How strongly priorities skew sampling (0: uniform).", default=0.6, ge=0
    )
    PER_BETA_INITIAL: float = Field(
        description="Importance-weight exponent at the start of the run.", default=0.4, ge=0, le=1
    )
    PER_BETA_FINAL: float = Field(
        description="Importance-weight exponent at the end of the run.", default=1.0, ge=0, le=1
    )
    PER_BETA_ANNEAL_STEPS: int | None = Field(
        default=None, ge=1, description="Defaults to MAX_TRAINING_STEPS."
    )
    PER_EPSILON: float = Field(
        description="Added to every priority, so no example is never drawn.", default=1e-3, gt=0
    )

    OPTIMIZER_TYPE: Literal["AdamW", "Adam", "SGD"] = Field(
        default="AdamW", description="AdamW, Adam or SGD (with SGD_MOMENTUM)."
    )
    LEARNING_RATE: float = Field(description="Initial learning rate.", default=1e-3, gt=0)
    WEIGHT_DECAY: float = Field(description="Weight decay of the optimizer.", default=1e-4, ge=0)
    SGD_MOMENTUM: float = Field(
        description="Momentum when OPTIMIZER_TYPE is SGD.", default=0.9, ge=0, lt=1
    )
    LR_SCHEDULER_TYPE: Literal["cosine", "step", "none"] = Field(
        default="cosine",
        description="cosine (to LR_SCHEDULER_ETA_MIN over the run's progress), step, none.",
    )
    LR_SCHEDULER_ETA_MIN: float = Field(
        description="The cosine schedule's final learning rate.", default=1e-5, ge=0
    )
    LR_STEP_SIZE: int = Field(
        description="Steps between decays of the step schedule.", default=2_000, ge=1
    )
    LR_STEP_GAMMA: float = Field(
        description="Factor of each decay of the step schedule.", default=0.5, gt=0, le=1
    )
    GRADIENT_CLIP_VALUE: float | None = Field(
        description="Clip the gradient norm to this (None: no clipping).", default=5.0, gt=0
    )
    POLICY_LOSS_WEIGHT: float = Field(
        description="Weight of the policy cross-entropy in the loss.", default=1.0, ge=0
    )
    VALUE_LOSS_WEIGHT: float = Field(
        description="Weight of the distributional value cross-entropy in the loss.",
        default=1.0,
        ge=0,
    )
    ENTROPY_BONUS_WEIGHT: float = Field(
        description="Weight of the policy entropy bonus (0: none).", default=0.0, ge=0
    )
    COMPILE_MODEL: bool = Field(
        default=False, description="torch.compile the trainer's model (worth it on a GPU)."
    )
    USE_MIXED_PRECISION: bool = Field(
        default=True, description="float16 autocast with loss scaling; only takes effect on CUDA."
    )
    CPU_BF16_TRAINING: bool | Literal["auto"] = Field(
        default="auto",
        description="bfloat16 autocast for the trainer on a CPU (no loss scaling needed): "
        "true, false, or auto: on where the CPU computes in bfloat16 natively (AVX-512 BF16 "
        "or AMX: about 1.8x the trainer's steps/s), off where it would be emulated.",
    )

    METRICS_LOG_FREQ_STEPS: int = Field(
        default=50,
        ge=1,
        description="Training metrics reach MLflow and TensorBoard once per this many steps, "
        "as the mean over them (and the max of the gradient norm and TD error).",
    )
    CHECKPOINT_SAVE_FREQ_STEPS: int = Field(
        description="Steps between checkpoints (what a crash can lose at most).", default=500, ge=1
    )
    EVAL_FREQ_STEPS: int = Field(
        default=1_000,
        ge=1,
        description="Steps between evaluations at least (they pick the best checkpoint).",
    )
    EVAL_TIME_SHARE: float = Field(
        default=0.1,
        gt=0.0,
        le=1.0,
        description="The most of the wall time evaluations may take: after one that took d "
        "seconds the next waits d (1 - share) / share seconds, so longer games (a stronger "
        "agent) space them out. 1: every EVAL_FREQ_STEPS.",
    )
    EVAL_GAMES: int = Field(
        default=32,
        ge=1,
        description="Games of the in-training evaluation, on seeds disjoint from eval's default "
        "suite.",
    )
    EVAL_SIMULATIONS: int | None = Field(
        default=None, ge=1, description="Search budget when evaluating; None: the run's own."
    )
    EVAL_MAX_CONSIDERED_ACTIONS: int | None = Field(
        default=None,
        ge=1,
        description="Gumbel root candidates when evaluating; None: the run's own. Fewer "
        "candidates searched deeper play better once the policy is good.",
    )

    @model_validator(mode="after")
    def _check_sizes(self) -> "TrainConfig":
        if self.BATCH_SIZE > self.BUFFER_CAPACITY:
            raise ValueError(
                f"BATCH_SIZE ({self.BATCH_SIZE}) exceeds BUFFER_CAPACITY ({self.BUFFER_CAPACITY})"
            )
        if self.MIN_BUFFER_SIZE_TO_TRAIN > self.BUFFER_CAPACITY:
            raise ValueError(
                f"MIN_BUFFER_SIZE_TO_TRAIN ({self.MIN_BUFFER_SIZE_TO_TRAIN}) exceeds "
                f"BUFFER_CAPACITY ({self.BUFFER_CAPACITY})"
            )
        if self.MIN_BUFFER_SIZE_TO_TRAIN < self.BATCH_SIZE:
            raise ValueError(
                f"MIN_BUFFER_SIZE_TO_TRAIN ({self.MIN_BUFFER_SIZE_TO_TRAIN}) must be at least "
                f"BATCH_SIZE ({self.BATCH_SIZE})"
            )
        return self

    @property
    def per_beta_anneal_steps(self) -> int:
        return self.PER_BETA_ANNEAL_STEPS or self.MAX_TRAINING_STEPS
