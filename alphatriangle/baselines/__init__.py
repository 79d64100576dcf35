"""Hand-written players to measure agents against: uniform random, greedy and the planner."""

from alphatriangle.baselines.planner import plan_move, planner_actions
from alphatriangle.baselines.simple import (
    BASELINES,
    game_policy_streams,
    greedy_actions,
    policy_streams,
    random_actions,
)

__all__ = [
    "BASELINES",
    "game_policy_streams",
    "greedy_actions",
    "plan_move",
    "planner_actions",
    "policy_streams",
    "random_actions",
]
