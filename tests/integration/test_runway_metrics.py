"""The restart read-back (the archive-log runway) through the JMX path, with Debezium's own LogMiner streaming and
snapshot metrics objects from the pinned plugin (tests/integration/java/RunwayMetrics.java), served by the real
exporter agent with the image's rules and read by the health check's parser: an empty buffer while the last
change processed is hours behind, a long transaction, a task restart between two runs and the catch-up after it,
the initial snapshot, and the database's clock an hour ahead or behind (Debezium turns the database's times into
the worker's clock before these metrics see them)."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from devtools.connect_jars import CONNECT_IMAGE_DIR, LOCAL_PROFILES, Manifest, resolve
from devtools.local.settings import free_ports
from wms_connector.connect_status import ConnectorStatus
from wms_connector.health.checks.capture import CaptureFindings, parse_capture_metrics
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.runway import HOUR_MS, RunwayMemory, held_back_ms, runway

pytestmark = pytest.mark.integration

SERVER = "runway.test.cdc"
DRIVER = Path(__file__).parent / "java" / "RunwayMetrics.java"
RUNNING = ConnectFindings(
    reachable=True,
    status=ConnectorStatus.from_json(
        {"name": "c", "connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}
    ),
)
MINUTE_MS = 60_000
# A scrape is taken within seconds of the command that set a value; ages are checked to this slack. Debezium
# measures the clock difference and the age at two instants a few milliseconds apart: EARLY_MS below.
SLACK_MS = 30_000
EARLY_MS = 1_000


class MetricsJvm:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port

    def send(self, *commands: str) -> None:
        for command in commands:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline().strip()
            assert answer == "ok", f"{command}: {answer}"

    def scrape(self) -> CaptureFindings:
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback test URL
            return parse_capture_metrics(response.read().decode(), SERVER)

    def fresh_task(self, db_ahead_ms: int = 0) -> None:
        self.send("restart", f"dbclock {db_ahead_ms}")


@pytest.fixture(scope="module")
def jvm():
    jars = resolve(LOCAL_PROFILES, manifest=Manifest())
    agent = next((jars / "jmx-exporter").glob("jmx_prometheus_javaagent-*.jar"))
    port = free_ports(1)[0]
    command = [
        "java", "-Xmx128m", f"-javaagent:{agent}=127.0.0.1:{port}:{CONNECT_IMAGE_DIR / 'jmx-exporter.yml'}",
        f"-Dlog4j2.configurationFile={CONNECT_IMAGE_DIR / 'log4j2.properties'}",
        "-cp", f"{jars / 'plugins' / 'debezium-connector-oracle'}/*:{jars / 'libs'}/*",
        str(DRIVER), SERVER,
    ]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    watchdog = threading.Timer(600, process.kill)  # the module's tests take seconds; never forever
    watchdog.start()
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip() == "registered":
                break
        else:
            pytest.fail("The metrics JVM exited before registering:\n" + "".join(lines[-40:]))
        yield MetricsJvm(process, port)
    finally:
        watchdog.cancel()
        process.kill()
        process.wait(timeout=10)


def _streaming(jvm: MetricsJvm, *commands: str, db_ahead_ms: int = 0) -> CaptureFindings:
    jvm.fresh_task(db_ahead_ms)
    jvm.send("connected true", *commands)
    return jvm.scrape()


@pytest.mark.parametrize("db_ahead_ms", [0, HOUR_MS, -HOUR_MS], ids=["clocks-agree", "db-ahead-1h", "db-behind-1h"])
def test_an_empty_buffer_while_the_last_change_is_hours_behind_reads_hours(jvm, db_ahead_ms):
    # Debezium's offset sits at the newest commit it processed, three hours back; nothing is in its buffer, so
    # OldestScnAgeInMilliseconds reads 0. LagFromSourceInMilliseconds says three hours, whatever the database clock.
    found = _streaming(jvm, "scn 9000 5000", "oldest none", f"change {3 * HOUR_MS}", db_ahead_ms=db_ahead_ms)
    assert found.oldest_scn_age_ms == 0
    assert 3 * HOUR_MS - EARLY_MS <= found.lag_from_source_ms < 3 * HOUR_MS + SLACK_MS
    held = held_back_ms(RUNNING, found)
    assert 3 * HOUR_MS - EARLY_MS <= held < 3 * HOUR_MS + SLACK_MS
    found_runway = runway(retention_hours=24, held_ms=held, now_ms=0, previous=RunwayMemory())
    assert found_runway.hours_left == pytest.approx(21, abs=0.01)


@pytest.mark.parametrize("db_ahead_ms", [0, HOUR_MS, -HOUR_MS], ids=["clocks-agree", "db-ahead-1h", "db-behind-1h"])
def test_a_long_transaction_holds_the_read_back_at_its_start(jvm, db_ahead_ms):
    found = _streaming(jvm, "scn 9000 5000", f"oldest {5 * HOUR_MS}", "change 1000", db_ahead_ms=db_ahead_ms)
    assert 5 * HOUR_MS - EARLY_MS <= found.oldest_scn_age_ms < 5 * HOUR_MS + SLACK_MS
    assert found.lag_from_source_ms < SLACK_MS
    assert 5 * HOUR_MS - EARLY_MS <= held_back_ms(RUNNING, found) < 5 * HOUR_MS + SLACK_MS


def test_a_task_restart_between_runs_carries_the_read_back_until_the_catch_up_passes_the_stop(jvm):
    t0 = 1_800_000_000_000
    # Run 1: capturing, held two hours back by a transaction, the database at SCN 9000.
    before = _streaming(jvm, "scn 9000 5000", f"oldest {2 * HOUR_MS}", "change 1000")
    first = runway(retention_hours=24, held_ms=held_back_ms(RUNNING, before), now_ms=t0, previous=RunwayMemory(),
                   offset_scn=before.offset_scn, current_scn=before.current_scn)
    assert first.memory.current_scn == 9000
    # The task restarts: Debezium's new metrics objects start from nothing and are not yet connected.
    jvm.fresh_task()
    restarted = jvm.scrape()
    assert restarted.connected is False and restarted.oldest_scn_age_ms == 0 and restarted.lag_from_source_ms == 0
    second = runway(retention_hours=24, held_ms=held_back_ms(RUNNING, restarted), now_ms=t0 + 10 * MINUTE_MS,
                    previous=first.memory, offset_scn=restarted.offset_scn, current_scn=restarted.current_scn)
    assert second.capture_down and second.read_back_ms == pytest.approx(first.read_back_ms + 10 * MINUTE_MS)
    # Streaming again from the stored offset (SCN 5000), buffer empty, nothing processed yet: every figure reads
    # near zero, and the read-back still counts from before the outage.
    jvm.send("connected true", "scn 9500 5000")
    resumed = jvm.scrape()
    assert held_back_ms(RUNNING, resumed) == 0
    third = runway(retention_hours=24, held_ms=held_back_ms(RUNNING, resumed), now_ms=t0 + 20 * MINUTE_MS,
                   previous=second.memory, offset_scn=resumed.offset_scn, current_scn=resumed.current_scn)
    assert third.catching_up and third.read_back_ms == pytest.approx(first.read_back_ms + 20 * MINUTE_MS)
    # The offset passed SCN 9000: the metrics count again.
    jvm.send("scn 9800 9100", "oldest none", "change 2000")
    caught_up = jvm.scrape()
    fourth = runway(retention_hours=24, held_ms=held_back_ms(RUNNING, caught_up), now_ms=t0 + 30 * MINUTE_MS,
                    previous=third.memory, offset_scn=caught_up.offset_scn, current_scn=caught_up.current_scn)
    assert not fourth.catching_up and 2000 - EARLY_MS <= fourth.read_back_ms < SLACK_MS


def test_the_initial_snapshot_reads_back_as_far_as_the_snapshot_is_old(jvm):
    jvm.fresh_task()
    jvm.send("snapshot start")
    time.sleep(2.5)
    found = jvm.scrape()
    assert found.snapshot_running is True and found.connected is False
    assert found.snapshot_duration_s >= 2
    held = held_back_ms(RUNNING, found)
    assert held == found.snapshot_duration_s * 1000
    during = runway(retention_hours=24, held_ms=held, now_ms=0, previous=RunwayMemory())
    assert during.read_back_ms == held and "unknown" not in during.summary
    jvm.send("snapshot done")
    assert jvm.scrape().snapshot_running is False
