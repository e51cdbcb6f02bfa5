"""The admin as a security boundary, against the real local Connect 4.3 worker started by the project's own
entrypoint (its env provider allowlist, its client override policy) with a distinctive DB_PASSWORD: every attack an
invocation could make is refused before Connect where the config rule says so, the worker refuses client
overrides itself, and the password is in no response, log line or Kafka record."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from kafka import KafkaConsumer

from tests.integration.local_admin import local_admin
from wms_connector import worker_env
from wms_connector.admin.protocol import handle
from wms_connector.health.reconcile import Declared, Drift, RepairFailed, repair
from wms_connector.registration import Registrar

pytestmark = pytest.mark.integration

PASSWORD_PLACEHOLDER = worker_env.placeholder(worker_env.DB_PASSWORD)


def _attacks(config: dict[str, str], production: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        "a placeholder in tasks.max": {**config, "tasks.max": PASSWORD_PLACEHOLDER},
        "a transform writing the password into records": {
            **config, "transforms": "stage,leak",
            "transforms.leak.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.leak.static.field": "p", "transforms.leak.static.value": PASSWORD_PLACEHOLDER,
        },
        "a client override": {**config, "producer.override.bootstrap.servers": "127.0.0.1:1"},
        "production's schema history": {
            **config, "schema.history.internal.kafka.topic": production["schema.history.internal.kafka.topic"]},
        "production's topic prefix": {**config, "topic.prefix": production["topic.prefix"]},
        "another table list": {**config, "table.include.list": "^SYS\\.USER\\$$"},
    }


def _password(local_stack) -> str:
    return local_stack.settings.database_env[worker_env.DB_PASSWORD]


def _production(local_stack) -> dict[str, str]:
    from wms_connector.connector.config import build_connector_config
    from wms_connector.connector.options import ConnectorOptions
    from wms_connector.connector.source import KafkaClientSettings
    from wms_connector.stages import Stage

    kafka = KafkaClientSettings(local_stack.bootstrap_servers, "PLAINTEXT", 1)
    return build_connector_config(Stage.parse("production"), ConnectorOptions(), kafka)


@pytest.mark.parametrize("action", ["validate", "apply", "ensure"])
def test_every_attack_is_refused_before_connect_and_the_password_never_comes_back(local_stack, action):
    admin = local_admin(local_stack)
    config = local_stack.connector_config()
    name = config["name"]
    for attack, attacked in _attacks(config, _production(local_stack)).items():
        response = handle(admin, {"action": action, "name": name, "config": attacked, "timeout_seconds": 10})
        assert response["ok"] is False and response["error"]["type"] == "BadRequest", attack
        assert "refused before it reached Connect" in response["error"]["message"], attack
        assert _password(local_stack) not in json.dumps(response), attack
    assert local_stack.connect_client().get_config(name) is None  # nothing was registered


def test_a_repair_towards_a_planted_declared_item_registers_nothing(local_stack):
    admin = local_admin(local_stack)
    config = local_stack.connector_config()
    registrar = Registrar(admin.connect, local_stack.stage, rule=admin.config_rule)
    for attack, attacked in _attacks(config, _production(local_stack)).items():
        with pytest.raises(RepairFailed) as failed:
            repair(registrar, config["name"], Declared(attacked, "running"), Drift(missing=True))
        assert _password(local_stack) not in str(failed.value), attack
    assert local_stack.connect_client().get_config(config["name"]) is None


def _validate_directly(local_stack, config: dict[str, str]) -> dict:
    """Connect's own validation, past the admin: what the worker itself does with such a config."""
    url = f"{local_stack.connect_url}/connector-plugins/{config['connector.class']}/config/validate"
    body, headers = json.dumps(config).encode(), {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)  # noqa: S310 - the local worker
    try:
        with urllib.request.urlopen(request, timeout=90) as answer:  # noqa: S310 - the local worker
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def _errors(result: dict) -> dict[str, list[str]]:
    return {c["value"]["name"]: c["value"]["errors"] for c in result.get("configs", []) if c.get("value")}


def test_the_worker_itself_refuses_client_overrides(local_stack):
    # AbstractHerder.validateClientOverrides with the worker's NoneConnectorClientConfigOverridePolicy (entrypoint.py).
    result = _validate_directly(
        local_stack, {**local_stack.connector_config(), "producer.override.bootstrap.servers": "127.0.0.1:1"})
    errors = _errors(result).get("producer.override.bootstrap.servers")
    assert errors and any("policy" in e.lower() for e in errors), result


def test_connect_never_returns_a_value_it_resolved_from_the_environment(local_stack):
    # The worker's own second line behind the config rule: Connect 4.3 (AbstractHerder.redactResolvedValues) replaces
    # the errors of a key whose value came from a config provider, and the response's value stays the reference.
    result = _validate_directly(local_stack, {**local_stack.connector_config(), "tasks.max": PASSWORD_PLACEHOLDER})
    assert _password(local_stack) not in json.dumps(result)
    assert _errors(result).get("tasks.max"), result


def test_the_password_is_in_no_log_line_and_no_kafka_record(local_stack):
    password = _password(local_stack)
    assert password not in local_stack.worker_log.read_text(errors="replace")
    topics = local_stack.topics
    consumer = KafkaConsumer(
        topics.config_topic, topics.status_topic, topics.offsets_topic, bootstrap_servers=local_stack.bootstrap_servers,
        auto_offset_reset="earliest", consumer_timeout_ms=3000, enable_auto_commit=False,
    )
    try:
        records = [record.value or b"" for record in consumer]
    finally:
        consumer.close()
    assert records and not any(password.encode() in value for value in records)
