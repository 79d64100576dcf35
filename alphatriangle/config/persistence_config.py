"""Where runs are stored and what is saved."""

from pydantic import BaseModel, ConfigDict, Field


class PersistenceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ROOT_DATA_DIR: str = Field(
        default=".alphatriangle_data",
        description="Where runs, checkpoints, buffers, logs and the MLflow store live.",
    )
    MLFLOW_TRACKING_URI: str | None = Field(
        default=None, description="None: a sqlite store under ROOT_DATA_DIR."
    )
    MLFLOW_EXPERIMENT_NAME: str = Field(
        default="AlphaTriangle", description="MLflow experiment the runs are logged under."
    )
    SAVE_BUFFER: bool = Field(
        default=True, description="Save the replay buffer with checkpoints, so a resume keeps it."
    )
    BUFFER_SAVE_FREQ_STEPS: int = Field(
        description="Steps between buffer saves (a crash loses the examples since).",
        default=2_000,
        ge=1,
    )
    KEEP_CHECKPOINTS: int = Field(default=5, ge=1, description="Newest step checkpoints kept.")
    LOG_ARTIFACTS_TO_MLFLOW: bool = Field(
        default=True, description="Upload configs, the latest and best checkpoints and replays."
    )
