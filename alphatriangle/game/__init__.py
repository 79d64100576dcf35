"""The triangle puzzle: exact rules, a batched numba core and the `GameState` object API."""

from alphatriangle.game.batch import GameBatch, StepResult
from alphatriangle.game.game_state import GameState
from alphatriangle.game.shapes import DRAW_TEMPLATE_IDS, NUM_SHAPES, SHAPES

__all__ = ["DRAW_TEMPLATE_IDS", "NUM_SHAPES", "SHAPES", "GameBatch", "GameState", "StepResult"]
