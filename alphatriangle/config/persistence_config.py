"""Where runs are stored and what is saved."""

from pydantic import BaseModel, ConfigDict, Field


class PersistenceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ROOT_DATA_DIR: str = ".alphatriangle_data"
    MLFLOW_TRACKING_URI: str | None = Field(
        default=None, description="None: a sqlite store under ROOT_DATA_DIR."
    )
    MLFLOW_EXPERIMENT_NAME: str = "AlphaTriangle"
    SAVE_BUFFER: bool = True
    BUFFER_SAVE_FREQ_STEPS: int = Field(default=2_000, ge=1)
    KEEP_CHECKPOINTS: int = Field(default=5, ge=1, description="Newest step checkpoints kept.")
    LOG_ARTIFACTS_TO_MLFLOW: bool = True
