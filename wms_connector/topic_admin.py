"""Kafka topic administration for a stage, with the never-delete guard at the point of deletion.

The guard (`deletable_topics`/`check_deletable`) runs inside `TopicAdmin.delete_stage_topics`, right before the
delete request, not only where a cleanup is planned: a named stage's topics are never deleted, and an ephemeral
stage may delete only its own topics — the exact set `StageTopics` derives, plus topics under the stage's own
Debezium/Connect families (`<ns>aws.wms.cdc.`, `<ns>__debezium-heartbeat.`, `<ns>mgmt.connect.wms-connector-<stage>.`),
which Debezium may add (e.g. a transaction topic). Stage names contain no dots, so the namespace `<stage>.` is
one whole first segment: `feat.` can never match `feat-2.…` or `feat2.…`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wms_connector.kafka_producer import CLIENT_ID
from wms_connector.stages import Stage
from wms_connector.topics import StageTopics

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100
# Group states in which a group has no members (no live worker that would recreate its internal topics).
_MEMBERLESS_GROUP_STATES = {"Empty", "Dead"}
# A worker's group session (Connect's session.timeout.ms, 10 s by default) plus a rebalance round, with margin.
WORKERS_GONE_WITHIN_SECONDS = 90.0
_GROUP_POLL_SECONDS = 2.0
_UNKNOWN_TOPIC = 3  # Kafka error code UNKNOWN_TOPIC_OR_PARTITION: already gone, which is what we want


class TopicDeletionRefused(ValueError):
    """The guard refused a deletion; nothing was deleted."""


def stage_topic_families(stage: Stage) -> tuple[str, ...]:
    """Prefixes (each ending in '.') under which only this stage's connector and workers create topics."""
    topics = StageTopics(stage)
    return (f"{topics.topic_prefix}.", f"{topics.heartbeat_prefix}.", f"{topics.connect_group_id}.")


def is_stage_topic(stage: Stage, topic: str) -> bool:
    """True when `topic` belongs to ephemeral `stage` (always False for a named stage)."""
    if stage.is_named or not isinstance(topic, str):
        return False
    if topic in StageTopics(stage).all_topics:
        return True
    return any(topic.startswith(family) and len(topic) > len(family) for family in stage_topic_families(stage))


def check_deletable(stage: Stage, topics: Iterable[str]) -> list[str]:
    """The topics, if every one may be deleted for `stage`; otherwise TopicDeletionRefused naming why."""
    if not isinstance(stage, Stage):
        raise TopicDeletionRefused(f"Topic deletion needs a validated Stage, got {type(stage).__name__}.")
    if stage.is_named:
        raise TopicDeletionRefused(
            f"Refusing to delete topics of named stage `{stage}`: named stages' topics are never deleted."
        )
    topics = list(topics)
    foreign = sorted({t for t in topics if not is_stage_topic(stage, t)}, key=str)
    if foreign:
        shown = ", ".join(repr(t) for t in foreign[:10]) + (
            f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        )
        raise TopicDeletionRefused(
            f"Refusing to delete {len(foreign)} topic(s) that are not stage `{stage}`'s own: {shown}. "
            f"A stage deletes only its own topics ({', '.join(stage_topic_families(stage))}…)."
        )
    return topics


def deletable_topics(stage: Stage, existing: Iterable[str]) -> list[str]:
    """Of the topics on the broker, the ones this ephemeral stage owns (sorted)."""
    check_deletable(stage, [])  # refuses a named stage before anything is listed
    return sorted(t for t in existing if is_stage_topic(stage, t))


@dataclass
class CleanupReport:
    stage: str
    deleted: list[str] = field(default_factory=list)
    already_absent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "deleted": self.deleted,
            "already_absent": self.already_absent,
            "failed": self.failed,
        }


class TopicAdmin:
    """A stage-scoped view of the cluster's topics over kafka-python's admin client."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        security_protocol: str = "PLAINTEXT",
        ssl_cafile: str | None = None,
        request_timeout_ms: int = 30_000,
        client_id: str = CLIENT_ID,
    ):
        from kafka import KafkaAdminClient  # imported here so modules that only use the guard need no client

        options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers.split(","),
            "security_protocol": security_protocol,
            "request_timeout_ms": request_timeout_ms,
            "client_id": client_id,
        }
        if ssl_cafile:
            options["ssl_cafile"] = ssl_cafile
        self._client = KafkaAdminClient(**options)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TopicAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def list_topics(self) -> set[str]:
        return set(self._client.list_topics())

    def stage_topics(self, stage: Stage) -> list[str]:
        return deletable_topics(stage, self.list_topics())

    def ensure_topic(self, name: str, *, partitions: int, replication_factor: int) -> bool:
        """Create `name` unless it exists (never changes or deletes one); True when it was created."""
        from kafka.errors import TopicAlreadyExistsError

        if name in self.list_topics():
            return False
        spec = {name: {"num_partitions": partitions, "replication_factor": replication_factor}}
        try:
            self._client.create_topics(spec, timeout_ms=30_000, wait_for_metadata=True)
        except TopicAlreadyExistsError:
            return False
        return True

    def connect_group_state(self, stage: Stage) -> str | None:
        """The state of the stage's Connect worker group (`Stable` while workers run), or None if it has none."""
        group_id = StageTopics(stage).connect_group_id
        for group in self._client.list_groups():
            if group.get("group_id") == group_id:
                return group.get("group_state") or "Unknown"
        return None

    def _check_no_live_workers(self, stage: Stage, wait_seconds: float) -> None:
        """Refuse while the stage's workers are in their group. Workers of a service that was just deleted may
        take a little while to leave it (a stopped task's session has to lapse), so wait up to `wait_seconds`."""
        deadline = time.monotonic() + wait_seconds
        state = self.connect_group_state(stage)
        while state is not None and state not in _MEMBERLESS_GROUP_STATES and time.monotonic() < deadline:
            time.sleep(min(_GROUP_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            state = self.connect_group_state(stage)
        if state is not None and state not in _MEMBERLESS_GROUP_STATES:
            raise TopicDeletionRefused(
                f"Refusing to delete stage `{stage}`'s topics: its Connect workers are still running (group "
                f"{StageTopics(stage).connect_group_id} is still {state} after {wait_seconds:.0f}s). A live worker "
                "recreates its internal topics, so topics are deleted only after the Connect service is gone."
            )

    def delete_stage_topics(
        self,
        stage: Stage,
        topics: Iterable[str] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        timeout_ms: int = 60_000,
        workers_gone_within: float = WORKERS_GONE_WITHIN_SECONDS,
    ) -> CleanupReport:
        """Delete `topics` (default: every topic of `stage` on the broker) in batches, after the guard and once
        the stage's Connect workers have left their group (waiting up to `workers_gone_within` seconds)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        targets = check_deletable(stage, self.stage_topics(stage) if topics is None else topics)
        self._check_no_live_workers(stage, workers_gone_within)
        report = CleanupReport(stage=stage.name)
        for start in range(0, len(targets), batch_size):
            batch = targets[start : start + batch_size]
            # The guard again, on exactly what goes into the request.
            check_deletable(stage, batch)
            result = self._client.delete_topics(batch, timeout_ms=timeout_ms, raise_errors=False)
            for entry in result.get("topics", []):
                name, code = entry.get("name"), entry.get("error_code", 0)
                if code == 0:
                    report.deleted.append(name)
                elif code == _UNKNOWN_TOPIC:
                    report.already_absent.append(name)
                else:
                    report.failed[name] = entry.get("error_message") or f"Kafka error code {code}"
        log.info(
            "stage %s: deleted %d topic(s), %d already absent, %d failed",
            stage,
            len(report.deleted),
            len(report.already_absent),
            len(report.failed),
        )
        return report
