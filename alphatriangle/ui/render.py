"""Text and Rich renderings of a game: the board's up/down triangles, the slots, the score."""

from rich.text import Text

from alphatriangle.game.game_state import GameState
from alphatriangle.game.geometry import Cell, engine_tables, is_up
from alphatriangle.game.shapes import SHAPES

FILLED = {True: "▲", False: "▼"}
EMPTY = {True: "△", False: "▽"}
SHAPE_COLOURS = (
    "red", "green", "blue", "yellow", "magenta", "cyan", "bright_red", "bright_green",
    "bright_blue", "bright_yellow", "bright_magenta", "bright_cyan", "orange1", "purple",
    "spring_green1", "deep_pink1", "gold1", "turquoise2", "orchid", "chartreuse1",
    "dodger_blue1", "salmon1", "plum1",
)  # fmt: skip


def shape_rows(shape_id: int | None) -> list[str]:
    """A shape drawn as rows of triangles, 2 characters per column."""
    if shape_id is None:
        return ["(empty)"]
    triangles = SHAPES[shape_id]
    min_dc = min(dc for _, dc, _ in triangles)
    height = 1 + max(dr for dr, _, _ in triangles)
    width = 1 + max(dc for _, dc, _ in triangles) - min_dc
    grid = [[" "] * width for _ in range(height)]
    for dr, dc, up in triangles:
        grid[dr][dc - min_dc] = FILLED[up]
    return [" ".join(row).rstrip() for row in grid]


def _board_text(state: GameState, highlight: frozenset[Cell], colour: bool) -> Text:
    cfg = state.config
    playable = engine_tables(cfg).playable
    occupied = set(state.occupied_cells())
    text = Text()
    text.append("    " + "".join(f"{c:>3}" for c in range(cfg.COLS)) + "\n", style="dim")
    for r in range(cfg.ROWS):
        row = Text(f"{r:>4}", style="dim")
        for c in range(cfg.COLS):
            up = is_up(r, c)
            if not playable[r * cfg.COLS + c]:
                row.append("   ")
            elif (r, c) in occupied:
                style = "bold bright_white on blue" if (r, c) in highlight else "bright_cyan"
                row.append(f"  {FILLED[up]}", style=style if colour else "")
            else:
                row.append(f"  {EMPTY[up]}", style="grey50" if colour else "")
        row.rstrip()
        text.append_text(row)
        text.append("\n")
    return text


def _slots_text(state: GameState, colour: bool) -> Text:
    columns = []
    for slot, shape_id in enumerate(state.shape_ids()):
        rows = shape_rows(shape_id)
        style = SHAPE_COLOURS[shape_id] if colour and shape_id is not None else ""
        columns.append((f"slot {slot}", rows, style))
    width = max(max(len(h), *(len(r) for r in rows)) for h, rows, _ in columns) + 4
    height = max(len(rows) for _, rows, _ in columns)
    text = Text()
    text.append("".join(h.ljust(width) for h, _, _ in columns).rstrip() + "\n", style="bold")
    for i in range(height):
        for _, rows, style in columns:
            text.append((rows[i] if i < len(rows) else "").ljust(width), style=style)
        text.rstrip()
        text.append("\n")
    return text


def render_rich(state: GameState, highlight: frozenset[Cell] = frozenset()) -> Text:
    """A coloured board (highlighted cells stand out), the slots, score and move count."""
    return _render(state, highlight, colour=True)


def render_text(state: GameState) -> str:
    """The same picture without colour, for logs and plain terminals."""
    return _render(state, frozenset(), colour=False).plain


def _render(state: GameState, highlight: frozenset[Cell], colour: bool) -> Text:
    status = "  GAME OVER" if state.is_over() else ""
    text = Text()
    text.append(f"score {state.game_score():g}   move {state.current_step}{status}\n", style="bold")
    text.append_text(_board_text(state, highlight, colour))
    text.append_text(_slots_text(state, colour))
    return text
