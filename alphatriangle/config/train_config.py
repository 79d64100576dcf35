"""Training settings: the run (devices, seed, budget), optimisation, logging, checkpoints.
Self-play, replay and evaluation have sections of their own."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RETIRED_TRAIN_SETTINGS = {
    "RUN_NAME": "train --run-name NAME",
    "AUTO_RESUME_LATEST": "train --resume / --no-resume",
}
"""Settings that were never read, and what does their job: a config file or `--set` naming
one gets one line saying so; the stored configs of older runs and agents drop them."""


MOVED_TRAIN_SETTINGS: dict[str, tuple[str, str]] = {
    "NUM_SELF_PLAY_WORKERS": ("selfplay", "WORKERS"),
    "SELF_PLAY_GAMES_PER_WORKER": ("selfplay", "GAMES_PER_WORKER"),
    "INFERENCE_BACKEND": ("selfplay", "INFERENCE_BACKEND"),
    "WORKER_DEVICE": ("selfplay", "DEVICE"),
    "PLAYOUT_CAP_FULL_FRACTION": ("selfplay", "PLAYOUT_CAP_FULL_FRACTION"),
    "PLAYOUT_CAP_CHEAP_SIMULATIONS": ("selfplay", "PLAYOUT_CAP_CHEAP_SIMULATIONS"),
    "KEEP_TREES_ON_WEIGHT_UPDATE": ("selfplay", "KEEP_TREES_ON_WEIGHT_UPDATE"),
    "WORKER_UPDATE_FREQ_STEPS": ("selfplay", "WEIGHT_UPDATE_FREQ_STEPS"),
    "PLANNER_WARM_START_STEPS": ("selfplay", "PLANNER_WARM_START_STEPS"),
    "BUFFER_CAPACITY": ("replay", "CAPACITY"),
    "MIN_BUFFER_SIZE_TO_TRAIN": ("replay", "MIN_SIZE_TO_TRAIN"),
    "MAX_SAMPLES_PER_EXPERIENCE": ("replay", "MAX_SAMPLES_PER_EXPERIENCE"),
    "USE_PER": ("replay", "USE_PER"),
    "PER_ALPHA": ("replay", "PER_ALPHA"),
    "PER_BETA_INITIAL": ("replay", "PER_BETA_INITIAL"),
    "PER_BETA_FINAL": ("replay", "PER_BETA_FINAL"),
    "PER_BETA_ANNEAL_STEPS": ("replay", "PER_BETA_ANNEAL_STEPS"),
    "PER_EPSILON": ("replay", "PER_EPSILON"),
    "N_STEP_RETURNS": ("selfplay", "N_STEP_RETURNS"),
    "EVAL_FREQ_STEPS": ("evaluation", "FREQ_STEPS"),
    "EVAL_TIME_SHARE": ("evaluation", "TIME_SHARE"),
    "EVAL_GAMES": ("evaluation", "GAMES"),
    "EVAL_SIMULATIONS": ("evaluation", "SIMULATIONS"),
    "EVAL_MAX_CONSIDERED_ACTIONS": ("evaluation", "MAX_CONSIDERED_ACTIONS"),
}
"""Settings that left `train` for a section of their own: (section, new name). A config file
or `--set` naming the old one gets one line naming the new; stored configs are moved over."""


class TrainConfig(BaseModel):
    """How the trainer learns: the run's devices, seed and budget, the optimizer and losses,
    logging and checkpoints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(name in data for name in RETIRED_TRAIN_SETTINGS):
            return {k: v for k, v in data.items() if k not in RETIRED_TRAIN_SETTINGS}
        return data

    AGENT: Literal["alphazero", "ntuple"] = Field(
        default="alphazero",
        description="What the run trains: the AlphaZero network by self-play with search, or "
        "the n-tuple baseline by TD learning (the `ntuple` section; no Ray, network or buffer).",
    )
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

    BATCH_SIZE: int = Field(description="Examples per training step.", default=128, ge=1)
    REFRESH_VALUE_TARGETS: bool = Field(
        default=False,
        description="Bootstrap each sampled example's value target again from the current "
        "network (its n rewards plus the discounted value of the position n moves later, one "
        "batched forward pass, no search) instead of the search's root value at play time.",
    )

    SYMMETRY_AUGMENTATION: bool = Field(
        default=True,
        description="Train on each sampled example or, at random, its image under a board "
        "symmetry (mirror, flip, half turn) valid for its hand, policy target moved along "
        "(in a 15-minute A/B: 946.6 against 407.9 without).",
    )

    OPTIMIZER_TYPE: Literal["AdamW", "Adam", "SGD"] = Field(
        default="AdamW", description="AdamW, Adam or SGD (with SGD_MOMENTUM)."
    )
    LEARNING_RATE: float = Field(description="Initial learning rate.", default=1e-3, gt=0)
    WEIGHT_DECAY: float = Field(description="Weight decay of the optimizer.", default=1e-4, ge=0)
    SGD_MOMENTUM: float = Field(
        description="Momentum when OPTIMIZER_TYPE is SGD.", default=0.9, ge=0, lt=1
    )
    NTUPLE_TABLE_LR_SCALE: float = Field(
        default=1.0,
        gt=0,
        le=1.0,
        description="The learning rate of the value head's n-tuple table (model.NTUPLE_VALUE_DIM) "
        "as a multiple of LEARNING_RATE.",
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
    WEIGHT_EMA_DECAY: float = Field(
        default=0.0,
        ge=0.0,
        lt=1.0,
        description="Above 0: self-play, evaluation and checkpoints use an exponential moving "
        "average of the trained weights with this decay per step (0.999 averages about the "
        "last 1,000 steps); 0 uses the trained weights themselves. Off by default: 0.999 "
        "measured no stronger over an hour.",
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
