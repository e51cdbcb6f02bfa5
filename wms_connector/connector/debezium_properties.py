"""What the pinned Debezium Oracle plugin (3.6.1) takes for properties it no longer checks itself, and the ones it no
longer has: extra properties are held to these before anything is deployed. The integration test
tests/integration/test_pinned_jar_facts.py reads each list back from the pinned plugin's own classes.
"""

from __future__ import annotations

# OracleConnectorConfig.LogMiningStrategy: 3.6 validates the strategy only for its deprecations
# (validateLogMiningStrategy), so an unknown value passes Connect's validation and fails the task later.
LOG_MINING_STRATEGIES = ("online_catalog", "hybrid", "redo_log_catalog", "dictionary_from_file")
# OracleConnectorConfig.LogMiningBufferType, likewise unchecked by 3.6, without `infinispan_remote`: its Hot Rod
# client is not in the worker image (connect-image/pom.xml leaves it out, it is not served at the version
# Debezium 3.6.1 names).
LOG_MINING_BUFFER_TYPES = ("memory", "infinispan_embedded", "ehcache")
LEFT_OUT_BUFFER_TYPES = {
    "infinispan_remote": "needs Infinispan's Hot Rod client, which the worker image leaves out",
}
# Properties of earlier Debezium releases that 3.6 no longer defines: set now, they would be ignored in silence.
# LogMiner sizes its mining window itself since 3.5 (log.mining.window.max.ms bounds how long a transaction may
# hold it).
REMOVED_PROPERTIES = (
    "log.mining.batch.size.default",
    "log.mining.batch.size.increment",
    "log.mining.batch.size.max",
    "log.mining.batch.size.min",
    "log.mining.scn.gap.detection.gap.size.min",
    "log.mining.scn.gap.detection.time.interval.max.ms",
    "log.mining.sleep.time.default.ms",
    "log.mining.sleep.time.increment.ms",
    "log.mining.sleep.time.max.ms",
    "log.mining.sleep.time.min.ms",
)


def property_problem(key: str, value: str) -> str | None:
    """Why the pinned Debezium cannot use `key` = `value`, or None."""
    if key in REMOVED_PROPERTIES:
        return (
            "Debezium 3.6 no longer has this property and would ignore it; LogMiner sizes its mining window "
            "itself (`log.mining.window.max.ms` bounds how long one transaction may hold it)."
        )
    choice = value.strip().lower()
    if key == "log.mining.strategy" and choice not in LOG_MINING_STRATEGIES:
        return f"allowed {', '.join(LOG_MINING_STRATEGIES)} (Debezium 3.6 does not check it itself)."
    if key == "log.mining.buffer.type" and choice in LEFT_OUT_BUFFER_TYPES:
        return (
            f"`{choice}` {LEFT_OUT_BUFFER_TYPES[choice]}; allowed {', '.join(LOG_MINING_BUFFER_TYPES)} "
            "(docs/configuration.md, \"What the worker image leaves out\")."
        )
    if key == "log.mining.buffer.type" and choice not in LOG_MINING_BUFFER_TYPES:
        return f"allowed {', '.join(LOG_MINING_BUFFER_TYPES)} (Debezium 3.6 does not check it itself)."
    return None
