"""Batched MCTS with chance nodes at refills and a Gumbel (or PUCT) root."""

from alphatriangle.mcts.search import BatchedMCTS, Evaluator, SearchOutput
from alphatriangle.mcts.tree import Tree

__all__ = ["BatchedMCTS", "Evaluator", "SearchOutput", "Tree"]
