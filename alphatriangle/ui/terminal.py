"""A game in the terminal: a person types moves, or watches a policy play."""

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from rich.console import Console

from alphatriangle.game.batch import GameBatch
from alphatriangle.game.game_state import GameState
from alphatriangle.game.geometry import Cell
from alphatriangle.ui.render import render_rich

Chooser = Callable[[GameBatch], npt.NDArray[np.int64]]
"""Picks an action for every game of a batch (here, a batch of one)."""

HELP = "type a move as 'slot row col' (e.g. '0 3 4'); 'm' lists legal moves, 'q' quits"


def legal_moves_text(state: GameState) -> str:
    """Legal moves grouped by slot, as `row,col` pairs."""
    by_slot: dict[int, list[str]] = {}
    for action in sorted(state.valid_actions()):
        slot, row, col = state.decode_action(action)
        by_slot.setdefault(slot, []).append(f"{row},{col}")
    if not by_slot:
        return "no legal moves"
    return "\n".join(f"slot {slot}: {' '.join(cells)}" for slot, cells in by_slot.items())


def parse_move(state: GameState, text: str) -> int:
    """The action for 'slot row col', or `ValueError` with a message for the player."""
    parts = text.replace(",", " ").split()
    if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        raise ValueError(f"could not read {text!r}: {HELP}")
    slot, row, col = (int(p) for p in parts)
    try:
        action = state.encode_action(slot, row, col)
    except ValueError as error:
        raise ValueError(f"{error}: {HELP}") from None
    if state.shape_ids()[slot] is None:
        raise ValueError(f"slot {slot} is empty; choose a slot that holds a shape")
    if action not in state.valid_actions():
        raise ValueError(
            f"slot {slot}'s shape does not fit at row {row}, col {col}; 'm' lists moves"
        )
    return action


def _apply(state: GameState, action: int) -> tuple[frozenset[Cell], str]:
    before = set(state.occupied_cells())
    score = state.game_score()
    state.step(action)
    placed = frozenset(set(state.occupied_cells()) - before)
    slot, row, col = state.decode_action(action)
    gained = state.game_score() - score
    return placed, f"slot {slot} at ({row}, {col}): +{gained:g}"


def play_human(state: GameState, console: Console, read: Callable[[str], str] = input) -> int:
    """Let a person play until the game ends or they quit; returns the exit code."""
    highlight: frozenset[Cell] = frozenset()
    console.print(HELP.capitalize(), soft_wrap=True)
    redraw = True
    while not state.is_over():
        if redraw:
            console.print(render_rich(state, highlight))
        redraw = False
        try:
            text = read("move> ").strip().lower()
        except EOFError:
            text = "q"
        if text in ("q", "quit", "exit"):
            console.print(
                f"quit with score {state.game_score():g} after {state.current_step} moves"
            )
            return 0
        if text in ("m", "moves", "?", "help", "h"):
            console.print(legal_moves_text(state) if text.startswith("m") else HELP, soft_wrap=True)
            continue
        try:
            action = parse_move(state, text)
        except ValueError as error:
            console.print(f"[red]{error}[/red]", soft_wrap=True, highlight=False)
            continue
        highlight, message = _apply(state, action)
        console.print(message)
        redraw = True
    console.print(render_rich(state, highlight))
    console.print(f"game over: score {state.game_score():g} in {state.current_step} moves")
    return 0


def play_policy(
    state: GameState, policy: str, choose: Chooser, console: Console, watch: bool, delay: float
) -> int:
    """Let a policy play the game, showing every move when `watch` is set."""
    while not state.is_over():
        action = int(choose(state.batch)[0])
        highlight, message = _apply(state, action)
        if watch:
            console.print(render_rich(state, highlight))
            console.print(f"{policy}: {message}")
            time.sleep(delay)
    if not watch:
        console.print(render_rich(state))
    console.print(
        f"game over: {policy} scored {state.game_score():g} in {state.current_step} moves"
    )
    return 0
