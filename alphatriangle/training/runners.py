"""Re-exports the entry point of a training run."""

from alphatriangle.training.runner import run_training

__all__ = ["run_training"]
