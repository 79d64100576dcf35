"""The agent's own game on the seed a person played, so the page can say what it scored there.

The game is `eval`'s game for that seed at that budget (`play_suite` for one seed with
`eval`'s chooser: the same refills, search settings and search streams), played in the
background on one thread, a move at a time between the page's own searches (they share the
search lock), and kept by (agent, seed, budget), so asking again costs nothing.
"""

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from alphatriangle.baselines.ntuple import ntuple_actions
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.evaluation.checkpoints import AnyAgent, NTupleAgent
from alphatriangle.evaluation.suite import ActionChooser, AgentChooser, evaluation_mcts, play_suite
from alphatriangle.game import GameBatch

logger = logging.getLogger(__name__)

MAX_KEPT = 32
"""Finished games kept; the oldest goes when a new one would pass this."""
MAX_WAITING = 4
"""Games queued or playing at once; more are refused until one finishes."""

GameKey = tuple[str, int, int]
"""(the agent's checkpoint directory, seed, simulations)."""


class AgentGamesBusyError(Exception):
    """Too many games are waiting to be played; the message says so."""


class _ClosingError(Exception):
    """The games are closing: the game being played ends where it is, unfinished."""


@dataclass
class AgentGame:
    """One background game and how far it has got."""

    agent: str
    seed: int
    simulations: int
    moves: int = 0
    score: float = 0.0
    done: bool = False
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "agent": self.agent, "seed": self.seed, "simulations": self.simulations,
                "moves": self.moves, "score": self.score, "done": self.done, "error": self.error,
            }  # fmt: skip


class AgentGames:
    """The agent's background games: requested by key, played one after another."""

    def __init__(self, search_lock: threading.Lock) -> None:
        self.search_lock = search_lock
        self.games: dict[GameKey, AgentGame] = {}
        self.waiting: queue.Queue[tuple[AgentGame, AnyAgent] | None] = queue.Queue()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def request(self, agent: AnyAgent, seed: int, simulations: int) -> AgentGame:
        """The agent's game on `seed` at `simulations`: finished, playing, or queued now
        (`AgentGamesBusyError` when `MAX_WAITING` games are already waiting)."""
        key = (str(agent.checkpoint_dir), seed, simulations)
        with self.lock:
            if key in self.games:
                return self.games[key]
            unfinished = sum(not game.done for game in self.games.values())
            if unfinished >= MAX_WAITING:
                raise AgentGamesBusyError(
                    f"the agent is already playing {unfinished} games in the background; "
                    "ask again when one has finished"
                )
            game = AgentGame(agent.name, seed, simulations)
            self.games[key] = game
            finished = [k for k, g in self.games.items() if g.done]
            for old in finished[: max(0, len(finished) - MAX_KEPT)]:
                del self.games[old]
            if self.thread is None:
                self.thread = threading.Thread(target=self._work, name="agent-games", daemon=True)
                self.thread.start()
        self.waiting.put((game, agent))
        return game

    def close(self) -> None:
        """Stop after the move being searched; unfinished games stay unfinished."""
        self.stopping.set()
        self.waiting.put(None)
        if self.thread is not None:
            self.thread.join(timeout=60)

    def _work(self) -> None:
        while (item := self.waiting.get()) is not None and not self.stopping.is_set():
            game, agent = item
            try:
                self._play(game, agent)
            except _ClosingError:
                return
            except Exception as error:
                logger.exception("the agent's game on seed %d failed", game.seed)
                with game.lock:
                    game.error, game.done = str(error), True

    def _play(self, game: AgentGame, agent: AnyAgent) -> None:
        """`play_suite` on the one seed, each move searched under the search lock and the
        game's progress noted before it (`_ClosingError` when the games are closing)."""
        env = agent.config.env
        choose: ActionChooser
        if isinstance(agent, NTupleAgent):
            rng = game_policy_streams([game.seed])
            width = game.simulations
            choose = lambda batch: ntuple_actions(batch, rng, agent.player, width)  # noqa: E731
        else:
            mcts = evaluation_mcts(agent.config, game.simulations)
            choose = AgentChooser(agent.network, mcts, env, [game.seed])

        def move(batch: GameBatch) -> npt.NDArray[np.int64]:
            if self.stopping.is_set():
                raise _ClosingError
            with game.lock:
                game.moves, game.score = int(batch.steps[0]), float(batch.score[0])
            with self.search_lock:
                return choose(batch)

        result = play_suite(agent.name, [game.seed], move, env)
        with game.lock:
            game.moves, game.score, game.done = result.lengths[0], result.scores[0], True
