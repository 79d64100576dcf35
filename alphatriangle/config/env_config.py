"""Board geometry, slots and reward constants of the triangle puzzle (see GAME_RULES.md)."""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

DEFAULT_PLAYABLE_RANGE: tuple[tuple[int, int], ...] = (
    (3, 12),
    (2, 13),
    (1, 14),
    (0, 15),
    (0, 15),
    (1, 14),
    (2, 13),
    (3, 12),
)

MAX_BITBOARD_CELLS = 128
"""The engine stores a board in two 64-bit words."""


class EnvConfig(BaseModel):
    """Validated, immutable game configuration; the defaults are the original game's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ROWS: int = Field(default=8, ge=1, description="Rows of the board rectangle.")
    COLS: int = Field(default=15, ge=1, description="Columns of the board rectangle.")
    PLAYABLE_RANGE_PER_ROW: tuple[tuple[int, int], ...] = Field(
        default=DEFAULT_PLAYABLE_RANGE,
        description="Per row, the half-open range [start, end) of playable columns.",
    )
    NUM_SHAPE_SLOTS: int = Field(default=3, ge=1, le=8, description="Shapes held at once.")

    REWARD_PER_PLACED_TRIANGLE: float = Field(
        default=0.01, description="Reward per triangle a placed shape covers."
    )
    REWARD_PER_CLEARED_TRIANGLE: float = Field(
        default=0.5, description="Reward per triangle a completed line clears."
    )
    REWARD_PER_STEP_ALIVE: float = Field(
        default=0.005, description="Reward for a move after which a move is still possible."
    )
    PENALTY_GAME_OVER: float = Field(
        default=-10.0, description="Reward for the move after which no shape fits (negative)."
    )

    @model_validator(mode="before")
    @classmethod
    def _accept_dumped_action_dim(cls, data: Any) -> Any:
        """A dump includes the computed ACTION_DIM; it must match the other fields."""
        if isinstance(data, dict) and "ACTION_DIM" in data:
            data = dict(data)
            given = data.pop("ACTION_DIM")
            slots = data.get("NUM_SHAPE_SLOTS", 3)
            rows, cols = data.get("ROWS", 8), data.get("COLS", 15)
            numbers = all(isinstance(v, int) for v in (slots, rows, cols))
            if numbers and given != slots * rows * cols:
                raise ValueError(
                    f"ACTION_DIM is computed (NUM_SHAPE_SLOTS * ROWS * COLS = "
                    f"{slots * rows * cols}); drop it or make it match, not {given}"
                )
        return data

    @model_validator(mode="after")
    def _check_geometry(self) -> "EnvConfig":
        if self.ROWS * self.COLS > MAX_BITBOARD_CELLS:
            raise ValueError(
                f"ROWS * COLS = {self.ROWS * self.COLS} exceeds {MAX_BITBOARD_CELLS}, "
                "the most cells the bitboard engine holds"
            )
        if len(self.PLAYABLE_RANGE_PER_ROW) != self.ROWS:
            raise ValueError(
                f"PLAYABLE_RANGE_PER_ROW has {len(self.PLAYABLE_RANGE_PER_ROW)} entries, "
                f"expected one per row (ROWS = {self.ROWS})"
            )
        for row, (start, end) in enumerate(self.PLAYABLE_RANGE_PER_ROW):
            if not 0 <= start <= end <= self.COLS:
                raise ValueError(
                    f"PLAYABLE_RANGE_PER_ROW[{row}] = ({start}, {end}) must satisfy "
                    f"0 <= start <= end <= COLS ({self.COLS})"
                )
        if self.playable_cell_count == 0:
            raise ValueError("PLAYABLE_RANGE_PER_ROW leaves no playable cell")
        return self

    def game(self) -> dict[str, Any]:
        """The board and slots as plain JSON values: what two agents must share to be
        compared (`eval --json` records it)."""
        fields = ("ROWS", "COLS", "PLAYABLE_RANGE_PER_ROW", "NUM_SHAPE_SLOTS")
        dumped: dict[str, Any] = json.loads(self.model_dump_json(include=set(fields)))
        return dumped

    def same_game(self, other: "EnvConfig") -> bool:
        """Same board and slots: only the training rewards may differ."""
        return self.game() == other.game()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ACTION_DIM(self) -> int:
        """One action per (slot, row, col)."""
        return self.NUM_SHAPE_SLOTS * self.ROWS * self.COLS

    @property
    def cells(self) -> int:
        """Cells of the board rectangle, playable or not."""
        return self.ROWS * self.COLS

    @property
    def playable_cell_count(self) -> int:
        return sum(end - start for start, end in self.PLAYABLE_RANGE_PER_ROW)
