"""Settings of the n-tuple baseline: its tuples, its whole-hand search and its TD learning."""

from pydantic import BaseModel, ConfigDict, Field


class NTupleConfig(BaseModel):
    """An afterstate value that is a sum of table lookups, learned by TD between the boards
    left after each whole hand (`alphatriangle.baselines.ntuple`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    LINES: bool = Field(
        default=True, description="One tuple per line of the board: its cells' exact occupancy."
    )
    PATCHES: tuple[tuple[int, int], ...] = Field(
        default=((2, 3), (3, 3)),
        description="Rectangular windows (rows, columns) placed at every position of the board; "
        "each window's playable cells are one tuple.",
    )
    TRAIN_BEAM_WIDTH: int = Field(
        default=8, ge=1, le=256, description="The whole-hand search's beam while learning."
    )
    BEAM_WIDTH: int = Field(
        default=32, ge=1, le=256, description="The whole-hand search's beam when playing (eval)."
    )
    LEARNING_RATE: float = Field(
        default=0.1,
        gt=0.0,
        le=1.0,
        description="The share of the TD error a step moves the value by, spread over the tuples.",
    )
    LEARNING_RATE_FINAL: float = Field(
        default=0.01,
        gt=0.0,
        le=1.0,
        description="The rate at the end of the time budget (geometric from LEARNING_RATE).",
    )
    THREADS: int = Field(default=2, ge=1, le=256, description="Cores that play and learn.")
    GAMES_PER_THREAD: int = Field(
        default=4, ge=1, le=1024, description="Games each thread keeps in play at once."
    )
    HANDS_PER_ROUND: int = Field(
        default=64,
        ge=1,
        description="Hands each game plays between two looks at the clock (a training step).",
    )
