"""Games a person plays in the browser: one `GameSession` per game, replayable from its seed.

A session is its seed and the actions played; the engine's `GameState` holds the position.
Undo replays the seed's game without the last action (the same refills, since they come from
the seed), so nothing but the actions needs keeping. Beside them a session notes the score and
the agent's value of each position reached (the page's chart), as they were when reached.
"""

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from alphatriangle.config import EnvConfig
from alphatriangle.game import SHAPES, GameState
from alphatriangle.game.geometry import Cell, playable_cells

if TYPE_CHECKING:
    from alphatriangle.web.analysis import Analyst, NTupleAnalyst

MAX_SESSIONS = 64
"""Games kept at once; the oldest goes when a new one would pass this."""
MAX_SEED = 2**63 - 1

ValueOf = Callable[[GameState], float]
"""The agent's value of a position (the points it expects from there, discounted)."""


class MoveError(ValueError):
    """A move or request that does not fit the game; the message says why."""


@dataclass
class Placement:
    """What playing an action does to the board: the cells it fills and those it clears."""

    action: int
    slot: int
    row: int
    col: int
    placed: list[Cell]
    cleared: list[Cell]
    lines: int
    gain: float


@dataclass
class GameSession:
    """One game: its seed, the actions played and the position they lead to."""

    game_id: str
    seed: int
    env: EnvConfig
    value_of: ValueOf
    actions: list[int] = field(default_factory=list)
    lines: int = 0
    last: Placement | None = None
    state: GameState = field(init=False)
    scores: list[float] = field(init=False)
    """The score after each move (the first entry: before any)."""
    values: list[float] = field(init=False)
    """The agent's value of each position, as it was when the position was reached (0 once
    the game is over: no points are to come)."""
    analysts: dict[tuple[str, int], "Analyst | NTupleAnalyst"] = field(default_factory=dict)
    """The agent's searches of this game, by (agent, budget); told of every move."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while the game changes or is searched (the API runs requests on several threads)."""

    def __post_init__(self) -> None:
        self.state = GameState(self.env, initial_seed=self.seed)
        self.scores, self.values = [], []
        self._record()

    def _record(self) -> None:
        """Note the score and the agent's value of the position just reached."""
        self.scores.append(self.state.game_score())
        self.values.append(0.0 if self.state.is_over() else self.value_of(self.state))

    def preview(self, action: int) -> Placement:
        """The cells `action` would fill and clear (a `MoveError` if it is illegal)."""
        self._check_action(action)
        return self._placement(self.state.copy(), action)

    def place(self, action: int) -> Placement:
        """Play `action`; an illegal one raises `MoveError` and changes nothing."""
        placement = self._apply(action)
        self._record()
        for analyst in self.analysts.values():
            analyst.moved(action, self.state)
        return placement

    def undo(self) -> None:
        """Take back the last move: the seed's game replayed without it."""
        if not self.actions:
            raise MoveError("there is no move to undo")
        actions = self.actions[:-1]
        self.state = GameState(self.env, initial_seed=self.seed)
        self.actions, self.lines, self.last = [], 0, None
        for action in actions:
            self._apply(action)
        del self.scores[len(actions) + 1 :], self.values[len(actions) + 1 :]
        for analyst in self.analysts.values():
            analyst.forget()

    def _apply(self, action: int) -> Placement:
        self._check_action(action)
        placement = self._placement(self.state, action)
        self.actions.append(action)
        self.lines += placement.lines
        self.last = placement
        return placement

    def _check_action(self, action: int) -> None:
        if self.state.is_over():
            raise MoveError("the game is over: start a new one")
        if not 0 <= action < self.env.ACTION_DIM:
            raise MoveError(f"action {action} is outside 0..{self.env.ACTION_DIM - 1}")
        if action not in self.state.valid_actions():
            slot, row, col = self.state.decode_action(action)
            shape = self.state.shape_ids()[slot]
            reason = "that slot is empty" if shape is None else "the shape does not fit there"
            raise MoveError(f"slot {slot} at ({row}, {col}) is not a legal move: {reason}")

    def _placement(self, state: GameState, action: int) -> Placement:
        slot, row, col = state.decode_action(action)
        shape = state.shape_ids()[slot]
        assert shape is not None
        placed = sorted((row + dr, col + dc) for dr, dc, _ in SHAPES[shape])
        before = set(state.occupied_cells()) | set(placed)
        score = state.game_score()
        lines = int(state.batch.step(np.array([action], dtype=np.int64)).lines_cleared[0])
        cleared = sorted(before - set(state.occupied_cells()))
        gain = state.game_score() - score
        return Placement(action, slot, row, col, placed, cleared, lines, gain)

    def to_json(self) -> dict[str, Any]:
        """The position as the page draws it."""
        state = self.state
        return {
            "game_id": self.game_id,
            "seed": self.seed,
            "score": state.game_score(),
            "moves": len(self.actions),
            "lines": self.lines,
            "over": state.is_over(),
            "occupied": state.occupied_cells(),
            "slots": state.shape_ids(),
            "legal": sorted(state.valid_actions()),
            "last": None if self.last is None else vars(self.last),
            "trace": {"score": list(self.scores), "value": list(self.values)},
        }


def board_json(env: EnvConfig) -> dict[str, Any]:
    """What the page needs once: the board's size, its playable cells and the shapes."""
    return {
        "rows": env.ROWS,
        "cols": env.COLS,
        "slots": env.NUM_SHAPE_SLOTS,
        "cells": env.ROWS * env.COLS,
        "playable": sorted(playable_cells(env)),
        "shapes": [[list(t) for t in shape] for shape in SHAPES],
    }


class SessionStore:
    """The games of one server, by id (random, unguessable), oldest dropped past the limit."""

    def __init__(self, env: EnvConfig, value_of: ValueOf, limit: int = MAX_SESSIONS) -> None:
        self.env = env
        self.value_of = value_of
        self.limit = limit
        self.sessions: dict[str, GameSession] = {}
        self.lock = threading.Lock()

    def new(self, seed: int | None) -> GameSession:
        if seed is not None and not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed {seed} is outside 0..{MAX_SEED}")
        game_seed = secrets.randbelow(2**31) if seed is None else seed
        session = GameSession(secrets.token_hex(8), game_seed, self.env, self.value_of)
        with self.lock:
            self.sessions[session.game_id] = session
            while len(self.sessions) > self.limit:
                del self.sessions[next(iter(self.sessions))]
        return session

    def get(self, game_id: str) -> GameSession:
        with self.lock:
            session = self.sessions.get(game_id)
        if session is None:
            raise KeyError(game_id)
        return session
