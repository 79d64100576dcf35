"""The agent's view of a position: `eval`'s search, run for one game of the page.

An `Analyst` is `eval`'s `AgentChooser` for one game seed at one budget: the same search
settings (`evaluation_mcts`), the same search streams (from the game seed) and the same tree
reuse, told of every move played. So on a game the agent plays from the start, each hint is
the move `eval` plays on that seed; after a person's moves the tree follows them too.
"""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alphatriangle.baselines.ntuple import board_value, first_moves, ntuple_actions, position_value
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.evaluation.checkpoints import (
    Agent,
    AnyAgent,
    NTupleAgent,
    load_any_agent,
    run_managers,
)
from alphatriangle.evaluation.suite import AgentChooser, evaluation_mcts
from alphatriangle.game import GameState

logger = logging.getLogger(__name__)

MAX_SIMULATIONS = 1024
"""The largest budget an analysis may ask for."""
SIMULATIONS = (16, 64, 256)
"""The page's search budgets for an AlphaZero agent."""
BEAMS = (8, 32, 128)
"""The page's beam widths for an n-tuple player."""
MAX_BEAM = 256
TOP_MOVES = 5


@dataclass(frozen=True)
class Analysis:
    """The search's verdict on one position."""

    simulations: int
    """The budget searched: simulations, or an n-tuple player's beam width."""
    agent: str
    kind: str
    """`alphazero` (a network's search) or `ntuple` (the n-tuple player's beam)."""
    move: int
    """The action the agent plays here (what "hint" shows and "agent move" plays)."""
    value: float
    """The search's value of the position (the return it expects from here)."""
    network_value: float
    """The network's value of the position (an n-tuple player's: its table's value of the
    board as it stands)."""
    candidates: list[dict[str, Any]]
    """The most visited moves: action, slot, row, col, visit share, Q and prior (an n-tuple
    player's best moves by worth, as Q, with no visits or prior)."""

    def to_json(self) -> dict[str, Any]:
        return vars(self)


class Analyst:
    """`eval`'s chooser for one game at one budget, advanced with every move of the game."""

    def __init__(self, agent: Agent, simulations: int, seed: int) -> None:
        self.agent = agent
        self.simulations = simulations
        mcts = evaluation_mcts(agent.config, simulations)
        self.chooser = AgentChooser(agent.network, mcts, agent.config.env, [seed])
        self.cached: tuple[int, Analysis] | None = None
        """(move number, analysis) of the position searched last, until a move is played."""

    def analyse(self, state: GameState, move_number: int) -> Analysis:
        """The search's move and top candidates for the current position (searched once)."""
        if self.cached is not None and self.cached[0] == move_number:
            return self.cached[1]
        batch = state.batch
        action = int(self.chooser(batch)[0])
        self.chooser.last_actions = None  # the game tells the tree of each move (`moved`)
        out = self.chooser.last_output
        assert out is not None
        tree = self.chooser.search.tree
        prior = np.exp(tree.children_logit[0, 0].astype(np.float64))
        visits, q = out.root_visits[0], out.root_q[0]
        total = max(1, int(visits.sum()))
        order = np.argsort(-visits, kind="stable")[:TOP_MOVES]
        candidates = []
        for a in order:
            if visits[a] <= 0:
                continue
            slot, row, col = state.decode_action(int(a))
            candidates.append(
                {
                    "action": int(a), "slot": slot, "row": row, "col": col,
                    "share": float(visits[a]) / total,
                    "q": float(q[a]) if np.isfinite(q[a]) else None,
                    "prior": float(prior[a]),
                }
            )  # fmt: skip
        analysis = Analysis(
            simulations=self.simulations,
            agent=self.agent.name,
            kind="alphazero",
            move=action,
            value=float(out.root_values[0]),
            network_value=float(tree.node_raw_value[0, 0]),
            candidates=candidates,
        )
        self.cached = (move_number, analysis)
        return analysis

    def moved(self, action: int, state: GameState) -> None:
        """A move was played (by anyone): keep the subtree it leads to, as `eval` does."""
        self.cached = None
        self.chooser.search.advance(np.array([action], dtype=np.int64), state.batch.shapes)

    def forget(self) -> None:
        """The game went back (undo): search its next position afresh."""
        self.cached = None
        self.chooser.search.reset()


class NTupleAnalyst:
    """The n-tuple player's view for one game at one beam width: the move `eval`'s chooser
    plays there (from the game seed's stream) and its best first moves by worth."""

    def __init__(self, agent: NTupleAgent, width: int, seed: int) -> None:
        self.agent = agent
        self.width = width
        self.rng = game_policy_streams([seed])
        self.cached: tuple[int, Analysis] | None = None

    def analyse(self, state: GameState, move_number: int) -> Analysis:
        if self.cached is not None and self.cached[0] == move_number:
            return self.cached[1]
        player, batch = self.agent.player, state.batch
        action = int(ntuple_actions(batch, self.rng, player, self.width)[0])
        actions, worths = first_moves(player, batch, self.rng, self.width)
        candidates = []
        for a, worth in zip(actions[:TOP_MOVES], worths[:TOP_MOVES], strict=True):
            slot, row, col = state.decode_action(int(a))
            candidates.append({"action": int(a), "slot": slot, "row": row, "col": col,
                               "share": None, "q": float(worth), "prior": None})  # fmt: skip
        analysis = Analysis(
            simulations=self.width,
            agent=self.agent.name,
            kind="ntuple",
            move=action,
            value=position_value(player, batch, self.rng, self.width),
            network_value=board_value(player, batch),
            candidates=candidates,
        )
        self.cached = (move_number, analysis)
        return analysis

    def moved(self, action: int, state: GameState) -> None:
        self.cached = None

    def forget(self) -> None:
        self.cached = None


def analyst_for(agent: AnyAgent, budget: int, seed: int) -> Analyst | NTupleAnalyst:
    """The view of `agent` at `budget` (simulations, or an n-tuple player's beam width)."""
    if isinstance(agent, NTupleAgent):
        return NTupleAnalyst(agent, budget, seed)
    return Analyst(agent, budget, seed)


def search_budgets(agent: AnyAgent) -> tuple[str, tuple[int, ...]]:
    """What the page's budget is for `agent` (simulations or beam width) and its choices."""
    if isinstance(agent, NTupleAgent):
        return "beam", BEAMS
    return "simulations", SIMULATIONS


class AgentSource:
    """The agent the page searches with. A checkpoint or exported agent is loaded once; a run
    (by name or directory) follows its newest checkpoint, reloaded when a newer one lands."""

    def __init__(self, target: str, root: Path) -> None:
        self.target = target
        self.root = root
        self.managers = run_managers(target, root)
        self.lock = threading.Lock()
        newest = self._newest_dir()
        self.agent = load_any_agent(target if newest is None else str(newest), root)

    @property
    def follows_run(self) -> bool:
        return bool(self.managers)

    def current(self) -> AnyAgent:
        """The agent now: for a run, its newest checkpoint (a damaged newer one is skipped
        with a warning and the one in use kept)."""
        if not self.managers:
            return self.agent
        with self.lock:
            try:
                newest = self._newest_dir()
                if newest is not None and newest != self.agent.checkpoint_dir:
                    self.agent = load_any_agent(str(newest), self.root)
                    logger.info("analysing with %s", self.agent.name)
            except Exception as error:
                logger.warning("kept %s: the newer checkpoint did not load (%s)", self.agent.name,
                               error)  # fmt: skip
            return self.agent

    def _newest_dir(self) -> Path | None:
        """The run's newest complete checkpoint (what a resume would take)."""
        for manager in self.managers:
            found = manager.resume_dir()
            if found is not None:
                return found
        return None


def check_budget(simulations: int, agent: AnyAgent | None = None) -> int:
    """A search budget the page may ask for (an n-tuple player's: a beam width), or a
    `ValueError` saying which are."""
    if isinstance(agent, NTupleAgent):
        if not 1 <= simulations <= MAX_BEAM:
            raise ValueError(f"the beam width must be 1 to {MAX_BEAM}, got {simulations}")
        return simulations
    if not 1 <= simulations <= MAX_SIMULATIONS:
        raise ValueError(f"simulations must be 1 to {MAX_SIMULATIONS}, got {simulations}")
    return simulations
