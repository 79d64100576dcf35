"""The n-tuple warm-start player (`selfplay.WARM_START_PLAYER="ntuple"`): learned by TD
self-play on every core for the run's first `NTUPLE_WARM_START_MINUTES`, then it plays the
games begun before `PLANNER_WARM_START_STEPS`, a stronger teacher than the planner.

Its weights and the seconds spent learning them are saved in the run's directory every
`SAVE_EVERY_SECONDS` and at the end, so a crash or a stop loses at most that much learning
and a resume continues where it stopped.
"""

import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from safetensors import safe_open
from safetensors.numpy import save as save_safetensors

from alphatriangle.baselines.ntuple import (
    WEIGHTS_KEY,
    NTuplePlayer,
    learn_round,
    learning_rate,
    new_lanes,
)
from alphatriangle.config import RunConfig
from alphatriangle.data.serializer import atomic_write_bytes
from alphatriangle.game.geometry import engine_tables

logger = logging.getLogger(__name__)

SAVE_EVERY_SECONDS = 30.0
LOG_EVERY_SECONDS = 30.0
SECONDS_KEY = "seconds_learned"


@dataclass
class WarmStartNTuple:
    """The warm-start player's weights and the seconds of learning behind them."""

    weights: npt.NDArray[np.float32]
    seconds_learned: float = 0.0

    def done(self, config: RunConfig) -> bool:
        return self.seconds_learned >= 60.0 * config.selfplay.NTUPLE_WARM_START_MINUTES


def save_warm_start(path: Path, state: WarmStartNTuple) -> None:
    """Write the weights with their learning time (safetensors, replaced in one step)."""
    data = save_safetensors(
        {WEIGHTS_KEY: state.weights}, metadata={SECONDS_KEY: json.dumps(state.seconds_learned)}
    )
    atomic_write_bytes(path, data)


def load_warm_start(path: Path, config: RunConfig) -> WarmStartNTuple:
    """The saved warm-start player of a run, else an empty one (zero weights, no time)."""
    empty = NTuplePlayer.empty(config.env, config.ntuple).weights
    if not path.is_file():
        return WarmStartNTuple(empty)
    with safe_open(path, framework="numpy") as stored:
        weights = np.array(stored.get_tensor(WEIGHTS_KEY), dtype=np.float32)
        seconds = float(json.loads((stored.metadata() or {}).get(SECONDS_KEY, "0")))
    NTuplePlayer(config.env, config.ntuple, weights)
    return WarmStartNTuple(weights, seconds)


def learning_threads() -> int:
    """Every core this process may use: the self-play workers wait while the player learns."""
    return max(1, len(os.sched_getaffinity(0)))


def learn_warm_start(
    config: RunConfig,
    path: Path,
    should_stop: Callable[[], bool],
    on_round: Callable[[], None] | None = None,
) -> WarmStartNTuple:
    """Learn the warm-start player (continuing the saved one) until its minutes are spent or
    `should_stop()`; saved as it goes and at the end."""
    state = load_warm_start(path, config)
    if state.done(config):
        return state
    ntuple = config.ntuple
    budget = 60.0 * config.selfplay.NTUPLE_WARM_START_MINUTES
    threads = learning_threads()
    player = NTuplePlayer(config.env, ntuple, state.weights)
    core = engine_tables(config.env).core
    seed = config.train.RANDOM_SEED * 1_000_003 + int(state.seconds_learned)
    lanes = new_lanes(threads * ntuple.GAMES_PER_THREAD, config.env.NUM_SHAPE_SLOTS, seed)
    scores: list[float] = []
    logger.info(
        "learning the n-tuple warm-start player on %d threads for %.1f minutes",
        threads, (budget - state.seconds_learned) / 60,
    )  # fmt: skip
    last_save = last_log = time.monotonic()
    with ThreadPoolExecutor(threads, thread_name_prefix="warm-start") as pool:
        while not state.done(config) and not should_stop():
            started = time.monotonic()
            rate = learning_rate(ntuple, state.seconds_learned / budget)
            stats = learn_round(
                pool, core, player.layout, state.weights, lanes, ntuple.TRAIN_BEAM_WIDTH,
                ntuple.HANDS_PER_ROUND, rate, threads,
            )  # fmt: skip
            for g in range(stats.finished_count.shape[0]):
                scores += stats.finished[g, : stats.finished_count[g]].tolist()
            now = time.monotonic()
            state.seconds_learned += now - started
            if on_round is not None:
                on_round()
            if now - last_save >= SAVE_EVERY_SECONDS:
                save_warm_start(path, state)
                last_save = now
            if now - last_log >= LOG_EVERY_SECONDS and scores:
                logger.info(
                    "n-tuple warm start: %.1f of %.1f minutes, mean score of its last %d games "
                    "%.1f", state.seconds_learned / 60, budget / 60, len(scores), np.mean(scores),
                )  # fmt: skip
                scores.clear()
                last_log = now
    save_warm_start(path, state)
    return state
