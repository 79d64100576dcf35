"""Settings of the planner baseline: beam width and the weights of its board heuristic."""

from pydantic import BaseModel, ConfigDict, Field


class PlannerConfig(BaseModel):
    """A beam search over the placements of the whole hand, scored by points plus a heuristic.

    The weights were tuned on seeds outside the default evaluation suite
    (`docs/experiments.md`, *Planner weights*).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    BEAM_WIDTH: int = Field(
        default=12, ge=1, le=256, description="Partial sequences kept at each level of the hand."
    )
    WEIGHT_FIT: float = Field(
        default=185.0,
        description="Per unit of the chance that a newly drawn shape fits somewhere.",
    )
    WEIGHT_MOBILITY: float = Field(
        default=11.3,
        description="Per unit of the mean, over drawn shapes, of log(1 + its placements).",
    )
    WEIGHT_EMPTY: float = Field(default=0.84, description="Per empty playable cell.")
    WEIGHT_HOLE: float = Field(
        default=-2.0, description="Per empty cell that no shape of two or more triangles can cover."
    )
    GAME_OVER_SCORE: float = Field(
        default=-1000.0,
        description="Added to a sequence that leaves a shape in hand with nowhere to go.",
    )
