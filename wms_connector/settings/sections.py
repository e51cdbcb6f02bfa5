"""The sections of the stage settings: one frozen dataclass per concern, each declaring its config keys, its
defaults per named stage and its cross-field checks. A new concern is a new section here and a field of
`StageSettings` (load.py); the list of sections is read from that class.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from wms_connector import health_policy
from wms_connector.aws_names import REGION_PATTERN
from wms_connector.connector.options import ConnectorOptions, ConnectorOptionsError
from wms_connector.kafka_settings import MAX_REPLICATION_FACTOR, MIN_REPLICATION_FACTOR
from wms_connector.settings.parsers import (
    SettingsError,
    _fail,
    boolean,
    integer,
    ipv4_cidrs,
    matching,
    matching_list,
    one_of,
)

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Key:
    """One `wms-connector:<name>` config key, the section field it sets, and how its value is parsed."""

    name: str
    field: str
    parse: Callable[[str, object], Any]


class Section:
    """Base of every settings section: its keys, its defaults per named stage, its cross-field checks."""

    KEYS: ClassVar[tuple[Key, ...]] = ()

    @classmethod
    def defaults(cls, defaults_stage: str) -> Section:
        raise NotImplementedError

    def check(self) -> None:
        """Cross-field rules; raise SettingsError naming the key. Single-value rules live in the parsers."""


# Fargate's accepted task CPU units -> task memory (MiB) values (Linux, platform 1.4.0).
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# The JVM needs room outside the heap (metaspace, threads, direct buffers, the JMX exporter agent).
MIN_NON_HEAP_MIB = 512
MIN_HEAP_MIB = 512
MIN_CONTAINER_CPU = 128


def _memory_ranges(cpu: int) -> str:
    sizes = FARGATE_TASK_SIZES[cpu]
    if len(sizes) <= 3:
        return ", ".join(str(s) for s in sizes)
    return f"{sizes[0]}-{sizes[-1]} in steps of {sizes[1] - sizes[0]}"


@dataclass(frozen=True)
class Sizing(Section):
    task_cpu: int
    task_memory: int
    connect_cpu: int
    connect_memory: int
    heap_percent: int
    desired_count: int

    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("taskCpu", "task_cpu", one_of(*FARGATE_TASK_SIZES)),
        Key("taskMemory", "task_memory", integer(512, 122880)),
        Key("connectCpu", "connect_cpu", integer(MIN_CONTAINER_CPU, 16384)),
        Key("connectMemory", "connect_memory", integer(MIN_HEAP_MIB + MIN_NON_HEAP_MIB, 122880)),
        Key("heapPercent", "heap_percent", integer(10, 90)),
        # Debezium's Oracle connector runs one task; extra workers are warm standbys.
        Key("desiredCount", "desired_count", integer(0, 4)),
    )

    @classmethod
    def defaults(cls, defaults_stage: str) -> Sizing:
        task_cpu, task_memory, connect_cpu, connect_memory = _STAGE_SIZING[defaults_stage]
        # 55 %: even with the heap full, heap + measured non-heap stays under 1/1.5 of the container
        # (bench/bench_worker_startup.py), so a large LogMiner transaction cannot get the task OOM-killed.
        return cls(task_cpu, task_memory, connect_cpu, connect_memory, heap_percent=55, desired_count=1)

    @property
    def heap_mib(self) -> int:
        return self.connect_memory * self.heap_percent // 100

    def check(self) -> None:
        if self.task_memory not in FARGATE_TASK_SIZES[self.task_cpu]:
            raise _fail(
                "taskMemory",
                self.task_memory,
                f"for taskCpu {self.task_cpu}: {_memory_ranges(self.task_cpu)} (Fargate task sizes)",
            )
        if self.connect_cpu > self.task_cpu:
            raise _fail("connectCpu", self.connect_cpu, f"at most taskCpu ({self.task_cpu})")
        if self.connect_memory > self.task_memory:
            raise _fail("connectMemory", self.connect_memory, f"at most taskMemory ({self.task_memory})")
        if self.heap_mib < MIN_HEAP_MIB:
            raise _fail(
                "heapPercent",
                self.heap_percent,
                f"a share of connectMemory ({self.connect_memory} MiB) giving a heap of at least {MIN_HEAP_MIB} MiB",
            )
        if self.connect_memory - self.heap_mib < MIN_NON_HEAP_MIB:
            most = (self.connect_memory - MIN_NON_HEAP_MIB) * 100 // self.connect_memory
            raise _fail(
                "heapPercent",
                self.heap_percent,
                f"at most {most} with connectMemory {self.connect_memory} MiB, so that {MIN_NON_HEAP_MIB} MiB "
                "stay outside the heap",
            )


# (task CPU, task memory, connect CPU, connect memory) per named stage; ephemeral stages take main's.
# main was raised from Appian's 1024/2048/512/1024 after it ran out of memory.
_STAGE_SIZING = {
    "main": (1024, 3072, 512, 2560),
    "val": (1024, 3072, 512, 2560),
    "production": (2048, 6144, 2048, 4096),
}

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)


@dataclass(frozen=True)
class Logs(Section):
    retention_days: int

    KEYS: ClassVar[tuple[Key, ...]] = (Key("logRetentionDays", "retention_days", one_of(*LOG_RETENTION_DAYS)),)

    @classmethod
    def defaults(cls, defaults_stage: str) -> Logs:
        return cls(retention_days={"main": 14, "val": 30, "production": 90}[defaults_stage])


_REGION = matching(REGION_PATTERN.pattern, "an AWS region name such as us-east-1")
_IMAGE = matching(
    r"[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})",
    "an image reference `registry/repository:tag` or `registry/repository@sha256:<digest>`",
)
_SECRET_ROOT = matching(
    r"[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*",
    "a Secrets Manager path prefix of letters, digits and _+=.@- separated by single '/' (e.g. wms)",
)


@dataclass(frozen=True)
class Deployment(Section):
    region: str
    secret_root: str
    image: str | None  # a prebuilt image instead of building connect-image/
    health_check_grace_seconds: int
    # ECS Exec into the workers (a shell that can read the database password from the process): off unless a stage
    # turns it on for an incident (docs/operations.md, "A shell in a worker").
    ecs_exec: bool = False

    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("region", "region", _REGION),
        Key("secretRoot", "secret_root", _SECRET_ROOT),
        Key("image", "image", _IMAGE),
        # A Debezium start (plugin scan, schema history replay, snapshot start) takes minutes.
        Key("healthCheckGraceSeconds", "health_check_grace_seconds", integer(600, 7200)),
        Key("ecsExec", "ecs_exec", boolean),
    )

    @classmethod
    def defaults(cls, defaults_stage: str) -> Deployment:
        return cls(
            region=DEFAULT_REGION,
            secret_root="wms",  # noqa: S106 - a Secrets Manager path prefix, not a password
            image=None,
            health_check_grace_seconds=600,
        )


# An ephemeral stage's default: private address space, reached through the data subnets, never the internet. A
# named stage has none: its stack config names the database network (settings/safeguards.py refuses it unset).
DEFAULT_ORACLE_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


@dataclass(frozen=True)
class Network(Section):
    oracle_cidrs: tuple[str, ...]
    oracle_port: int
    # Where the MSK brokers are; empty means the VPC's own CIDR (MSK in the same VPC).
    kafka_cidrs: tuple[str, ...]
    # The account's VPC endpoints for the AWS APIs: the interface endpoints' security group and the gateway
    # endpoints' prefix lists (S3 for ECR's image layers, DynamoDB). With them, HTTPS goes only there; without,
    # to any address on 443 (through the VPC's NAT).
    aws_endpoint_security_group: str | None = None
    aws_prefix_lists: tuple[str, ...] = ()

    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("oracleCidrs", "oracle_cidrs", ipv4_cidrs),
        Key("oraclePort", "oracle_port", integer(1, 65535)),
        Key("kafkaCidrs", "kafka_cidrs", ipv4_cidrs),
        Key("awsEndpointSecurityGroup", "aws_endpoint_security_group",
            matching(r"sg-[0-9a-f]{8}([0-9a-f]{9})?", "a security group id sg-<8 or 17 hex digits>")),
        Key("awsPrefixLists", "aws_prefix_lists",
            matching_list(r"pl-[0-9a-f]{8}([0-9a-f]{9})?", "a list of prefix list ids pl-<8 or 17 hex digits>")),
    )

    @classmethod
    def defaults(cls, defaults_stage: str) -> Network:
        return cls(oracle_cidrs=(), oracle_port=1521, kafka_cidrs=())

    def check(self) -> None:
        if bool(self.aws_endpoint_security_group) != bool(self.aws_prefix_lists):
            raise SettingsError(
                "Stack config `wms-connector:awsEndpointSecurityGroup` and `wms-connector:awsPrefixLists` go "
                "together: the interface endpoints' security group, and the prefix lists of the S3 gateway endpoint "
                "(the workers pull ECR image layers from S3) and the DynamoDB one. With one alone, HTTPS to the "
                "other would be cut off."
            )


@dataclass(frozen=True)
class Kafka(Section):
    connect_replication_factor: int

    KEYS: ClassVar[tuple[Key, ...]] = (
        Key(
            "connectReplicationFactor",
            "connect_replication_factor",
            integer(MIN_REPLICATION_FACTOR, MAX_REPLICATION_FACTOR),
        ),
    )

    @classmethod
    def defaults(cls, defaults_stage: str) -> Kafka:
        return cls(connect_replication_factor=3)


@dataclass(frozen=True)
class Health(Section):
    """Health check schedule, restart budget and alarm thresholds (used by components/health.py, alarms.py)."""

    schedule_minutes: int
    restart_limit: int
    restart_window_minutes: int
    lag_threshold_ms: int
    lag_periods: int  # consecutive health-check periods above the threshold before the lag alarm fires
    missing_runs: int  # health-check runs that may be missed before the "not running" alarm fires
    not_running_runs: int  # runs in a row neither RUNNING nor FAILED before ConnectorNotRunning fires
    disconnected_periods: int  # periods in a row without a database connection before SourceDisconnected fires
    unknown_topic_threshold: int  # UNKNOWN_TOPIC_OR_PARTITION log lines per log period
    retried_error_threshold: int  # errors Debezium retried on its own per log period before RetriedErrors fires
    log_period_minutes: int
    repair_drift: bool  # each run puts a missing or drifted connector back as declared (false: detect and alarm)

    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("healthScheduleMinutes", "schedule_minutes", integer(1, 60)),
        Key("restartLimit", "restart_limit", integer(1, 10)),
        Key("restartWindowMinutes", "restart_window_minutes", integer(10, 1440)),
        Key("lagAlarmThresholdMs", "lag_threshold_ms", integer(1000, 86_400_000)),
        Key("lagAlarmPeriods", "lag_periods", integer(1, 24)),
        Key("healthMissingRuns", "missing_runs", integer(1, 6)),
        Key("notRunningRuns", "not_running_runs", integer(1, 12)),
        Key("disconnectedAlarmPeriods", "disconnected_periods", integer(1, 24)),
        Key("unknownTopicAlarmThreshold", "unknown_topic_threshold", integer(1, 1000)),
        Key("retriedErrorAlarmThreshold", "retried_error_threshold", integer(1, 1000)),
        Key("logAlarmPeriodMinutes", "log_period_minutes", integer(1, 60)),
        Key("repairDrift", "repair_drift", boolean),
    )

    @classmethod
    def defaults(cls, defaults_stage: str) -> Health:
        production = defaults_stage == "production"
        # Production is checked every minute so a silent stop pages within five (bench/bench_real_events.py); its
        # run counts cover the same minutes the ten-minute stages' counts do, so a deploy's rebalance (Connect
        # waits up to scheduled.rebalance.max.delay.ms, 5 min, before it reassigns a departed worker's connector)
        # or a short lag spike does not page.
        return cls(
            schedule_minutes=1 if production else 10,
            restart_limit=health_policy.DEFAULT_RESTART_LIMIT,
            restart_window_minutes=health_policy.DEFAULT_RESTART_WINDOW_MINUTES,
            lag_threshold_ms=300_000 if production else 900_000,
            lag_periods=10 if production else 3,
            missing_runs=2,
            not_running_runs=10 if production else health_policy.DEFAULT_NOT_RUNNING_RUNS,
            disconnected_periods=5 if production else health_policy.DEFAULT_DISCONNECTED_PERIODS,
            unknown_topic_threshold=5,
            # One retried blip is Debezium doing its job; three in a log period is a fault it cannot get past (it
            # retries every retriable.restart.connector.wait.ms, 10 s, for ever, with Connect showing RUNNING).
            retried_error_threshold=3,
            log_period_minutes=5,
            repair_drift=True,
        )

    def check(self) -> None:
        # A window shorter than the time between runs would never hold more than one restart: no budget at all.
        if self.restart_window_minutes < self.schedule_minutes:
            raise _fail(
                "restartWindowMinutes",
                self.restart_window_minutes,
                f"at least healthScheduleMinutes ({self.schedule_minutes})",
            )


@dataclass(frozen=True)
class Capture(Section):
    """Oracle-aware capture health: end-to-end freshness, the archive-log runway, transactions, heap, LogMiner's
    memory (used by the health Lambda, components/alarms.py and the dashboard)."""

    freshness_threshold_ms: int  # the heartbeat commit older than this: CaptureStale
    freshness_alarm_periods: int  # checks in a row that find it older before CaptureStale fires
    archive_log_retention_hours: int  # how long the database keeps archive logs (the DBA's setting)
    runway_alarm_percent: int  # ArchiveLogRunway when a restart would read back more than this share of it
    heap_alarm_percent: int
    heap_alarm_periods: int
    pga_alarm_bytes: int  # LogMiner's PGA above this: MiningPgaHigh (0: no alarm)
    database_probe: bool  # each health run probes the database as the CDC user (wms_connector/preflight/probe.py)

    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("freshnessAlarmThresholdMs", "freshness_threshold_ms", integer(60_000, 86_400_000)),
        Key("freshnessAlarmPeriods", "freshness_alarm_periods", integer(1, 24)),
        Key("archiveLogRetentionHours", "archive_log_retention_hours", integer(1, 8760)),
        Key("runwayAlarmPercent", "runway_alarm_percent", integer(10, 95)),
        Key("heapAlarmPercent", "heap_alarm_percent", integer(50, 99)),
        Key("heapAlarmPeriods", "heap_alarm_periods", integer(1, 24)),
        Key("pgaAlarmBytes", "pga_alarm_bytes", integer(0, 1_099_511_627_776)),
        Key("databaseProbe", "database_probe", boolean),
    )

    @classmethod
    def defaults(cls, defaults_stage: str) -> Capture:
        production = defaults_stage == "production"
        return cls(
            # Worst case from a silent stop to the alarm: threshold + one run interval + the periods, so 2 min +
            # 1 min + 2 min in production. Two checks in a row, so one late run (a period with no datapoint
            # counts as stale) does not page.
            freshness_threshold_ms=120_000 if production else 900_000,
            freshness_alarm_periods=2 if production else 1,
            archive_log_retention_hours=health_policy.DEFAULT_ARCHIVE_LOG_RETENTION_HOURS,
            runway_alarm_percent=50,
            heap_alarm_percent=85,
            heap_alarm_periods=3,
            pga_alarm_bytes=0,
            database_probe=True,
        )


def _connector_options(key: str, value: object) -> ConnectorOptions:
    """`wms-connector:connector`: an object (JSON from Pulumi) of the options in connector_config.py."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise _fail(key, value, "an object of connector options, e.g. {recordFormat: flat}") from None
    try:
        return ConnectorOptions.from_config(value)
    except ConnectorOptionsError as error:
        raise SettingsError(str(error)) from None


# The stack config key of the connector options (`wms-connector:connector`).
CONNECTOR_OPTIONS_KEY = "connector"


@dataclass(frozen=True)
class Connector(Section):
    """The Debezium connector's options (record format, masking, extra properties, desired state)."""

    options: ConnectorOptions

    KEYS: ClassVar[tuple[Key, ...]] = (Key(CONNECTOR_OPTIONS_KEY, "options", _connector_options),)

    @classmethod
    def defaults(cls, defaults_stage: str) -> Connector:
        return cls(options=ConnectorOptions())


