"""Root policies, as mctx's `policies.py`: what a search adds at its root before the
simulations and how it turns the searched root into a move and a policy target.

- `GumbelRoot` (Danihelka et al., 2022): Gumbel noise over the prior for Gumbel-top-k with
  sequential halving; the move is the surviving action with the best
  `gumbel + logit + sigma(Q)`; the target is the improved policy `softmax(logit + sigma(Q))`.
- `PuctRoot` (AlphaZero): Dirichlet noise in the root prior; the target is the visit
  distribution and the move is sampled from it with the temperature schedule.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from alphatriangle.config import MCTSConfig
from alphatriangle.mcts.action_selection import RootState, SelectionParams, gumbel_sigma_q
from alphatriangle.mcts.tree import ROOT, Tree
from alphatriangle.utils.softmax import masked_softmax


@dataclass(frozen=True)
class RootStatistics:
    """What both policies read at the searched roots ([games, actions] each)."""

    sigma_q: npt.NDArray[np.float64]
    visits: npt.NDArray[np.int32]
    improved: npt.NDArray[np.float64]


@njit(cache=True)
def _root_statistics(
    tree: Tree,
    params: SelectionParams,
    active: np.ndarray,
    sigma_q: np.ndarray,
    visits: np.ndarray,
    improved: np.ndarray,
) -> None:
    """Per active game: sigma(completed Q), visits and the improved policy at the root."""
    for g in range(active.shape[0]):
        if not active[g]:
            continue
        gumbel_sigma_q(tree, params, g, ROOT, sigma_q[g], visits[g])
        logits = tree.children_logit[g, 0]
        for a in range(logits.shape[0]):
            improved[g, a] = logits[a] + sigma_q[g, a] if logits[a] != -np.inf else -np.inf
        masked_softmax(improved[g], improved[g])


def root_statistics(
    tree: Tree, params: SelectionParams, active: npt.NDArray[np.bool_]
) -> RootStatistics:
    """sigma(completed Q), visits and the improved policy at every active root."""
    games, actions = tree.children_logit.shape[0], tree.children_logit.shape[2]
    stats = RootStatistics(
        sigma_q=np.zeros((games, actions), dtype=np.float64),
        visits=np.zeros((games, actions), dtype=np.int32),
        improved=np.zeros((games, actions), dtype=np.float64),
    )
    _root_statistics(tree, params, active, stats.sigma_q, stats.visits, stats.improved)
    return stats


@dataclass(frozen=True)
class SearchedRoots:
    """Everything a root policy reads to decide: the tree, the root inputs it prepared, the
    root statistics, which games searched and their move numbers."""

    tree: Tree
    roots: RootState
    stats: RootStatistics
    active: npt.NDArray[np.bool_]
    move_numbers: npt.NDArray[np.int64]


class RootPolicy(ABC):
    """Prepares the roots of a search and decides the move from the searched roots."""

    gumbel: bool
    """Whether simulations select with the Gumbel rules (else PUCT)."""

    def __init__(self, config: MCTSConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng

    @abstractmethod
    def prepare(self, tree: Tree, roots: RootState, active: npt.NDArray[np.bool_]) -> None:
        """Fill the root inputs this policy's selection reads (noise)."""

    @abstractmethod
    def decide(
        self, searched: SearchedRoots
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(actions, policy targets), -1 and zeros for inactive games."""


class GumbelRoot(RootPolicy):
    """Gumbel-top-k with sequential halving at the root."""

    gumbel = True

    def prepare(self, tree: Tree, roots: RootState, active: npt.NDArray[np.bool_]) -> None:
        roots.gumbel[:] = self.config.GUMBEL_SCALE * self.rng.gumbel(size=roots.gumbel.shape)

    def decide(
        self, searched: SearchedRoots
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        roots, active = searched.roots, searched.active
        logits = searched.tree.children_logit[:, 0]
        most = roots.search_visits.max(axis=1, keepdims=True)
        survivors = np.isfinite(logits) & (roots.search_visits == most)
        score = np.where(survivors, roots.gumbel + logits + searched.stats.sigma_q, -np.inf)
        actions = np.where(active, np.argmax(score, axis=1), -1).astype(np.int64)
        targets = np.where(active[:, None], searched.stats.improved, 0.0).astype(np.float32)
        return actions, targets


class PuctRoot(RootPolicy):
    """Dirichlet noise at the root; moves sampled from the visits with a temperature."""

    gumbel = False

    def prepare(self, tree: Tree, roots: RootState, active: npt.NDArray[np.bool_]) -> None:
        cfg = self.config
        logits = tree.children_logit[:, 0]
        prior = np.where(np.isfinite(logits), np.exp(logits), 0.0)
        for g in np.flatnonzero(active):
            legal = np.flatnonzero(prior[g] > 0)
            noise = self.rng.dirichlet([cfg.DIRICHLET_ALPHA] * legal.size)
            mixed = (1 - cfg.DIRICHLET_EPSILON) * prior[g, legal] + cfg.DIRICHLET_EPSILON * noise
            prior[g, legal] = mixed
        roots.prior[:] = prior

    def decide(
        self, searched: SearchedRoots
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        cfg, visits = self.config, searched.stats.visits
        actions = np.full(searched.active.shape[0], -1, dtype=np.int64)
        targets = np.zeros(visits.shape, dtype=np.float32)
        for g in np.flatnonzero(searched.active):
            counts = visits[g].astype(np.float64)
            targets[g] = counts / counts.sum()
            early = searched.move_numbers[g] < cfg.TEMPERATURE_ANNEAL_MOVES
            temperature = cfg.TEMPERATURE_INITIAL if early else cfg.TEMPERATURE_FINAL
            actions[g] = self._sample(counts, temperature)
        return actions, targets

    def _sample(self, counts: npt.NDArray[np.float64], temperature: float) -> int:
        if temperature <= 1e-3:
            return int(np.argmax(counts))
        weights = np.where(counts > 0, counts / counts.max(), 0.0) ** (1.0 / temperature)
        return int(self.rng.choice(counts.size, p=weights / weights.sum()))


def root_policy(config: MCTSConfig, rng: np.random.Generator) -> RootPolicy:
    """The root policy `config.ROOT_SELECTION` names, drawing its noise from `rng`."""
    return GumbelRoot(config, rng) if config.ROOT_SELECTION == "gumbel" else PuctRoot(config, rng)
