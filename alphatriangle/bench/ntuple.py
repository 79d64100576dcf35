"""`alphatriangle bench ntuple`: how fast the n-tuple baseline learns and plays.

Learning: positions/s of TD self-play (the training beam) on 1 thread and on every thread
asked for, from zero weights for a fixed time, and the mean score of the games it finished.
Playing: positions (moves) per second of whole games at the
evaluation beam and a quarter of it, one thread, with the weights of an agent if given (a
trained player's games are longer, so its moves/s are the ones that matter).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console

from alphatriangle.baselines.ntuple import NTuplePlayer, learn_round, new_lanes, ntuple_actions
from alphatriangle.baselines.simple import game_policy_streams
from alphatriangle.bench.planner import BENCH_SEED_BASE
from alphatriangle.bench.report import write_report
from alphatriangle.config import EnvConfig, NTupleConfig
from alphatriangle.evaluation.checkpoints import CheckpointError, NTupleAgent, load_any_agent
from alphatriangle.evaluation.suite import play_suite
from alphatriangle.game.geometry import engine_tables


def time_learning(config: NTupleConfig, threads: int, seconds: float) -> dict[str, Any]:
    """TD self-play on `threads` threads from zero weights for about `seconds`."""
    env = EnvConfig()
    player = NTuplePlayer.empty(env, config)
    tables = engine_tables(env)
    lanes = new_lanes(threads * config.GAMES_PER_THREAD, env.NUM_SHAPE_SLOTS, 1)
    moves = 0
    scores: list[float] = []
    with ThreadPoolExecutor(threads) as pool:
        learn_round(pool, tables.core, player.layout, player.weights, lanes,
                    config.TRAIN_BEAM_WIDTH, 1, 0.0, threads)  # fmt: skip
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            stats = learn_round(pool, tables.core, player.layout, player.weights, lanes,
                                config.TRAIN_BEAM_WIDTH, config.HANDS_PER_ROUND,
                                config.LEARNING_RATE, threads)  # fmt: skip
            moves += int(stats.moves.sum())
            for g, count in enumerate(stats.finished_count):
                scores += stats.finished[g, :count].tolist()
    return _row("learning", threads, config.TRAIN_BEAM_WIDTH, elapsed, moves, scores)


def _row(
    what: str, threads: int, beam: int, elapsed: float, moves: int, scores: list[float]
) -> dict[str, Any]:
    return {
        "what": what,
        "threads": threads,
        "beam": beam,
        "seconds": round(elapsed, 2),
        "positions/s": moves / elapsed,
        "games": len(scores),
        "mean score": sum(scores) / max(1, len(scores)),
    }


def time_playing(player: NTuplePlayer, width: int, seeds: list[int]) -> dict[str, Any]:
    """Every seed's game to the end with the player at beam `width`, one thread."""
    rng = game_policy_streams(list(seeds))
    started = time.perf_counter()
    result = play_suite("ntuple", seeds, lambda b: ntuple_actions(b, rng, player, width),
                        player.env)  # fmt: skip
    elapsed = time.perf_counter() - started
    return _row("playing", 1, width, elapsed, sum(result.lengths), result.scores)


def run_ntuple_benchmark(
    agent: str | None, games: int, seconds: float, threads: int, out: Path, console: Console
) -> dict[str, Any]:
    """Learning on 1 and `threads` threads, then playing `games` games at two beams."""
    player = NTuplePlayer.empty(EnvConfig(), NTupleConfig())
    if agent is not None:
        loaded = load_any_agent(agent)
        if not isinstance(loaded, NTupleAgent):
            raise CheckpointError(f"{agent} is not an n-tuple player (train --preset ntuple)")
        player = loaded.player
    config = player.config
    console.print(f"n-tuple learning for {seconds:g} s on 1 and {threads} threads ...")
    rows = [time_learning(config, count, seconds) for count in sorted({1, threads})]
    seeds = list(range(BENCH_SEED_BASE, BENCH_SEED_BASE + games))
    widths = sorted({max(1, config.BEAM_WIDTH // 4), config.BEAM_WIDTH})
    time_playing(player, 1, seeds[:1])
    console.print(f"playing {games} games (one thread) at beams {widths} ...")
    rows += [time_playing(player, width, seeds) for width in widths]
    summary = {
        "learning_positions_per_second": rows[len(rows) - len(widths) - 1]["positions/s"],
        "playing_moves_per_second": rows[-1]["positions/s"],
        "mean_score": rows[-1]["mean score"],
    }
    write_report("ntuple", rows, summary, out, console)
    return summary
