"""The individual checks: ECS (moto), database reachability (moto Secrets Manager + real sockets), capture
metrics parsing, topic offset comparison, and the Connect check against a closed port."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from tests.unit.aws_fixtures import REGION, create_service, fake_credentials, free_port, listening_port
from wms_connector.connect_client import ConnectClient
from wms_connector.health.checks.capture import check_capture, check_capture_on_workers, parse_capture_metrics
from wms_connector.health.checks.connect import check_connect
from wms_connector.health.checks.database import (
    DbEndpoint,
    DbInfoError,
    check_database,
    endpoint_from_db_info,
)
from wms_connector.health.checks.ecs_service import check_ecs_service
from wms_connector.health.checks.topics import check_topics, compare_offsets
from wms_connector.health.checks.worker_tasks import exporter_urls, running_task_ips


@pytest.fixture
def aws(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws():
        yield


def _service(monkeypatch, running: int, desired: int = 1):
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", str(running))
    ecs = boto3.client("ecs", region_name=REGION)
    create_service(ecs, "wms-connector-main", "wms-connector-main", desired=desired, launchType="FARGATE")
    return ecs


# -- ECS ------------------------------------------------------------------------------------------------------


def test_ecs_running_as_desired_is_healthy(aws, monkeypatch):
    ecs = _service(monkeypatch, running=1)
    findings = check_ecs_service(ecs, "wms-connector-main", "wms-connector-main")
    assert (findings.desired, findings.running, findings.healthy) == (1, 1, True)
    assert not findings.deployment_in_progress


def test_ecs_fewer_running_than_desired_is_unhealthy(aws, monkeypatch):
    ecs = _service(monkeypatch, running=0)
    findings = check_ecs_service(ecs, "wms-connector-main", "wms-connector-main")
    assert (findings.desired, findings.running, findings.healthy) == (1, 0, False)
    assert findings.deployment_in_progress


def test_ecs_missing_service_is_unhealthy_with_a_reason(aws, monkeypatch):
    ecs = _service(monkeypatch, running=1)
    findings = check_ecs_service(ecs, "wms-connector-main", "no-such-service")
    assert not findings.healthy
    assert "no-such-service" in findings.error and "MISSING" in findings.error


def test_ecs_missing_cluster_is_unhealthy(aws):
    findings = check_ecs_service(boto3.client("ecs", region_name=REGION), "nope", "nope")
    assert not findings.healthy and findings.error


# -- database -------------------------------------------------------------------------------------------------


@pytest.fixture
def listener():
    with listening_port() as port:
        yield port


def _secret(info) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    value = info if isinstance(info, str) else json.dumps(info)
    return client.create_secret(Name="wms/main/dbInfo", SecretString=value)["ARN"]


def test_database_reachable_via_ip_and_port(aws, listener):
    arn = _secret({"ip": "127.0.0.1", "port": str(listener), "user": "cdc", "password": "pw-123456"})
    assert check_database(boto3.client("secretsmanager", region_name=REGION), arn).reachable is True


def test_database_unreachable_reports_no_address_or_secret(aws):
    port = free_port()
    arn = _secret({"host": "127.0.0.1", "port": port, "password": "pw-123456"})
    findings = check_database(boto3.client("secretsmanager", region_name=REGION), arn)
    assert findings.reachable is False
    assert "ConnectionRefusedError" in findings.error
    for leaked in ("127.0.0.1", str(port), "pw-123456"):
        assert leaked not in findings.error


def test_database_endpoint_from_a_jdbc_url(aws, listener):
    arn = _secret({"url": f"jdbc:oracle:thin:@//127.0.0.1:{listener}/WMSPDB", "password": "pw"})
    assert check_database(boto3.client("secretsmanager", region_name=REGION), arn).reachable is True


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"ip": "10.0.0.5", "port": 1521}, DbEndpoint("10.0.0.5", 1521)),
        ({"host": "db.example", "port": "1522"}, DbEndpoint("db.example", 1522)),
        ({"url": "jdbc:oracle:thin:@db.example:1523:WMS"}, DbEndpoint("db.example", 1523)),
        (
            {"url": "jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db.example)(PORT=1524)))"},
            DbEndpoint("db.example", 1524),
        ),
        ({"ip": "10.0.0.6", "url": "jdbc:oracle:thin:@//db.example:1525/S"}, DbEndpoint("10.0.0.6", 1525)),
    ],
)
def test_endpoint_from_db_info(info, expected):
    assert endpoint_from_db_info(info) == expected


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"port": 1521, "password": "hunter2-secret"}, "no 'ip' or 'host'"),
        ({"ip": "10.0.0.5", "password": "hunter2-secret"}, "no 'port'"),
        ({"ip": "10.0.0.5", "port": "hunter2-secret"}, "'port' is not a whole number"),
        ({"ip": "10.0.0.5", "port": 70000}, "outside 1-65535"),
        (["not", "an", "object"], "not a JSON object"),
    ],
)
def test_bad_db_info_names_the_key_never_the_value(info, message):
    with pytest.raises(DbInfoError, match=message) as caught:
        endpoint_from_db_info(info)
    assert "hunter2-secret" not in str(caught.value) and "10.0.0.5" not in str(caught.value)


def test_db_endpoint_repr_hides_the_address():
    assert "10.0.0.5" not in repr(DbEndpoint("10.0.0.5", 1521))


def test_unreadable_secret_is_reported_as_unknown(aws):
    client = boto3.client("secretsmanager", region_name=REGION)
    findings = check_database(client, "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf")
    assert findings.reachable is None and "ResourceNotFoundException" in findings.error


def test_secret_that_is_not_json(aws):
    arn = _secret("host=10.0.0.5;password=hunter2-secret")
    findings = check_database(boto3.client("secretsmanager", region_name=REGION), arn)
    assert findings.reachable is None and "not JSON" in findings.error and "hunter2" not in findings.error


# -- capture metrics ------------------------------------------------------------------------------------------

# Shaped as connect-image/jmx-exporter.yml names them.
EXPORTER_TEXT = """\
# TYPE debezium_oracle_millisecondsbehindsource untyped
debezium_oracle_millisecondsbehindsource{context="streaming",server="aws.wms.cdc",} 1500.0
debezium_oracle_millisecondsbehindsource{context="streaming",server="other.prefix",} 99.0
# TYPE debezium_oracle_connected untyped
debezium_oracle_connected{context="streaming",server="aws.wms.cdc",} 1.0
# TYPE debezium_oracle_millisecondssincelastevent untyped
debezium_oracle_millisecondssincelastevent{context="streaming",server="aws.wms.cdc",} 250.0
# TYPE debezium_oracle_snapshotrunning untyped
debezium_oracle_snapshotrunning{context="snapshot",server="aws.wms.cdc",} 1.0
# TYPE debezium_oracle_remainingtablecount untyped
debezium_oracle_remainingtablecount{context="snapshot",server="aws.wms.cdc",} 3.0
# TYPE jvm_memory_heap_used_bytes untyped
jvm_memory_heap_used_bytes 1.0E8
"""


def test_capture_metrics_of_this_connector_only():
    found = parse_capture_metrics(EXPORTER_TEXT, server="aws.wms.cdc")
    assert found.lag_ms == 1500.0
    assert found.connected is True
    assert found.ms_since_last_event == 250.0
    assert found.snapshot_running is True
    assert found.snapshot_tables_remaining == 3.0


def test_capture_metrics_with_debezium_capitalisation_and_name_label():
    text = (
        'debezium_metrics_MilliSecondsBehindSource{context="streaming",name="x.aws.wms.cdc",plugin="oracle"} 7\n'
        'debezium_metrics_Connected{context="streaming",name="x.aws.wms.cdc",plugin="oracle"} 0\n'
    )
    found = parse_capture_metrics(text, server="x.aws.wms.cdc")
    assert (found.lag_ms, found.connected) == (7.0, False)


def test_capture_metrics_absent_when_the_connector_never_streamed():
    found = parse_capture_metrics("jvm_threads_current 42\n", server="aws.wms.cdc")
    assert not found.streaming_seen
    assert found.lag_ms is None and found.connected is None and found.snapshot_running is None


def test_capture_scrape_failure_is_reported_not_raised():
    def refuse(url):
        raise ConnectionRefusedError("refused")

    found = check_capture(refuse, "http://127.0.0.1:1/metrics", "aws.wms.cdc")
    assert "ConnectionRefusedError" in found.error and found.lag_ms is None


# -- topic offsets --------------------------------------------------------------------------------------------

DATA = ("aws.wms.cdc.WMS.A", "aws.wms.cdc.WMS.B")
HEARTBEAT = "__debezium-heartbeat.aws.wms.cdc"


def test_first_run_has_no_verdict():
    found = compare_offsets(None, {DATA[0]: 5}, DATA, HEARTBEAT)
    assert found.stalled is None and found.events_captured is None and found.offsets == {DATA[0]: 5}


def test_topics_that_never_appear_are_stalled_from_the_second_run():
    found = compare_offsets({}, {}, DATA, HEARTBEAT)
    assert found.stalled is True and found.events_captured == 0


def test_heartbeat_alone_moving_is_not_stalled():
    found = compare_offsets({DATA[0]: 5, HEARTBEAT: 10}, {DATA[0]: 5, HEARTBEAT: 11}, DATA, HEARTBEAT)
    assert found.stalled is False and found.events_captured == 0


def test_data_growth_counts_events():
    found = compare_offsets({DATA[0]: 5, DATA[1]: 1}, {DATA[0]: 9, DATA[1]: 3, HEARTBEAT: 1}, DATA, HEARTBEAT)
    assert found.stalled is False and found.events_captured == 6


def test_nothing_moving_is_stalled():
    found = compare_offsets({DATA[0]: 5, HEARTBEAT: 10}, {DATA[0]: 5, HEARTBEAT: 10}, DATA, HEARTBEAT)
    assert found.stalled is True and found.events_captured == 0


def test_recreated_topic_never_counts_negative():
    found = compare_offsets({DATA[0]: 50}, {DATA[0]: 2}, DATA, HEARTBEAT)
    assert found.events_captured == 0 and found.stalled is True


def test_unreadable_offsets_keep_the_previous_ones():
    def no_kafka():
        raise OSError("no brokers")

    found = check_topics(no_kafka, {DATA[0]: 5}, DATA, HEARTBEAT)
    assert found.stalled is None and found.offsets == {DATA[0]: 5} and "no brokers" in found.error


# -- Connect ----------------------------------------------------------------------------------------------


def test_connect_down_is_unreachable():
    client = ConnectClient(f"http://127.0.0.1:{free_port()}", request_timeout=0.5, deadline=1.0)
    found = check_connect(client, "wms-oracle-cdc")
    assert found.reachable is False and not found.missing and found.status is None
    assert "did not answer" in found.error


# -- worker task discovery (JMX exporter targets) ---------------------------------------------------------


@pytest.fixture
def fargate_task(aws, monkeypatch):
    """One task of service `wms-connector-main` started in moto, with its ENI attachment."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    # moto 5.2.5 builds Fargate task attachments from an ENI attribute it never sets; give it one.
    monkeypatch.setattr(
        NetworkInterface, "private_dns_name", property(lambda eni: f"ip-{eni.private_ip_address}"), raising=False
    )
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="wms-connector-main")
    ecs.register_task_definition(
        family="connect",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "c", "image": "i", "memory": 512}],
    )
    started = ecs.run_task(
        cluster="wms-connector-main",
        taskDefinition="connect",
        launchType="FARGATE",
        group="service:wms-connector-main",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
    )["tasks"][0]
    details = started["attachments"][0]["details"]
    ip = next(d["value"] for d in details if d["name"] == "privateIPv4Address")
    return ecs, ip


def test_exporter_urls_one_per_running_worker(fargate_task):
    ecs, ip = fargate_task
    assert running_task_ips(ecs, "wms-connector-main", "wms-connector-main") == [ip]
    urls = exporter_urls("http://{task_ip}:9404/metrics", ecs, "wms-connector-main", "wms-connector-main")
    assert urls == [f"http://{ip}:9404/metrics"]


def test_exporter_url_without_placeholder_is_used_as_is(aws):
    ecs = boto3.client("ecs", region_name=REGION)
    assert exporter_urls("http://127.0.0.1:9404/metrics", ecs, "x", "y") == ["http://127.0.0.1:9404/metrics"]


def test_no_running_worker_means_nothing_to_scrape(aws, monkeypatch):
    ecs = _service(monkeypatch, running=0)
    assert exporter_urls("http://{task_ip}:9404/metrics", ecs, "wms-connector-main", "wms-connector-main") == []
    assert check_capture_on_workers(lambda url: "", [], "aws.wms.cdc").error == "no running Connect worker to scrape"
