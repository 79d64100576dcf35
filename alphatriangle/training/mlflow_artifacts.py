"""Files to the run's MLflow run, through its own tracking URI (never a process-wide run)."""

import logging
from pathlib import Path

from alphatriangle.training.components import TrainingComponents
from alphatriangle.utils import one_line

logger = logging.getLogger(__name__)


def log_artifacts(components: TrainingComponents, path: Path, artifact_path: str) -> None:
    """Upload a file or a directory's files under `artifact_path` of the run's MLflow run
    (when it has one and `LOG_ARTIFACTS_TO_MLFLOW` is on); failures are only logged."""
    run_id = components.mlflow_run_id
    if run_id is None or not components.config.persistence.LOG_ARTIFACTS_TO_MLFLOW:
        return
    try:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=components.tracking_uri)
        if path.is_file():
            client.log_artifact(run_id, str(path), artifact_path=artifact_path)
        else:
            client.log_artifacts(run_id, str(path), artifact_path=artifact_path)
    except Exception as error:
        logger.warning(
            "logging %s to MLflow failed (%s); the files are still on disk", path, one_line(error)
        )
