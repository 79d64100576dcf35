"""Search settings: budget, root algorithm, exploration, discount, chance sampling."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MCTSConfig(BaseModel):
    """Batched MCTS with chance nodes; Gumbel root by default (good at small budgets)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    num_simulations: int = Field(default=32, ge=1, description="Leaves expanded per move.")
    root_selection: Literal["gumbel", "puct"] = "gumbel"
    puct_coefficient: float = Field(default=1.25, gt=0.0)
    puct_min_value_span: float = Field(
        default=1.0,
        gt=0.0,
        description="PUCT's min-max normalisation divides by at least this span of returns, "
        "so differences far below the reward scale are not stretched to [0, 1].",
    )
    gumbel_max_considered_actions: int = Field(default=16, ge=1)
    gumbel_scale: float = Field(
        default=1.0, ge=0.0, description="0 turns the Gumbel noise off (evaluation)."
    )
    gumbel_c_visit: float = Field(default=50.0, ge=0.0)
    gumbel_c_scale: float = Field(default=0.1, gt=0.0)
    dirichlet_alpha: float = Field(default=0.3, gt=0.0)
    dirichlet_epsilon: float = Field(
        default=0.25, ge=0.0, le=1.0, description="Root noise weight (PUCT root only)."
    )
    temperature_initial: float = Field(default=1.0, ge=0.0)
    temperature_final: float = Field(default=0.1, ge=0.0)
    temperature_anneal_moves: int = Field(
        default=30, ge=0, description="Moves played at temperature_initial (PUCT root)."
    )
    discount: float = Field(default=0.99, gt=0.0, le=1.0)
    max_search_depth: int = Field(default=64, ge=1)
    max_chance_outcomes: int = Field(
        default=8, ge=1, description="Distinct refills sampled and kept per chance node."
    )
    reuse_tree: bool = True
