"""The archive-log runway (wms_connector/health/runway.py) with an injected clock: capture running, held back by an
old transaction or a lag with an empty buffer, the initial snapshot, down for hours, catching up after an outage;
the read-back, the share of the retention and the hours left."""

from __future__ import annotations

import pytest

from wms_connector.connect_status import ConnectorStatus
from wms_connector.health.checks.capture import CaptureFindings
from wms_connector.health.checks.connect import ConnectFindings
from wms_connector.health.runner import counter_growth
from wms_connector.health.runway import (
    HOUR_MS,
    RunwayFindings,
    RunwayMemory,
    held_back_ms,
    is_capturing,
    runway,
    with_disk,
)

NOW = 1_800_000_000_000
RETENTION = 24


NEVER_SEEN = RunwayMemory()


def _run(held_ms, now_ms=NOW, previous=NEVER_SEEN, offset_scn=None, current_scn=None):
    return runway(retention_hours=RETENTION, held_ms=held_ms, now_ms=now_ms, previous=previous,
                  offset_scn=offset_scn, current_scn=current_scn)


def test_running_capture_reads_back_what_debezium_says():
    found = _run(30 * 60_000, current_scn=5000)
    assert (found.capture_down, found.read_back_ms) == (False, 1_800_000)
    assert found.used_percent == pytest.approx(100 * 0.5 / 24)
    assert found.hours_left == pytest.approx(23.5)
    assert "23.5 h left" in found.summary and "capture is running" in found.summary
    assert found.memory == RunwayMemory(held_at_ms=NOW, read_back_ms=1_800_000, current_scn=5000)


def test_an_old_transaction_holding_the_offset_eats_the_runway_while_capture_runs():
    held = _run(14 * HOUR_MS)
    assert held.used_percent == pytest.approx(100 * 14 / 24) and held.used_percent > 50
    assert held.hours_left == pytest.approx(10)


def test_capture_down_for_hours_carries_on_from_the_last_run_that_saw_it_running():
    last_seen = NOW - 5 * HOUR_MS
    seen = RunwayMemory(held_at_ms=last_seen, read_back_ms=2 * HOUR_MS, current_scn=9000)
    down = _run(None, previous=seen)
    assert down.capture_down and down.down_since_ms == last_seen
    assert down.read_back_ms == 7 * HOUR_MS
    assert down.hours_left == pytest.approx(17)
    assert "capture is down" in down.summary and "17.0 h left before a full re-snapshot" in down.summary
    # The SCN the database was at when capture was last seen running is where a catch-up must get to.
    assert down.memory == RunwayMemory(last_seen, 2 * HOUR_MS, 9000, catch_up_scn=9000)
    gone = _run(None, now_ms=NOW + 30 * HOUR_MS, previous=down.memory)
    assert gone.hours_left == 0 and gone.used_percent > 100


def test_after_an_outage_the_carried_read_back_stands_until_the_offset_passes_where_capture_stopped():
    # Down from NOW-5h (held 2 h back then, database at SCN 9000); the task runs again and its fresh metrics read
    # near zero (empty buffer, no change processed yet): the runway must not jump back to full.
    down = _run(None, previous=RunwayMemory(NOW - 5 * HOUR_MS, 2 * HOUR_MS, 9000)).memory
    restarted = _run(0.0, now_ms=NOW + HOUR_MS, previous=down, offset_scn=4000, current_scn=12000)
    assert restarted.catching_up and not restarted.capture_down
    assert restarted.read_back_ms == 8 * HOUR_MS
    assert "catching up" in restarted.summary
    assert restarted.memory == down  # still counting from the last run before the outage
    # A second outage during the catch-up counts on from the first one, not from zero.
    again = _run(None, now_ms=NOW + 2 * HOUR_MS, previous=restarted.memory)
    assert again.capture_down and again.read_back_ms == 9 * HOUR_MS
    # The offset is no longer known: still carried (the metrics cannot show the catch-up is done).
    unknown = _run(60_000.0, now_ms=NOW + 3 * HOUR_MS, previous=again.memory, offset_scn=None)
    assert unknown.catching_up and unknown.read_back_ms == 10 * HOUR_MS
    # Past SCN 9000, the metrics speak again.
    caught_up = _run(90_000.0, now_ms=NOW + 4 * HOUR_MS, previous=unknown.memory, offset_scn=9001, current_scn=13000)
    assert not caught_up.catching_up and caught_up.read_back_ms == 90_000
    assert caught_up.memory == RunwayMemory(NOW + 4 * HOUR_MS, 90_000, 13000)


def test_during_a_catch_up_a_larger_metric_read_back_wins():
    down = RunwayMemory(NOW - HOUR_MS, 0.0, 9000, catch_up_scn=9000)
    found = _run(3 * HOUR_MS, previous=down, offset_scn=100)
    assert found.read_back_ms == 3 * HOUR_MS


def test_never_seen_running_is_unknown():
    found = _run(None)
    assert found.read_back_ms is None and found.used_percent is None and "unknown" in found.summary


def _capture(**fields):
    return CaptureFindings(**fields)


@pytest.mark.parametrize(
    ("capture", "held"),
    [
        # An empty buffer (OldestScnAge 0) while the last change processed was 3 h behind the database.
        (_capture(connected=True, oldest_scn_age_ms=0.0, lag_from_source_ms=3 * HOUR_MS), 3 * HOUR_MS),
        # A long transaction holds the offset further back than the lag.
        (_capture(connected=True, oldest_scn_age_ms=5 * HOUR_MS, lag_from_source_ms=1_000.0), 5 * HOUR_MS),
        (_capture(connected=True, oldest_scn_age_ms=2_000.0), 2_000.0),
        # The initial snapshot: streaming starts from the snapshot's SCN, as old as the snapshot.
        (_capture(connected=False, snapshot_running=True, snapshot_duration_s=7200.0), 2 * HOUR_MS),
        (_capture(snapshot_running=True, snapshot_duration_s=60.0), 60_000.0),
        # Streaming but not connected, nothing running: nothing this run can say.
        (_capture(connected=False, oldest_scn_age_ms=10.0), None),
        (_capture(snapshot_running=False, snapshot_duration_s=60.0), None),
        (None, None),
    ],
)
def test_held_back_reads_the_larger_of_buffer_age_and_lag_or_the_snapshot_age(capture, held):
    assert held_back_ms(_connect("RUNNING", "RUNNING"), capture) == held


def test_held_back_needs_the_connector_running():
    capture = _capture(connected=True, oldest_scn_age_ms=10.0, lag_from_source_ms=5.0)
    assert held_back_ms(_connect("RUNNING", "FAILED"), capture) is None
    assert held_back_ms(_connect("PAUSED", "PAUSED"), capture) is None


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


def test_the_logs_on_disk_tighten_the_runway_when_they_are_kept_shorter_than_the_setting():
    found = with_disk(_run(6 * HOUR_MS), on_disk_hours=10.0, position_gone=False)
    assert found.measured_on_disk and found.hours_left == pytest.approx(4)
    assert found.used_percent == pytest.approx(60)
    assert "of 10 h of archive logs actually on disk (the setting says 24 h)" in found.summary
    longer = with_disk(_run(6 * HOUR_MS), on_disk_hours=48.0, position_gone=False)
    assert not longer.measured_on_disk and longer.hours_left == pytest.approx(18)  # the setting is tighter
    assert "the setting says" not in longer.summary


def test_a_position_whose_log_is_gone_leaves_no_runway():
    gone = with_disk(_run(HOUR_MS), on_disk_hours=30.0, position_gone=True)
    assert gone.hours_left == 0 and gone.used_percent >= 100
    assert "the log holding its position is no longer on disk" in gone.summary
    unknown = with_disk(_run(HOUR_MS), on_disk_hours=None, position_gone=None)
    assert unknown == _run(HOUR_MS)


def test_an_empty_buffer_and_no_change_processed_yet_hold_nothing_back():
    capture = _capture(connected=True, oldest_scn_age_ms=0.0)
    assert held_back_ms(_connect("RUNNING", "RUNNING"), capture) == 0.0
    assert held_back_ms(_connect("RUNNING", "RUNNING"), _capture(connected=True, oldest_scn_age_ms=0.0,
                                                                 lag_from_source_ms=0.0)) == 0.0
    found = _run(0.0, current_scn=5000)
    assert found == RunwayFindings(
        read_back_ms=0.0, retention_hours=RETENTION, capture_down=False,
        memory=RunwayMemory(held_at_ms=NOW, read_back_ms=0.0, current_scn=5000),
    )
    assert found.hours_left == RETENTION and found.used_percent == 0


@pytest.mark.parametrize("previous", [NEVER_SEEN, RunwayMemory(held_at_ms=NOW - HOUR_MS)])
def test_capture_down_with_no_read_back_known_is_unknown_and_forgets_nothing(previous):
    # The second: a stored state with when capture was last seen but not how far back (0 stands for none).
    found = _run(None, previous=previous)
    assert found == RunwayFindings(read_back_ms=None, retention_hours=RETENTION, capture_down=True, memory=previous)
    assert found.summary == "unknown: capture has not been seen running yet"


@pytest.mark.parametrize("now_ms", [NOW, NOW - 60_000])
def test_a_run_at_or_before_the_last_one_seen_running_carries_the_read_back_unchanged(now_ms):
    # The health runs' clocks are the Lambdas' hosts': a later run can read the same or an earlier time.
    seen = RunwayMemory(held_at_ms=NOW, read_back_ms=2 * HOUR_MS, current_scn=9000)
    down = _run(None, now_ms=now_ms, previous=seen)
    assert (down.read_back_ms, down.down_since_ms) == (2 * HOUR_MS, NOW)


def test_the_catch_up_ends_when_the_offset_reaches_where_capture_stopped():
    down = RunwayMemory(NOW - HOUR_MS, 2 * HOUR_MS, 9000, catch_up_scn=9000)
    before = _run(60_000.0, previous=down, offset_scn=8999, current_scn=12000)
    assert before == RunwayFindings(
        read_back_ms=3 * HOUR_MS, retention_hours=RETENTION, capture_down=False, catching_up=True, memory=down,
    )
    assert before.summary.startswith("capture is catching up on an outage; a restart would read back 3.0 h of 24 h")
    reached = _run(60_000.0, previous=down, offset_scn=9000, current_scn=12000)
    assert not reached.catching_up and reached.read_back_ms == 60_000
    assert reached.memory == RunwayMemory(NOW, 60_000, 12000)
