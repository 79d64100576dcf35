"""Search settings: budget, root algorithm, exploration, discount, chance sampling."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RENAMED_MCTS_SETTINGS = {
    old: old.upper()
    for old in (
        "num_simulations", "root_selection", "puct_coefficient", "puct_min_value_span",
        "gumbel_max_considered_actions", "gumbel_scale", "gumbel_c_visit", "gumbel_c_scale",
        "dirichlet_alpha", "dirichlet_epsilon", "temperature_initial", "temperature_final",
        "temperature_anneal_moves", "discount", "max_search_depth", "max_chance_outcomes",
        "reuse_tree",
    )
}  # fmt: skip
"""The search settings' names before they took the seed's UPPER_CASE (checkpoint format 2)."""


def renamed_setting_message(section: str, old: str, new: str, origin: str) -> str:
    """One line telling the user the new name of a setting they wrote with the old one."""
    return f"{origin}: {section}.{old} is now {section}.{new}; rename it"


class MCTSConfig(BaseModel):
    """Batched MCTS with chance nodes; Gumbel root by default (good at small budgets)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    NUM_SIMULATIONS: int = Field(default=32, ge=1, description="Leaves expanded per move.")
    ROOT_SELECTION: Literal["gumbel", "puct"] = Field(
        default="gumbel",
        description="gumbel: Gumbel-top-k with sequential halving and the improved policy as "
        "target; puct: AlphaZero's PUCT with Dirichlet noise and the visit distribution.",
    )
    PUCT_COEFFICIENT: float = Field(
        default=1.25, gt=0.0, description="PUCT's exploration weight c in Q + c P sqrt(N)/(1+n)."
    )
    PUCT_MIN_VALUE_SPAN: float = Field(
        default=1.0,
        gt=0.0,
        description="PUCT's min-max normalisation divides by at least this span of returns, "
        "so differences far below the reward scale are not stretched to [0, 1].",
    )
    GUMBEL_MAX_CONSIDERED_ACTIONS: int = Field(
        default=16, ge=1, description="Actions sequential halving starts with at the root."
    )
    GUMBEL_SCALE: float = Field(
        default=1.0,
        ge=0.0,
        description="0 turns the Gumbel noise off (evaluation; in self-play, 0 measured no "
        "stronger over an hour).",
    )
    GUMBEL_C_VISIT: float = Field(
        default=50.0, ge=0.0, description="sigma(Q) = (C_VISIT + max visits) * C_SCALE * Q."
    )
    GUMBEL_C_SCALE: float = Field(
        default=0.1, gt=0.0, description="How much Q weighs against the prior logits."
    )
    GUMBEL_MIN_VALUE_SPAN: float = Field(
        default=0.0,
        ge=0.0,
        description="sigma(Q)'s min-max normalisation divides by at least this span of returns "
        "(0: the node's own span, as in mctx), so refill noise far below the reward scale "
        "is not stretched to the full range. Off by default: 1.0 played weaker at 256 "
        "simulations (docs/experiments.md).",
    )
    DIRICHLET_ALPHA: float = Field(
        default=0.3, gt=0.0, description="Concentration of the PUCT root noise."
    )
    DIRICHLET_EPSILON: float = Field(
        default=0.25, ge=0.0, le=1.0, description="Root noise weight (PUCT root only)."
    )
    TEMPERATURE_INITIAL: float = Field(
        default=1.0, ge=0.0, description="PUCT: moves sampled from visits^(1/T) early on."
    )
    TEMPERATURE_FINAL: float = Field(
        default=0.1, ge=0.0, description="PUCT: the temperature after the first moves."
    )
    TEMPERATURE_ANNEAL_MOVES: int = Field(
        default=30, ge=0, description="Moves played at TEMPERATURE_INITIAL (PUCT root)."
    )
    DISCOUNT: float = Field(
        default=0.99,
        gt=0.0,
        le=1.0,
        description="Per-move discount of returns (search and targets).",
    )
    MAX_SEARCH_DEPTH: int = Field(
        default=64, ge=1, description="Decision nodes a simulation may descend through."
    )
    CHANCE_SAMPLING: Literal["capped", "widening"] = Field(
        default="widening",
        description="capped: a chance node keeps up to MAX_CHANCE_OUTCOMES distinct refills, "
        "then revisits one at random; widening: it keeps ceil(CHANCE_WIDENING * sqrt(visits)) "
        "sampled refills and visits the least-visited, so its value converges to the "
        "expectation as visits grow.",
    )
    MAX_CHANCE_OUTCOMES: int = Field(
        default=8, ge=1, description="capped: distinct refills kept per chance node."
    )
    CHANCE_WIDENING: float = Field(
        default=2.0, gt=0.0, description="widening: outcomes kept = ceil(this * sqrt(visits))."
    )
    COMMON_REFILLS: bool = Field(
        default=True,
        description="widening: the k-th refill of every chance node at the same depth of a "
        "search is the same draw, so sibling moves are compared on the same futures.",
    )
    REUSE_TREE: bool = Field(
        default=True, description="Keep the played move's subtree for the next search."
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_old_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key in RENAMED_MCTS_SETTINGS:
                    new = RENAMED_MCTS_SETTINGS[key]
                    raise ValueError(renamed_setting_message("mcts", key, new, "MCTSConfig"))
        return data
