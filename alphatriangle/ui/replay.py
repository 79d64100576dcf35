"""Recorded games and their self-contained HTML replays (inline SVG and script, no network)."""

import html
import json
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from alphatriangle.config import EnvConfig
from alphatriangle.game import SHAPES, GameState
from alphatriangle.game.geometry import playable_cells

Candidate = tuple[int, float, float]
"""(action, share of the root visits, return estimate) of one move the search considered."""
MovePlayed = tuple[int, list[Candidate]]
"""An action played and the candidates the search weighed for it."""


@dataclass(frozen=True)
class Frame:
    """The position before a move (or after the last one)."""

    score: float
    occupied: list[tuple[int, int]]
    slots: list[int | None]


@dataclass(frozen=True)
class MoveRecord:
    slot: int
    row: int
    col: int
    placed: list[tuple[int, int]]
    cleared: list[tuple[int, int]]
    gain: float
    candidates: list[dict[str, float]]


@dataclass(frozen=True)
class GameRecord:
    title: str
    seed: int
    rows: int
    cols: int
    frames: list[Frame]
    moves: list[MoveRecord]

    @property
    def final_score(self) -> float:
        return self.frames[-1].score


def record_game(title: str, seed: int, played: list[MovePlayed], env: EnvConfig) -> GameRecord:
    """Replay the moves from `seed` (refills come from the seed) and note what each did."""
    state = GameState(env, initial_seed=seed)
    frames: list[Frame] = []
    moves: list[MoveRecord] = []
    for action, considered in played:
        before = set(state.occupied_cells())
        frames.append(Frame(state.game_score(), sorted(before), state.shape_ids()))
        slot, row, col = state.decode_action(action)
        shape = state.shape_ids()[slot]
        assert shape is not None
        placed = [(row + dr, col + dc) for dr, dc, _ in SHAPES[shape]]
        score = state.game_score()
        state.step(action)
        after = set(state.occupied_cells())
        cleared = sorted((before | set(placed)) - after)
        listed = []
        for a, share, value in considered:
            s, r, c = state.decode_action(a)
            listed.append({"slot": s, "row": r, "col": c, "share": share, "value": value})
        moves.append(MoveRecord(slot, row, col, sorted(placed), cleared,
                                state.game_score() - score, listed))  # fmt: skip
    frames.append(Frame(state.game_score(), sorted(state.occupied_cells()), state.shape_ids()))
    return GameRecord(title, seed, env.ROWS, env.COLS, frames, moves)


def _payload(record: GameRecord, env: EnvConfig) -> dict[str, Any]:
    return {
        **asdict(record),
        "playable": sorted(playable_cells(env)),
        "shapes": [[list(t) for t in shape] for shape in SHAPES],
    }


def replay_html(record: GameRecord, env: EnvConfig) -> str:
    """One HTML file that plays the game back: board, slots, highlights, candidates, controls."""
    data = json.dumps(_payload(record, env)).replace("</", "<\\/")
    template = resources.files("alphatriangle.ui").joinpath("replay_template.html")
    page = template.read_text(encoding="utf-8")
    return page.replace("__TITLE__", html.escape(record.title)).replace("__DATA__", data)
