"""The ways a person looks at games: text and Rich renderings, a game in the terminal, and
self-contained HTML replays."""

from alphatriangle.ui.render import render_rich, render_text
from alphatriangle.ui.replay import GameRecord, MovePlayed, record_game, replay_html
from alphatriangle.ui.terminal import play_human, play_policy

__all__ = [
    "GameRecord",
    "MovePlayed",
    "play_human",
    "play_policy",
    "record_game",
    "render_rich",
    "render_text",
    "replay_html",
]
