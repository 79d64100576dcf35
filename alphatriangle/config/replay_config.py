"""Replay settings: the buffer, prioritized sampling and the targets examples carry."""

from pydantic import BaseModel, ConfigDict, Field


class ReplayConfig(BaseModel):
    """What the buffer keeps and how training draws from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CAPACITY: int = Field(
        description="Examples the replay buffer holds (the oldest are overwritten).",
        default=50_000,
        ge=1,
    )
    MIN_SIZE_TO_TRAIN: int = Field(
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
        default=None, ge=1, description="Defaults to train.MAX_TRAINING_STEPS."
    )
    PER_EPSILON: float = Field(
        description="Added to every priority, so no example is never drawn.", default=1e-3, gt=0
    )
