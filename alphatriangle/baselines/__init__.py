"""Players to measure agents against: uniform random, greedy, the planner (hand-written) and
the n-tuple player (learned by TD, `ntuple/`)."""

from alphatriangle.baselines.ntuple import NTuplePlayer, learn_round, ntuple_actions, search_hand
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
    "NTuplePlayer",
    "game_policy_streams",
    "greedy_actions",
    "learn_round",
    "ntuple_actions",
    "plan_move",
    "planner_actions",
    "policy_streams",
    "random_actions",
    "search_hand",
]
