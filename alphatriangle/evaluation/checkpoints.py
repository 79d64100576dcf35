"""Find and load a trained agent from a checkpoint directory, a run directory or a run name."""

from dataclasses import dataclass
from pathlib import Path

from alphatriangle.config import RunConfig
from alphatriangle.data import DEFAULT_ROOT, DataManager, PathManager, load_checkpoint_dir
from alphatriangle.data.data_manager import STATE_FILE
from alphatriangle.nn import NeuralNetwork
from alphatriangle.utils import one_line


class CheckpointError(ValueError):
    """The checkpoint is missing or damaged; the message is one line for the user."""


@dataclass(frozen=True)
class Agent:
    name: str
    network: NeuralNetwork
    config: RunConfig
    checkpoint_dir: Path
    global_step: int


def resolve_checkpoint(target: str, root: Path = DEFAULT_ROOT) -> Path:
    """A step directory from a step directory, a run directory or a run name (best, else latest)."""
    path = Path(target)
    if (path / STATE_FILE).is_file():
        return path
    candidates = [path] if (path / "checkpoints").is_dir() else []
    candidates.append(root / "runs" / target)
    for run_dir in candidates:
        manager = DataManager(PathManager(run_dir.parent.parent, run_dir.name))
        found = manager.checkpoint_dir("best") or manager.checkpoint_dir("latest")
        if found is not None:
            return found
    raise CheckpointError(
        f"no checkpoint at {target!r}: give a run name (under {root / 'runs'}), a run "
        "directory or a checkpoint directory"
    )


def load_agent(target: str, root: Path = DEFAULT_ROOT, device: str = "cpu") -> Agent:
    step_dir = resolve_checkpoint(target, root)
    try:
        loaded = load_checkpoint_dir(step_dir)
        assert loaded.checkpoint is not None and loaded.weights is not None
        config = RunConfig.model_validate(loaded.checkpoint.configs)
        network = NeuralNetwork(config.model, config.env, device=device)
        network.set_weights(loaded.weights)
    except CheckpointError:
        raise
    except Exception as error:
        raise CheckpointError(
            f"checkpoint {step_dir} is damaged or from an incompatible version: {one_line(error)}"
        ) from None
    return Agent(
        name=f"{loaded.checkpoint.run_name}@{loaded.checkpoint.global_step}",
        network=network,
        config=config,
        checkpoint_dir=step_dir,
        global_step=loaded.checkpoint.global_step,
    )
