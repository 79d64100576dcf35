"""Types shared across packages."""

from typing import TypedDict


class StepInfo(TypedDict, total=False):
    """The counters a logged value belongs to; any subset may be set."""

    global_step: int
    """Trainer steps done (for self-play: the step of the weights that played)."""
    buffer_size: int
    game_step_index: int
    """Move number within the game the value comes from."""
    worker_id: int
    episode: int
