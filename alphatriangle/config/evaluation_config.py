"""In-training evaluation settings: when it runs, on how many games, with which search."""

from pydantic import BaseModel, ConfigDict, Field


class EvaluationConfig(BaseModel):
    """The evaluator beside training (it picks the best checkpoint; `eval` reads its search
    settings too)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    FREQ_STEPS: int = Field(
        default=1_000,
        ge=1,
        description="Steps between evaluations at least (they pick the best checkpoint).",
    )
    TIME_SHARE: float = Field(
        default=0.1,
        gt=0.0,
        le=1.0,
        description="The most of the wall time evaluations may take: after one that took d "
        "seconds the next waits d (1 - share) / share seconds, so longer games (a stronger "
        "agent) space them out. 1: every FREQ_STEPS.",
    )
    GAMES: int = Field(
        default=32,
        ge=1,
        description="Games of the in-training evaluation, on seeds disjoint from eval's default "
        "suite.",
    )
    SIMULATIONS: int | None = Field(
        default=None, ge=1, description="Search budget when evaluating; None: the run's own."
    )
    MAX_CONSIDERED_ACTIONS: int | None = Field(
        default=None,
        ge=1,
        description="Gumbel root candidates when evaluating; None: the run's own. Fewer "
        "candidates searched deeper play better once the policy is good.",
    )
