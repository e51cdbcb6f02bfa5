"""Restart budget and run state against moto's DynamoDB: rolling window, outcomes, concurrency.

Reads that must be strongly consistent are checked through a double whose eventually consistent reads lag a write
(eventual_reads.py): moto always answers with the latest item, DynamoDB need not."""

from __future__ import annotations

import threading
import uuid

import boto3
import pytest
from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from tests.unit.aws_fixtures import Clock, create_state_table, fake_credentials, free_port
from tests.unit.eventual_reads import EventualReadsTable
from wms_connector.health.catch_up import ScnSample
from wms_connector.health.restart_budget import (
    HELPED,
    NOT_HELPED,
    PENDING,
    BudgetContentionError,
    BudgetDecision,
    RestartBudget,
    RestartRecord,
    backoff_until_ms,
    connector_id,
)
from wms_connector.health.run_state import RunState, RunStateStore, is_sustained_not_running, next_not_running_streak
from wms_connector.health.runway import RunwayMemory
from wms_connector.health_policy import DEFAULT_NOT_RUNNING_RUNS

KEY = connector_id("main", "wms-oracle-cdc")
T0 = 1_800_000_000.0
MINUTE = 60.0


@pytest.fixture
def aws_env(monkeypatch):
    fake_credentials(monkeypatch)


@pytest.fixture
def table(aws_env):
    with mock_aws():
        yield create_state_table(boto3.resource("dynamodb", region_name="us-east-1"), "health")


def test_connector_id_is_stage_and_name():
    assert KEY == "main:wms-oracle-cdc"


# The window's own rules, with clocks that agree (no skew allowance); the allowance has its tests below.


def test_fourth_restart_within_the_window_is_refused(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock, skew_allowance_seconds=0)
    for minute in (0, 10, 20):
        clock.now = T0 + minute * MINUTE
        assert budget.reserve().granted
    clock.now = T0 + 59 * MINUTE
    refused = budget.reserve()
    assert not refused.granted
    assert refused.used == 3 and refused.remaining == 0
    # The oldest (at T0) frees its slot 60 minutes after it was made.
    assert refused.next_free_at_ms == int((T0 + 60 * MINUTE) * 1000)


def test_window_is_rolling_not_fixed(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock, skew_allowance_seconds=0)
    for minute in (0, 10, 20):
        clock.now = T0 + minute * MINUTE
        budget.reserve()
    # The oldest leaves the window at T0+60: one slot frees, not all three (a fixed window would free all).
    clock.now = T0 + 60 * MINUTE + 1
    assert budget.reserve().granted
    assert not budget.reserve().granted
    clock.now = T0 + 70 * MINUTE + 1
    assert budget.reserve().granted
    assert [r.at_ms for r in budget.restarts_in_window()] == [
        int((T0 + 20 * MINUTE) * 1000),
        int((T0 + 60 * MINUTE + 1) * 1000),
        int((T0 + 70 * MINUTE + 1) * 1000),
    ]


def test_old_restarts_are_pruned_from_the_item(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock, skew_allowance_seconds=0)
    budget.reserve()
    clock.now = T0 + 2 * 60 * MINUTE
    budget.reserve()
    stored = table.get_item(Key={"connectorId": KEY})["Item"]["restarts"]
    assert [int(r["at"]) for r in stored] == [int(clock.now * 1000)]


def test_custom_limit_and_window(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, limit=1, window_seconds=300, clock=clock, skew_allowance_seconds=0)
    assert budget.reserve().granted
    assert not budget.reserve().granted
    clock.now = T0 + 301
    assert budget.reserve().granted


@pytest.mark.parametrize(("kwargs", "message"), [({"limit": 0}, "limit"), ({"window_seconds": 0}, "window")])
def test_bad_budget_settings_are_refused(table, kwargs, message):
    with pytest.raises(ValueError, match=message):
        RestartBudget(table, KEY, **kwargs)


def test_outcome_is_recorded_on_the_pending_restart(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock)
    budget.reserve()
    clock.now += 10 * MINUTE
    budget.reserve()
    pending = budget.pending()
    assert pending.at_ms == int(clock.now * 1000) and pending.outcome == PENDING
    assert budget.record_outcome(pending.at_ms, helped=False)
    first = budget.pending()
    assert first.at_ms == int(T0 * 1000)
    assert budget.record_outcome(first.at_ms, helped=True)
    assert budget.pending() is None
    assert [r.outcome for r in budget.restarts_in_window()] == [HELPED, NOT_HELPED]
    # An outcome counts toward nothing: both restarts still use the budget.
    assert budget.remaining() == 1


def test_outcome_of_a_restart_that_left_the_window_is_not_recorded(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock, skew_allowance_seconds=0)
    budget.reserve()
    clock.now += 61 * MINUTE
    assert budget.record_outcome(int(T0 * 1000), helped=True) is False


def test_budget_does_not_touch_run_state_and_the_other_way_round(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock)
    store = RunStateStore(table, KEY)
    store.save(RunState(2, {"a.topic": 7}, 123))
    budget.reserve()
    assert store.load() == RunState(2, {"a.topic": 7}, 123)
    store.save(RunState(0, {}, 456))
    assert len(budget.restarts_in_window()) == 1


def test_run_state_keeps_the_runway_memory_across_runs(table):
    store = RunStateStore(table, KEY)
    memory = RunwayMemory(held_at_ms=1_700_000_000_000, read_back_ms=7_200_000, current_scn=123456789012,
                          catch_up_scn=123456789000)
    sample = ScnSample(1_700_000_000_000, 123456000000, 123456789012)
    store.save(RunState(0, {}, 456, runway=memory, scn_sample=sample))
    assert (store.load().runway, store.load().scn_sample) == (memory, sample)
    store.save(RunState(0, {}, 789, runway=RunwayMemory()))
    assert (store.load().runway, store.load().scn_sample) == (RunwayMemory(), None)


def test_run_state_starts_empty(table):
    assert RunStateStore(table, KEY).load() == RunState()


@pytest.mark.parametrize(
    ("previous", "states", "expected"),
    [
        (0, ["RUNNING", "RUNNING"], 0),
        (2, ["RUNNING", "RUNNING"], 0),
        (0, ["RUNNING", "UNASSIGNED"], 1),
        (2, ["RESTARTING"], 3),
        (1, ["PAUSED", "PAUSED"], 2),
        # FAILED is reported at once by its own signal; it does not feed the soft streak.
        (1, ["FAILED", "FAILED"], 0),
        (1, [], 0),
    ],
)
def test_not_running_streak(previous, states, expected):
    assert next_not_running_streak(previous, states) == expected


def test_not_running_counts_only_once_the_streak_reaches_the_stages_runs():
    sustained = [is_sustained_not_running(n, DEFAULT_NOT_RUNNING_RUNS) for n in range(5)]
    assert sustained == [False, False, False, True, True]
    assert [is_sustained_not_running(n, 1) for n in range(3)] == [False, True, True]


# -- concurrency --------------------------------------------------------------------------------------------


class ItemAtomicMotoServer(ThreadedMotoServer):
    """moto's server, with each request applied whole before the next, as DynamoDB applies a conditional write to
    an item atomically. moto's own update_item checks the condition and writes without a lock, so two threads can
    both pass `budgetVersion = :old`: a double grant that real DynamoDB never makes. Requests still arrive
    concurrently and interleave between a run's read and its write, which is the race the budget must handle."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def one_at_a_time(environ, start_response):
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, one_at_a_time, True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture
def moto_server_table(aws_env):
    """moto in server mode: each thread's requests go over HTTP, like concurrent Lambdas against DynamoDB.

    moto's server keeps its tables in the process, past this server and past a test that failed before its
    teardown: each test gets a table name of its own, so no test depends on another having cleaned up."""
    server = ItemAtomicMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    resource = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=f"http://{host}:{port}")
    try:
        table = create_state_table(resource, f"health-{uuid.uuid4().hex[:12]}")
        try:
            yield table, f"http://{host}:{port}"
        finally:
            table.delete()
    finally:
        server.stop()


def test_concurrent_runs_never_exceed_the_budget(moto_server_table):
    server_table, endpoint = moto_server_table
    clock = Clock(T0)
    threads_count = 12
    start = threading.Barrier(threads_count)
    granted: list[bool] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        # Each "run" has its own client, as separate Lambda invocations would.
        table = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint).Table(server_table.name)
        budget = RestartBudget(table, KEY, clock=clock, max_attempts=100)
        start.wait()
        try:
            for _ in range(3):
                decision = budget.reserve()
                with lock:
                    granted.append(decision.granted)
        except BaseException as exc:  # collected and asserted on below
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert len(granted) == threads_count * 3
    assert granted.count(True) == 3
    table = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint).Table(server_table.name)
    assert len(RestartBudget(table, KEY, clock=clock).restarts_in_window()) == 3


def test_contention_beyond_the_attempt_limit_reserves_nothing(table):
    class AlwaysLosing:
        """A table where another writer always wins the conditional write."""

        def get_item(self, **kwargs):
            return table.get_item(**kwargs)

        def update_item(self, **kwargs):
            current = table.get_item(Key={"connectorId": KEY}).get("Item", {}).get("budgetVersion", 0)
            table.put_item(Item={"connectorId": KEY, "budgetVersion": current + 1, "restarts": []})
            return table.update_item(**kwargs)

    budget = RestartBudget(AlwaysLosing(), KEY, clock=Clock(T0), max_attempts=3)
    with pytest.raises(BudgetContentionError, match="after 3 attempts"):
        budget.reserve()


# -- clocks that disagree, and backoff ----------------------------------------------------------------------


def _reserve_at(table, clock_ahead_minutes: float, true_now: float, **kwargs) -> bool:
    """One runner whose clock is `clock_ahead_minutes` off the true time reserves at `true_now`."""
    clock = Clock(true_now + clock_ahead_minutes * MINUTE)
    return RestartBudget(table, KEY, clock=clock, **kwargs).reserve().granted


@pytest.mark.parametrize(("allowance", "fourth_granted"), [(0, True), (None, False)])
def test_a_runner_whose_clock_is_ahead_never_drops_anothers_restart_early(table, allowance, fourth_granted):
    kwargs = {} if allowance is None else {"skew_allowance_seconds": allowance}
    for minute in (0, 10, 20):  # a runner with the true time
        assert _reserve_at(table, 0, T0 + minute * MINUTE, **kwargs)
    # 55 true minutes on, a runner 9 minutes ahead sees the first restart 64 minutes old. Without the allowance
    # it drops it and grants a fourth restart inside the true hour; with it (10 minutes), the budget holds.
    assert _reserve_at(table, 9, T0 + 55 * MINUTE, **kwargs) is fourth_granted


def _rolling_maximum(grants: list[float], window: float) -> int:
    return max((sum(1 for t in grants if start - window < t <= start) for start in grants), default=0)


def test_runners_with_clocks_minutes_apart_concurrently_keep_the_budget(moto_server_table):
    """Six concurrent runners, clocks from 5 minutes behind to 5 ahead (10 apart at most, the allowance), reserve
    together every 4 true minutes for 3 hours: no rolling true hour ever holds more than 3 grants."""
    server_table, endpoint = moto_server_table
    offsets = (-5, -3, -1, 1, 3, 5)
    true_time = Clock(T0)
    barrier = threading.Barrier(len(offsets))
    grants: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    steps = 45

    def run(offset: int) -> None:
        table = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint).Table(server_table.name)
        budget = RestartBudget(table, KEY, clock=lambda: true_time.now + offset * MINUTE, max_attempts=100)
        try:
            for _ in range(steps):
                barrier.wait(timeout=60)
                at = true_time.now
                if budget.reserve().granted:
                    with lock:
                        grants.append(at)
                if barrier.wait(timeout=60) == 0:  # one thread moves the true time on
                    true_time.now += 4 * MINUTE
        except BaseException as exc:  # collected and asserted on below
            with lock:
                failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(offset,)) for offset in offsets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert _rolling_maximum(sorted(grants), 60 * MINUTE) <= 3
    # The budget still lets restarts through: over 3 hours, at least one per (window + allowance).
    assert len(grants) >= 6, grants


def test_a_restart_that_did_not_help_makes_the_next_wait_longer_up_to_the_cap(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, limit=10, window_seconds=6 * 60 * MINUTE, clock=clock)
    waits = []
    for _ in range(5):
        granted = budget.reserve()
        assert granted.granted and granted.backoff_until_ms is None
        budget.record_outcome(budget.pending().at_ms, helped=False)
        refused = budget.reserve()
        assert not refused.granted and refused.backoff_until_ms == refused.next_free_at_ms
        waits.append((refused.backoff_until_ms - int(clock.now * 1000)) / 60_000)
        clock.now = refused.backoff_until_ms / 1000 - 1
        assert not budget.reserve().granted  # a second early is still early
        clock.now += 1
    assert waits == [5, 10, 20, 30, 30]  # doubling, capped at 30 minutes
    # A restart that helped ends the backoff.
    assert budget.reserve().granted
    budget.record_outcome(budget.pending().at_ms, helped=True)
    assert budget.reserve().granted


# -- exact decisions, boundaries and settings ---------------------------------------------------------------

MS = 1000
T0_MS = int(T0 * MS)
WINDOW_MS = 60 * 60 * MS  # the default window
SKEW_MS = 10 * 60 * MS  # the default clock skew allowance


def test_a_granted_restart_says_when_its_slot_frees_window_plus_allowance(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock)
    assert budget.reserve() == BudgetDecision(True, 1, 3, T0_MS + WINDOW_MS + SKEW_MS)
    clock.now = T0 + 5 * MINUTE
    # Still the oldest restart that frees the next slot.
    assert budget.reserve() == BudgetDecision(True, 2, 3, T0_MS + WINDOW_MS + SKEW_MS)


def test_a_refused_run_is_granted_exactly_when_it_was_told(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock)
    for minute in (0, 10, 20):
        clock.now = T0 + minute * MINUTE
        budget.reserve()
    frees_at = T0_MS + WINDOW_MS + SKEW_MS
    clock.now = (frees_at - 1) / MS
    assert budget.reserve() == BudgetDecision(False, 3, 3, frees_at)
    assert budget.remaining() == 0
    clock.now = frees_at / MS  # the oldest restart is window + allowance old: it no longer counts
    assert budget.reserve() == BudgetDecision(True, 3, 3, T0_MS + 10 * MINUTE * MS + WINDOW_MS + SKEW_MS)
    assert [r.at_ms for r in budget.restarts_in_window()] == [T0_MS + 10 * MINUTE * MS, T0_MS + 20 * MINUTE * MS,
                                                              frees_at]


def test_a_spent_budget_has_none_remaining(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, limit=2, clock=clock)
    assert budget.remaining() == 2
    budget.reserve()
    assert budget.remaining() == 1
    budget.reserve()
    assert budget.remaining() == 0


def test_a_refusal_for_the_backoff_reports_the_restarts_counted_and_when_it_ends(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, limit=10, clock=clock)
    budget.reserve()
    budget.record_outcome(T0_MS, helped=False)
    clock.now = T0 + 1 * MINUTE
    ends = T0_MS + 5 * MINUTE * MS
    refused = budget.reserve()
    assert refused == BudgetDecision(False, 1, 10, ends, backoff_until_ms=ends)
    assert refused.granted is False and refused.remaining == 9


def _at(minute: int) -> int:
    return T0_MS + minute * 60 * MS


@pytest.mark.parametrize(
    ("records", "until"),
    [
        ([], None),
        ([(0, HELPED)], None),
        ([(0, PENDING)], None),
        ([(0, NOT_HELPED)], _at(0) + 5 * 60 * MS),
        # Only the restarts in a row that did not help count, the latest first.
        ([(0, HELPED), (10, NOT_HELPED)], _at(10) + 5 * 60 * MS),
        ([(0, NOT_HELPED), (10, HELPED)], None),
        ([(0, NOT_HELPED), (10, PENDING)], None),
        ([(0, NOT_HELPED), (10, HELPED), (20, NOT_HELPED), (30, NOT_HELPED)], _at(30) + 10 * 60 * MS),
        # The item's order does not matter: the latest by time is the one judged.
        ([(30, NOT_HELPED), (0, HELPED), (20, NOT_HELPED)], _at(30) + 10 * 60 * MS),
        ([(m, NOT_HELPED) for m in (0, 10, 20)], _at(20) + 20 * 60 * MS),
        ([(m, NOT_HELPED) for m in (0, 10, 20, 30, 40)], _at(40) + 30 * 60 * MS),  # capped
    ],
)
def test_backoff_after_restarts_that_did_not_help(records, until):
    restarts = [RestartRecord(_at(minute), outcome) for minute, outcome in records]
    assert backoff_until_ms(restarts, 5 * 60 * MS, 30 * 60 * MS) == until


SETTINGS_REFUSED = "Restart budget skew allowance and backoff must be seconds >= 0, the cap >= the base."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "Restart budget limit must be at least 1, got 0."),
        ({"window_seconds": 0}, "Restart budget window must be positive seconds, got 0."),
        ({"window_seconds": -60}, "Restart budget window must be positive seconds, got -60."),
        # Each wrong alone is refused.
        ({"skew_allowance_seconds": -1}, SETTINGS_REFUSED),
        ({"backoff_seconds": -1}, SETTINGS_REFUSED),
        ({"backoff_seconds": 600, "backoff_max_seconds": 599}, SETTINGS_REFUSED),
    ],
)
def test_bad_budget_settings_are_refused_with_what_is_wrong(table, kwargs, message):
    with pytest.raises(ValueError) as refused:
        RestartBudget(table, KEY, **kwargs)
    assert str(refused.value) == message


def test_a_one_second_window_is_a_window(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, limit=1, window_seconds=1, clock=clock, skew_allowance_seconds=0)
    assert budget.reserve().granted
    assert not budget.reserve().granted
    clock.now = T0 + 1
    assert budget.reserve().granted


def test_without_a_backoff_a_restart_that_did_not_help_delays_nothing(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock, backoff_seconds=0, backoff_max_seconds=0)
    budget.reserve()
    assert budget.record_outcome(T0_MS, helped=False)
    assert budget.reserve() == BudgetDecision(True, 2, 3, T0_MS + WINDOW_MS + SKEW_MS)


def test_a_cap_equal_to_the_base_makes_every_wait_the_same(table):
    clock = Clock(T0)
    fixed = 5 * MINUTE
    budget = RestartBudget(table, KEY, limit=10, clock=clock, backoff_seconds=fixed, backoff_max_seconds=fixed)
    waits = []
    for _ in range(3):
        budget.reserve()
        budget.record_outcome(budget.pending().at_ms, helped=False)
        refused = budget.reserve()
        waits.append((refused.backoff_until_ms - int(clock.now * MS)) / (60 * MS))
        clock.now = refused.backoff_until_ms / MS
    assert waits == [5, 5, 5]


# -- outcomes ----------------------------------------------------------------------------------------------


def test_an_outcome_already_decided_is_not_decided_again(table):
    clock = Clock(T0)
    budget = RestartBudget(table, KEY, clock=clock)
    budget.reserve()
    assert budget.record_outcome(T0_MS, helped=True)
    clock.now = T0 + 10 * MINUTE
    budget.reserve()  # a later restart is pending
    assert budget.record_outcome(T0_MS, helped=False) is False
    assert budget.record_outcome(T0_MS + 1, helped=False) is False  # no restart was made then
    assert budget.restarts_in_window() == [RestartRecord(T0_MS, HELPED), RestartRecord(_at(10), PENDING)]


def test_an_item_from_before_outcomes_counts_its_restarts_as_pending(table):
    # Restarts stored with their time only (no `outcome`), the item at the version its last write left.
    table.put_item(Item={"connectorId": KEY, "restarts": [{"at": T0_MS}], "budgetVersion": 1})
    clock = Clock(T0 + 10 * MINUTE)
    budget = RestartBudget(table, KEY, clock=clock)
    assert budget.pending() == RestartRecord(T0_MS, PENDING)
    # Its version goes on counting: the next writes' conditions hold.
    assert budget.reserve().granted
    assert budget.record_outcome(_at(10), helped=True)
    assert budget.restarts_in_window() == [RestartRecord(T0_MS, PENDING), RestartRecord(_at(10), HELPED)]


class _AlwaysLosing:
    """A table where another writer always wins the conditional write."""

    def __init__(self, table) -> None:
        self._table = table

    def get_item(self, **kwargs):
        return self._table.get_item(**kwargs)

    def update_item(self, **kwargs):
        current = self._table.get_item(Key={"connectorId": KEY}, ConsistentRead=True).get("Item", {})
        self._table.put_item(Item={**current, "budgetVersion": current.get("budgetVersion", 0) + 1})
        return self._table.update_item(**kwargs)


def test_contention_messages_name_the_connector_and_the_attempts(table):
    clock = Clock(T0)
    RestartBudget(table, KEY, clock=clock).reserve()
    losing = RestartBudget(_AlwaysLosing(table), KEY, clock=clock, max_attempts=3)
    with pytest.raises(BudgetContentionError) as reserving:
        losing.reserve()
    assert str(reserving.value) == (
        "Could not reserve a restart for main:wms-oracle-cdc after 3 attempts: "
        "other health-check runs kept updating the budget."
    )
    with pytest.raises(BudgetContentionError) as recording:
        losing.record_outcome(T0_MS, helped=True)
    assert str(recording.value) == "Could not record a restart outcome for main:wms-oracle-cdc after 3 attempts."
    assert RestartBudget(table, KEY, clock=clock).pending() == RestartRecord(T0_MS, PENDING)


def test_every_read_sees_the_latest_write(table):
    # DynamoDB may answer a read that is not strongly consistent from before the latest write (eventual_reads.py).
    clock = Clock(T0)
    budget = RestartBudget(EventualReadsTable(table), KEY, clock=clock, max_attempts=3)
    assert budget.reserve().granted
    clock.now = T0 + 10 * MINUTE
    assert budget.reserve() == BudgetDecision(True, 2, 3, T0_MS + WINDOW_MS + SKEW_MS)
    assert budget.remaining() == 1
    assert budget.pending() == RestartRecord(_at(10), PENDING)
    assert budget.record_outcome(_at(10), helped=False)
    assert budget.restarts_in_window() == [RestartRecord(T0_MS, PENDING), RestartRecord(_at(10), NOT_HELPED)]
