"""`StatsManager`: keeps the run's stats collector alive: pings it now and then, replaces a
dead or hung one (with the history of the last checkpoint), and holds that history."""

import logging
import time
from typing import Any

from alphatriangle.training.components import TrainingComponents
from alphatriangle.training.setup import start_stats_collector
from alphatriangle.training.worker_manager import WorkerManager
from alphatriangle.utils import failure_reason

logger = logging.getLogger(__name__)

STATS_CHECK_SECONDS = 5.0
"""How often the collector is pinged: a dead one is replaced within this time."""
STATS_PING_TIMEOUT_SECONDS = 120.0
"""A collector that has not answered a ping for this long is taken for hung."""
MAX_STATS_REPLACEMENTS = 3
"""A stats collector that dies more often than this ends the run with an error."""
STATE_TIMEOUT_SECONDS = 30.0
"""How long a checkpoint waits for the collector's state before keeping the previous one."""


class StatsManager:
    """Supervises `components.stats_collector_actor`; the workers are told of a new one."""

    def __init__(self, components: TrainingComponents, workers: WorkerManager) -> None:
        self.components = components
        self.workers = workers
        self.replacements = 0
        self.last_check = time.monotonic()
        self.ping: Any = None
        self.last_state: dict[str, Any] = {}

    def restore(self, state: dict[str, Any]) -> None:
        """Hand a resumed checkpoint's history to the collector (and to its replacements)."""
        self.last_state = state
        self.components.stats_collector_actor.set_state.remote(state)

    def state(self) -> dict[str, Any]:
        """The collector's history for a checkpoint; the previous one if it does not answer."""
        import ray

        try:
            actor = self.components.stats_collector_actor
            self.last_state = ray.get(actor.get_state.remote(), timeout=STATE_TIMEOUT_SECONDS)
        except Exception as error:
            logger.warning(
                "the checkpoint keeps the stats of the previous one: the collector did not "
                "answer (%s)",
                failure_reason(error),
            )
        return self.last_state

    def check(self) -> None:
        """Every `STATS_CHECK_SECONDS`: ping the collector; replace it if the ping failed or
        went unanswered for `STATS_PING_TIMEOUT_SECONDS`."""
        import ray

        now = time.monotonic()
        if self.ping is None:
            if now - self.last_check >= STATS_CHECK_SECONDS:
                self.ping = self.components.stats_collector_actor.ping.remote()
                self.last_check = now
            return
        ready, _ = ray.wait([self.ping], timeout=0)
        if ready:
            try:
                ray.get(self.ping)
                self.ping = None
                return
            except Exception as error:
                reason = failure_reason(error)
        elif now - self.last_check > STATS_PING_TIMEOUT_SECONDS:
            reason = f"no answer in {STATS_PING_TIMEOUT_SECONDS:.0f} s"
        else:
            return
        self.ping = None
        self.last_check = now
        self._replace(reason)

    def _replace(self, reason: str) -> None:
        """A new collector with the last checkpoint's history, at most
        `MAX_STATS_REPLACEMENTS` times in a run."""
        import ray

        if self.replacements >= MAX_STATS_REPLACEMENTS:
            raise RuntimeError(
                f"the stats collector failed {self.replacements + 1} times ({reason})"
            )
        c = self.components
        ray.kill(c.stats_collector_actor)
        c.stats_collector_actor = start_stats_collector(c.paths, c.tracking_uri, c.mlflow_run_id)
        if self.last_state:
            c.stats_collector_actor.set_state.remote(self.last_state)
        self.workers.set_stats_collector(c.stats_collector_actor)
        self.replacements += 1  # counted once the new collector is in place
        logger.warning(
            "the stats collector failed (%s); replaced it (%d of %d)",
            reason, self.replacements, MAX_STATS_REPLACEMENTS,
        )  # fmt: skip
