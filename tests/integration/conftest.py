"""Fixtures for the integration tests: one real local Kafka (KRaft) + Kafka Connect stack per test session.

`local_stack` (session scope) starts a single-node broker and a Connect worker with the pinned Debezium Oracle
plugin on free 127.0.0.1 ports, in a temporary directory, through connect-image/entrypoint.py exactly as the
image does, for the ephemeral stage `it`. It yields a `devtools.local.stack.LocalStack`, whose stable
interface is:

    connect_url            "http://127.0.0.1:<port>" (Connect REST)
    bootstrap_servers      "127.0.0.1:<port>"
    jmx_url                "http://127.0.0.1:<port>/metrics" (Prometheus JMX exporter in the worker)
    stage, topics          Stage("it") and its StageTopics (group, internal topics, data topics, ...)
    worker_log, broker_log paths of the two log files
    connect_client()       a Connect REST client on the worker
    stop_worker()          stop the worker process (the broker stays up)
    start_worker()         start it again and wait until REST answers with the Oracle plugin listed
    settings.database_env  the DB_* variables the worker has: DB_HOST=127.0.0.1 and DB_PORT=<a closed port>,
                           so every connection to "the database" is refused at once, never sent anywhere
    connector_config()     the stage's connector config as the stack builds it, for this broker

devtools.local.kafka_tools has `kafka_admin(bootstrap_servers)` (a KafkaAdminClient; close it) and
`register_unvalidated(stack, name, config)` (a connector config put in the config topic: REST registration needs
Oracle).

Start-up is bounded (STACK_START_TIMEOUT_S); when it fails the test fails with the tails of both logs, and any
test using the stack that fails gets the tail of the worker log in its report. The stack
is stopped at the end of the session, leaving nothing running. The jars come from the cache that
`make jars` fills (resolved on first use if missing).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.local.processes import log_tail
from devtools.local.settings import LocalSettings, LocalStackError, free_ports
from devtools.local.stack import LocalStack
from wms_connector import worker_env
from wms_connector.stages import Stage

STACK_START_TIMEOUT_S = 180.0
TEST_STAGE = "it"


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # A port that was free a moment ago and that nothing in this session listens on: "the database" is unreachable.
    closed_db_port = free_ports(1)[0]
    database_env = {
        worker_env.DB_HOST: "127.0.0.1",
        worker_env.DB_PORT: str(closed_db_port),
        # Values found nowhere else, so a test can grep the worker log and every answer for them.
        worker_env.DB_NAME: "WMSITDB9",
        worker_env.DB_USER: "c##wms_it_cdc_user",
        worker_env.DB_PASSWORD: "it-only-Pa55word-7q",
    }
    settings = LocalSettings.on_free_ports(
        tmp_path_factory.mktemp("local-stack"), Stage.parse(TEST_STAGE), database_env=database_env
    )
    stack = LocalStack(settings)
    try:
        stack.start(timeout_s=STACK_START_TIMEOUT_S)
    except LocalStackError as error:
        pytest.fail(f"The local Kafka + Connect stack did not start: {error}\n{log_tail(stack.broker_log)}\n"
                    f"{log_tail(stack.worker_log)}", pytrace=False)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = (yield).get_result()
    stack = getattr(item, "funcargs", {}).get("local_stack")
    if report.failed and isinstance(stack, LocalStack):
        report.sections.append(("worker log", log_tail(stack.worker_log, lines=80)))
