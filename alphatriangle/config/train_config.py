"""Training settings: self-play batch, targets, seeds, devices."""

from pydantic import BaseModel, ConfigDict, Field


class TrainConfig(BaseModel):
    """How self-play generates data (the trainer's settings join as training lands)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    RANDOM_SEED: int = Field(default=42, ge=0)
    SELF_PLAY_GAMES_PER_WORKER: int = Field(
        default=32, ge=1, description="Games each worker plays at once (one batched search)."
    )
    N_STEP_RETURNS: int = Field(
        default=10, ge=1, description="Rewards summed before bootstrapping."
    )
    WORKER_DEVICE: str = Field(default="cpu", description="Device of self-play inference.")
