"""The archive-log runway (wms_connector/health/runway.py) with an injected clock: capture running, held back by an
old transaction, down for hours; the read-back, the share of the retention and the hours left."""

from __future__ import annotations

import pytest

from wms_connector.connect_status import ConnectorStatus
from wms_connector.health.checks.capture import CaptureFindings
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.runner import counter_growth, is_capturing
from wms_connector.health.runway import HOUR_MS, runway

NOW = 1_800_000_000_000
RETENTION = 24


def test_running_capture_reads_back_what_debezium_says():
    found = runway(retention_hours=RETENTION, oldest_scn_age_ms=30 * 60_000, capturing=True, now_ms=NOW,
                   last_running_ms=None, last_read_back_ms=None)
    assert (found.capture_down, found.read_back_ms) == (False, 1_800_000)
    assert found.used_percent == pytest.approx(100 * 0.5 / 24)
    assert found.hours_left == pytest.approx(23.5)
    assert "23.5 h left" in found.summary and "capture is running" in found.summary


def test_an_old_transaction_holding_the_offset_eats_the_runway_while_capture_runs():
    held = runway(retention_hours=RETENTION, oldest_scn_age_ms=14 * HOUR_MS, capturing=True, now_ms=NOW,
                  last_running_ms=None, last_read_back_ms=None)
    assert held.used_percent == pytest.approx(100 * 14 / 24) and held.used_percent > 50
    assert held.hours_left == pytest.approx(10)


def test_capture_down_for_hours_carries_on_from_the_last_run_that_saw_it_running():
    last_seen = NOW - 5 * HOUR_MS
    down = runway(retention_hours=RETENTION, oldest_scn_age_ms=None, capturing=False, now_ms=NOW,
                  last_running_ms=last_seen, last_read_back_ms=2 * HOUR_MS)
    assert down.capture_down and down.down_since_ms == last_seen
    assert down.read_back_ms == 7 * HOUR_MS
    assert down.hours_left == pytest.approx(17)
    assert "capture is down" in down.summary and "17.0 h left before a full re-snapshot" in down.summary
    gone = runway(retention_hours=RETENTION, oldest_scn_age_ms=None, capturing=False, now_ms=NOW + 30 * HOUR_MS,
                  last_running_ms=last_seen, last_read_back_ms=2 * HOUR_MS)
    assert gone.hours_left == 0 and gone.used_percent > 100


def test_a_stale_age_from_a_stopped_task_is_not_taken_as_running():
    # The exporter can still show the last OldestScnAge of a task that stopped: only a capturing run counts.
    down = runway(retention_hours=RETENTION, oldest_scn_age_ms=60_000, capturing=False, now_ms=NOW,
                  last_running_ms=NOW - HOUR_MS, last_read_back_ms=60_000)
    assert down.capture_down and down.read_back_ms == HOUR_MS + 60_000


def test_never_seen_running_is_unknown():
    found = runway(retention_hours=RETENTION, oldest_scn_age_ms=None, capturing=False, now_ms=NOW,
                   last_running_ms=None, last_read_back_ms=None)
    assert found.read_back_ms is None and found.used_percent is None and "unknown" in found.summary


def _connect(*states: str) -> ConnectFindings:
    tasks = [{"id": i, "state": s} for i, s in enumerate(states[1:])]
    return ConnectFindings(
        reachable=True,
        status=ConnectorStatus.from_json({"name": "c", "connector": {"state": states[0]}, "tasks": tasks}),
    )


@pytest.mark.parametrize(
    ("connect", "capture", "capturing"),
    [
        (_connect("RUNNING", "RUNNING"), CaptureFindings(connected=True, oldest_scn_age_ms=5.0), True),
        (_connect("RUNNING", "FAILED"), CaptureFindings(connected=True, oldest_scn_age_ms=5.0), False),
        (_connect("PAUSED", "PAUSED"), CaptureFindings(connected=True, oldest_scn_age_ms=5.0), False),
        (_connect("RUNNING", "RUNNING"), CaptureFindings(connected=False, oldest_scn_age_ms=5.0), False),
        (_connect("RUNNING", "RUNNING"), CaptureFindings(connected=True), False),
        (_connect("RUNNING", "RUNNING"), None, False),
        (ConnectFindings(reachable=True, missing=True), None, False),
    ],
)
def test_capturing_means_running_connected_and_reporting(connect, capture, capturing):
    assert is_capturing(connect, capture) is capturing


def test_counter_growth_since_the_last_run_and_after_a_task_restart():
    first, growth = counter_growth(
        CaptureFindings(schema_parse_errors=2, error_count=0, oversized_transactions=1), {})
    # Nothing to compare with yet.
    assert growth == {"UnparsableDdlGrowth": 0, "CaptureErrorGrowth": 0, "OversizedTransactionGrowth": 0}
    second, growth = counter_growth(
        CaptureFindings(schema_parse_errors=5, error_count=1, oversized_transactions=1), first)
    # An oversized transaction counted before stays counted: no growth, no second alarm for it.
    assert growth == {"UnparsableDdlGrowth": 3, "CaptureErrorGrowth": 1, "OversizedTransactionGrowth": 0}
    third, growth = counter_growth(
        CaptureFindings(schema_parse_errors=5, error_count=1, oversized_transactions=2), second)
    assert growth["OversizedTransactionGrowth"] == 1  # a second one alarms again
    # The task restarted: the counters start again from zero, and what they hold now is new.
    _, growth = counter_growth(CaptureFindings(schema_parse_errors=1, error_count=0, oversized_transactions=1), third)
    assert growth == {"UnparsableDdlGrowth": 1, "CaptureErrorGrowth": 0, "OversizedTransactionGrowth": 1}
    kept, growth = counter_growth(None, second)  # nothing scraped: keep what was known, report nothing
    assert (kept, growth) == (second, {})
