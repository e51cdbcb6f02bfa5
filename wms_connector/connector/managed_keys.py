"""The connector properties this project builds itself (connector/config.py), and the ones no config of it may
have: extra properties from stack config may not set them, an admin request or a declared item may set them only
to the builder's value (config_rule.py), and the reason is named when they try.
"""

from __future__ import annotations

# Exact keys and key families the builder owns; extra properties may not touch them.
_MANAGED_EXACT = {
    "name": "the connector name comes from the stage",
    "connector.class": "always the Debezium Oracle connector",
    "tasks.max": "the Oracle connector runs one task",
    "topic.prefix": "derived from the stage; changing it loses the schema history",
    "schema.include.list": "the captured schemas are fixed",
    "table.include.list": "the captured tables are fixed",
    "snapshot.mode": "set with the `snapshotMode` option",
    "topic.heartbeat.prefix": "derived from the stage's topic namespace",
    "heartbeat.interval.ms": "set with the `heartbeatIntervalMs` option",
    "transforms": "set with the `recordFormat` option and the stage header",
    "config.providers": "a worker setting",
    "signal.enabled.channels": "the Kafka signal channel is derived from the stage",
    "heartbeat.action.query": "set with the `heartbeatTable` option",
    # The ArchiveLogsGone alarm rests on the texts of these paths (components/alarms.py LOG_FILTERS).
    "archive.log.only.mode": "the connector mines online and archived redo; the ArchiveLogsGone alarm watches the "
    "texts of that path",
    "internal.log.position.check.enable": "a restart always checks its offset is still in the logs (the "
    "ArchiveLogsGone alarm watches that check)",
    "log.position.check.enable": "a restart always checks its offset is still in the logs (the ArchiveLogsGone "
    "alarm watches that check)",
    "archive.destination.name": "set with the `archiveDestinationName` option (the preflight checks it)",
    "rac.nodes": "set with the `racNodes` option (the preflight checks it)",
    "driver.oracle.net.keepAlive": "TCP keepalive against connections dropped on AWS is always on",
    "driver.oracle.net.TCP_KEEPIDLE": "TCP keepalive against connections dropped on AWS is always on",
    "driver.oracle.net.TCP_KEEPINTERVAL": "TCP keepalive against connections dropped on AWS is always on",
    "driver.oracle.net.TCP_KEEPCOUNT": "TCP keepalive against connections dropped on AWS is always on",
    # The connection: from the worker's environment (dbInfo), never from stack config. Other `database.*` keys
    # tune the connector (e.g. `database.query.timeout.ms`) and are allowed.
    "database.hostname": "the database connection comes from the worker's environment (dbInfo)",
    "database.port": "the database connection comes from the worker's environment (dbInfo)",
    "database.user": "the database connection comes from the worker's environment (dbInfo)",
    "database.password": "the database connection comes from the worker's environment (dbInfo)",
    "database.dbname": "the database connection comes from the worker's environment (dbInfo)",
    "database.pdb.name": "set with the `usePdb` option; the name comes from dbInfo",
    "database.url": "set with the `useJdbcUrl` option; the URL comes from dbInfo",
    # Never in this project's configs: each would let a config reach past the stage's topics and database rows.
    "key.converter": "the worker's converters serve every connector",
    "value.converter": "the worker's converters serve every connector",
    "header.converter": "the worker's converters serve every connector",
    "converters": "Debezium's custom converters are not part of this project's pipeline",
    "predicates": "the project's transform chain uses no predicates",
    "database.initial.statements": "it would run SQL of the config's choosing as the capture user",
    "snapshot.select.statement.overrides": "it would run SQL of the config's choosing as the capture user",
}
_MANAGED_PREFIXES = {
    "database.history.": "the schema history topic and its clients are derived from the stage",
    "schema.history.internal.": "the schema history topic and its clients are derived from the stage",
    "topic.creation.": "topic defaults are derived from the stage",
    "transforms.": "set with the `recordFormat` option and the stage header",
    "column.mask.": "set with the `maskColumns`/`hashColumns` options",
    "config.providers.": "a worker setting",
    "signal.kafka.": "the signal topic and its clients are derived from the stage",
    "signal.consumer.": "the signal topic and its clients are derived from the stage",
    # Connector client overrides: the worker refuses them too (connector.client.config.override.policy=None).
    "producer.override.": "no per-connector Kafka client overrides: they could send records anywhere",
    "consumer.override.": "no per-connector Kafka client overrides: they could read from anywhere",
    "admin.override.": "no per-connector Kafka client overrides: they could act on any cluster",
    "key.converter.": "the worker's converters serve every connector",
    "value.converter.": "the worker's converters serve every connector",
    "header.converter.": "the worker's converters serve every connector",
    "predicates.": "the project's transform chain uses no predicates",
    "snapshot.select.statement.overrides.": "it would run SQL of the config's choosing as the capture user",
    "notification.": "Debezium's notifications could write to a topic outside the stage's",
}


def is_managed_key(key: str) -> bool:
    return key in _MANAGED_EXACT or key.startswith(tuple(_MANAGED_PREFIXES))


def managed_reason(key: str) -> str:
    if key in _MANAGED_EXACT:
        return _MANAGED_EXACT[key]
    return next(reason for prefix, reason in _MANAGED_PREFIXES.items() if key.startswith(prefix))
