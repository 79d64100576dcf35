"""A straightforward pure-Python implementation of the rules: the benchmarks' baseline.

Plain sets and loops, no precomputed placement masks; it is also replayed against the
conformance data, so the speed-ups the benchmark reports are against a correct engine.
"""

import random
from collections.abc import Iterable, Sequence

from alphatriangle.config import EnvConfig
from alphatriangle.game.geometry import Cell, board_lines, is_up, playable_cells
from alphatriangle.game.shapes import DRAW_TEMPLATE_IDS, SHAPES


class ReferenceGame:
    """One game with a set of occupied cells and a list of slots."""

    def __init__(self, config: EnvConfig | None = None, seed: int | None = None) -> None:
        self.config = config or EnvConfig()
        self.rng = random.Random(seed)
        self.playable = playable_cells(self.config)
        self.lines = [frozenset(cells) for _, cells in board_lines(self.config)]
        self.reset()

    @classmethod
    def from_snapshot(
        cls, occupied: Iterable[Sequence[int]], shapes: Sequence[int | None], score: float = 0.0
    ) -> "ReferenceGame":
        game = cls()
        game.occupied = {(r, c) for r, c in occupied}
        game.slots = list(shapes)
        game.score = score
        game.over = not game.legal_actions()
        return game

    def reset(self) -> None:
        self.occupied: set[Cell] = set()
        self.slots: list[int | None] = self._draw()
        self.score = 0.0
        self.over = not self.legal_actions()

    def _draw(self) -> list[int | None]:
        return [self.rng.choice(DRAW_TEMPLATE_IDS) for _ in range(self.config.NUM_SHAPE_SLOTS)]

    def _covered(self, shape_id: int, r: int, c: int) -> list[Cell] | None:
        covered = []
        for dr, dc, up in SHAPES[shape_id]:
            cell = (r + dr, c + dc)
            if cell not in self.playable or cell in self.occupied or is_up(*cell) != up:
                return None
            covered.append(cell)
        return covered

    def legal_actions(self) -> list[int]:
        cfg = self.config
        actions = []
        for slot, shape_id in enumerate(self.slots):
            if shape_id is None:
                continue
            for r in range(cfg.ROWS):
                for c in range(cfg.COLS):
                    if self._covered(shape_id, r, c) is not None:
                        actions.append(slot * cfg.ROWS * cfg.COLS + r * cfg.COLS + c)
        return actions

    def step(self, action: int, refill: Sequence[int | None] | None = None) -> tuple[float, bool]:
        cfg = self.config
        slot, cell = divmod(action, cfg.ROWS * cfg.COLS)
        r, c = divmod(cell, cfg.COLS)
        shape_id = self.slots[slot]
        covered = None if shape_id is None else self._covered(shape_id, r, c)
        if covered is None:
            raise ValueError(f"illegal action {action}")
        self.occupied.update(covered)
        cleared: set[Cell] = set()
        for line in self.lines:
            if line & set(covered) and line <= self.occupied:
                cleared |= line
        self.occupied -= cleared
        self.slots[slot] = None
        if all(s is None for s in self.slots):
            self.slots = list(refill) if refill is not None else self._draw()
        self.score += len(covered) + 2 * len(cleared)
        self.over = not self.legal_actions()
        reward = (
            cfg.REWARD_PER_PLACED_TRIANGLE * len(covered)
            + cfg.REWARD_PER_CLEARED_TRIANGLE * len(cleared)
            + (cfg.PENALTY_GAME_OVER if self.over else cfg.REWARD_PER_STEP_ALIVE)
        )
        return reward, self.over
