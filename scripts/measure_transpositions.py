"""How often one search evaluates the same position twice (placing A then B reaches the
position B then A reaches): the share of leaf evaluations a per-search cache would save.

Plays `--games` games with the shipped agent (or `--agent`) at `--simulations`, searching all
games in one batch with the agent's self-play search settings (`--evaluation`: those of
`eval`), and counts per search the evaluated positions and the distinct ones (board words
and hand).

    python scripts/measure_transpositions.py --simulations 24 --moves 60
"""

import argparse

import numpy as np
import numpy.typing as npt

from alphatriangle.evaluation import evaluation_mcts, load_agent
from alphatriangle.game import GameBatch
from alphatriangle.mcts import BatchedMCTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", default="models/laptop")
    parser.add_argument("--games", type=int, default=32)
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--simulations", type=int, default=24)
    parser.add_argument("--evaluation", action="store_true", help="eval's search settings")
    args = parser.parse_args()
    agent = load_agent(args.agent)
    if args.evaluation:
        mcts = evaluation_mcts(agent.config, simulations=args.simulations)
    else:
        mcts = agent.config.mcts.model_copy(update={"NUM_SIMULATIONS": args.simulations})
    games = GameBatch.new(args.games, agent.config.env, seeds=list(range(args.games)))
    search = BatchedMCTS(mcts, agent.config.env, args.games, seed=0)
    seen: list[set[tuple[int, ...]]] = []
    totals = [0, 0]

    def counting(
        occ: npt.NDArray[np.uint64], shapes: npt.NDArray[np.int8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        for key in np.concatenate([occ.astype(np.int64), shapes.astype(np.int64)], axis=1):
            seen_before = tuple(key) in seen[-1]
            totals[0] += 1
            totals[1] += int(seen_before)
            seen[-1].add(tuple(key))
        return agent.network.evaluate_arrays(occ, shapes)

    for _ in range(args.moves):
        active = ~games.done
        if not active.any():
            break
        seen.append(set())
        out = search.search(games.occ, games.shapes, counting, active=active)
        games.step(out.actions)
        search.advance(out.actions, games.shapes)
    evaluated, repeated = totals
    print(
        f"{evaluated} leaf evaluations in {len(seen)} searches of {args.games} games at "
        f"{args.simulations} simulations ({mcts.GUMBEL_MAX_CONSIDERED_ACTIONS} considered at "
        f"the root): {repeated} ({100 * repeated / evaluated:.1f}%) "
        "were of a position already evaluated in the same search batch"
    )


if __name__ == "__main__":
    main()
