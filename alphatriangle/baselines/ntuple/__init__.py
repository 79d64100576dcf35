"""The n-tuple baseline: an afterstate value made of table lookups, learned by TD self-play,
played by a beam over the whole hand (the method that leads 2048 per unit of compute)."""

from alphatriangle.baselines.ntuple.layout import TupleLayout, tuple_cells, tuple_layout
from alphatriangle.baselines.ntuple.learning import (
    Lanes,
    RoundStats,
    learn_round,
    learning_rate,
    new_lanes,
)
from alphatriangle.baselines.ntuple.player import (
    WEIGHTS_KEY,
    NTuplePlayer,
    board_value,
    first_moves,
    ntuple_actions,
    position_value,
)
from alphatriangle.baselines.ntuple.search import first_move_values, search_hand
from alphatriangle.baselines.ntuple.value import afterstate_value, td_step

__all__ = [
    "WEIGHTS_KEY",
    "Lanes",
    "NTuplePlayer",
    "RoundStats",
    "TupleLayout",
    "afterstate_value",
    "board_value",
    "first_move_values",
    "first_moves",
    "learn_round",
    "learning_rate",
    "new_lanes",
    "ntuple_actions",
    "position_value",
    "search_hand",
    "td_step",
    "tuple_cells",
    "tuple_layout",
]
