"""The one config rule (wms_connector/connector/config_rule.py): every config the stack builds passes it, and each
way an admin request or a declared item could reach past the stage is refused before Connect is asked, naming the
key and never the value."""

from __future__ import annotations

import json

import pytest

from tests.unit.recording_connect import RecordingConnect
from tests.unit.stage_config import SERVERS, stage_config
from wms_connector.admin.operations import ConnectorAdmin
from wms_connector.admin.protocol import handle
from wms_connector.connector.config_rule import ConfigRule, ConfigRuleBroken
from wms_connector.connector.options import ConnectorOptions
from wms_connector.health.reconcile import Declared, Drift, RepairFailed, repair
from wms_connector.registration import Registrar
from wms_connector.stages import Stage

# A value found nowhere else, so every answer and message can be searched for it.
SECRET = "Rule-Distinct-S3cret-71"  # noqa: S105 - a test marker, not a credential
STAGE = Stage.parse("feat-x")
RULE = ConfigRule(STAGE, SERVERS, "PLAINTEXT")
PRODUCTION = stage_config("production")

OPTION_SETS = [
    ConnectorOptions(),
    ConnectorOptions(record_format="flat", unparsable_ddl="skip", snapshot_mode="when_needed"),
    ConnectorOptions(heartbeat_table="WMS.DEBEZIUM_HEARTBEAT", use_pdb=True, heartbeat_interval_ms=5000),
    ConnectorOptions(use_jdbc_url=True, rac_nodes=("rac1:1521", "rac2:1521")),
    ConnectorOptions(
        mask_columns=("WMS.PLAN_BASE_WVR_TBL.NOTE",), mask_length=4, hash_columns=("WMS.PLAN_BASE_WVR_TBL.ID",),
        hash_salt="Salt-0123456789abcdef", hash_algorithm="SHA-512", archive_destination_name=("LOG_ARCHIVE_DEST_2",),
        extra_properties=(("log.mining.strategy", "hybrid"), ("database.query.timeout.ms", "600000")),
    ),
]


@pytest.mark.parametrize("options", OPTION_SETS)
@pytest.mark.parametrize("stage", ["feat-x", "main", "production"])
def test_every_config_the_stack_builds_keeps_the_rule(stage, options):
    config = stage_config(stage, options)
    assert ConfigRule(Stage.parse(stage), SERVERS, "PLAINTEXT").breaches(config, config["name"]) == []



ATTACKS = {
    # finding 1: a placeholder resolved by Connect and returned in a validation message
    "placeholder in tasks.max": ({"tasks.max": "${env:DB_PASSWORD}"}, "tasks.max"),
    "placeholder in an extra key": ({"database.query.timeout.ms": "${env:DB_PASSWORD}"}, "database.query.timeout.ms"),
    "file provider": ({"log.mining.strategy": "${file:/etc/passwd:x}"}, "log.mining.strategy"),
    "placeholder in a key": ({"x.${env:DB_PASSWORD}": "1"}, "x.${env:DB_PASSWORD}"),
    "another variable in a credential key": ({"database.password": "${env:DB_USER}"}, "database.password"),
    "a plain password": ({"database.password": SECRET}, "database.password"),
    "a plain host": ({"database.hostname": f"{SECRET}.example"}, "database.hostname"),
    # finding 2: any config, any stage's topics
    "client override": ({"producer.override.bootstrap.servers": "attacker.example:443"},
                        "producer.override.bootstrap.servers"),
    "consumer override": ({"consumer.override.sasl.jaas.config": "x"}, "consumer.override.sasl.jaas.config"),
    "a transform writing the password into records": ({
        "transforms": "stage,leak", "transforms.leak.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.leak.static.field": "p", "transforms.leak.static.value": "${env:DB_PASSWORD}",
    }, "transforms"),
    "a transform key outside the chain": ({"transforms.leak.type": "x"}, "transforms.leak.type"),
    "production's topic prefix": ({"topic.prefix": PRODUCTION["topic.prefix"]}, "topic.prefix"),
    "production's schema history": ({"schema.history.internal.kafka.topic":
                                     PRODUCTION["schema.history.internal.kafka.topic"]},
                                    "schema.history.internal.kafka.topic"),
    "production's signal topic": ({"signal.kafka.topic": PRODUCTION["signal.kafka.topic"]}, "signal.kafka.topic"),
    "another cluster for the schema history": ({"schema.history.internal.kafka.bootstrap.servers": "evil:9092"},
                                               "schema.history.internal.kafka.bootstrap.servers"),
    "another table list": ({"table.include.list": "^SYS\\.USER\\$$"}, "table.include.list"),
    "another schema list": ({"schema.include.list": "SYS"}, "schema.include.list"),
    "the stage header of another stage": ({"transforms.stage.value.literal": "production"},
                                          "transforms.stage.value.literal"),
    "another connector class": ({"connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector"},
                                "connector.class"),
    "more tasks": ({"tasks.max": "4"}, "tasks.max"),
    "SQL at connect": ({"database.initial.statements": "DELETE FROM WMS.ORDERS"}, "database.initial.statements"),
    "SQL in a snapshot": ({"snapshot.select.statement.overrides.WMS.X": "SELECT * FROM SYS.USER$"},
                          "snapshot.select.statement.overrides.WMS.X"),
    "SQL as the heartbeat": ({"heartbeat.action.query": "DELETE FROM WMS.ORDERS"}, "heartbeat.action.query"),
    "a converter": ({"value.converter": "org.apache.kafka.connect.storage.StringConverter"}, "value.converter"),
    "a predicate": ({"predicates": "p", "predicates.p.type": "x"}, "predicates"),
    "notifications to a topic": ({"notification.sink.topic.name": "aws.wms.cdc.x"}, "notification.sink.topic.name"),
    "a worker setting": ({"config.providers": "file"}, "config.providers"),
    "an odd masking key": ({"column.mask.foo": "x"}, "column.mask.foo"),
    "a placeholder in a masking list": ({"column.mask.with.4.chars": "${env:DB_PASSWORD}"},
                                        "column.mask.with.4.chars"),
    "a replication factor of none": ({"topic.creation.default.replication.factor": "0"},
                                     "topic.creation.default.replication.factor"),
}


@pytest.mark.parametrize(("changes", "key"), ATTACKS.values(), ids=ATTACKS.keys())
def test_each_attack_is_refused_naming_the_key_never_the_value(changes, key):
    config = {**stage_config(), **changes}
    breaches = RULE.breaches(config, config["name"])
    assert key in {b.key for b in breaches}
    assert all(SECRET not in b.reason for b in breaches)


def test_another_connector_name_is_refused():
    assert [b.key for b in RULE.breaches(stage_config(), "another-connector")] == ["name"]
    assert [b.key for b in RULE.breaches({**stage_config(), "name": "x"})] == ["name"]


def test_without_the_worker_settings_the_config_must_agree_with_itself():
    rule = ConfigRule(STAGE)
    assert rule.breaches(stage_config()) == []
    other = {**stage_config(), "schema.history.internal.kafka.bootstrap.servers": "evil:9092"}
    assert [b.key for b in rule.breaches(other)] == ["schema.history.internal.kafka.bootstrap.servers"]


ATTACK_CONFIG = {**stage_config(), "tasks.max": "${env:DB_PASSWORD}",
                 "producer.override.bootstrap.servers": f"{SECRET}.example:443", "database.hostname": SECRET}


@pytest.mark.parametrize("action", ["validate", "apply", "ensure"])
def test_the_admin_refuses_before_connect_is_asked(action):
    connect = RecordingConnect()
    admin = ConnectorAdmin(connect=connect, stage=STAGE, config_rule=RULE)  # type: ignore[arg-type]
    response = handle(admin, {"action": action, "name": "wms-oracle-cdc", "config": ATTACK_CONFIG,
                              "timeout_seconds": 5})
    assert connect.calls == []
    assert response["ok"] is False and response["error"]["type"] == "BadRequest"
    assert {"tasks.max", "producer.override.bootstrap.servers", "database.hostname"} <= set(
        response["error"]["fields"])
    assert SECRET not in json.dumps(response)


def test_a_repair_towards_a_declared_item_that_breaks_the_rule_asks_nothing_of_connect():
    connect = RecordingConnect()
    registrar = Registrar(connect, STAGE, rule=RULE)  # type: ignore[arg-type]
    with pytest.raises(RepairFailed) as failed:
        repair(registrar, "wms-oracle-cdc", Declared(ATTACK_CONFIG, "running"), Drift(missing=True))
    assert connect.calls == []
    assert "producer.override.bootstrap.servers" in str(failed.value) and SECRET not in str(failed.value)


def test_the_rule_broken_error_lists_each_key_once():
    with pytest.raises(ConfigRuleBroken) as broken:
        RULE.check(ATTACK_CONFIG, "wms-oracle-cdc")
    assert sorted(broken.value.fields) == ["database.hostname", "producer.override.bootstrap.servers", "tasks.max"]
