"""Statistics collection, forwarded to MLflow and TensorBoard."""

from alphatriangle.stats.collector import StatsCollector, stats_collector_actor

__all__ = ["StatsCollector", "stats_collector_actor"]
