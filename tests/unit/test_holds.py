"""The hold on a connector (wms_connector/holds.py), against moto's DynamoDB: one holder at a time by conditional
writes, the same holder's hold replaced, expiry without anyone releasing, a release that never frees a newer hold."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from tests.unit.aws_fixtures import REGION, Clock, create_state_table, fake_credentials
from wms_connector.holds import MAX_HOLD_SECONDS, BadHold, Hold, HoldRefused, HoldStore, hold_key

T0 = 1_800_000_000.0
KEY = hold_key("main", "wms-oracle-cdc")


@pytest.fixture
def table(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws():
        yield create_state_table(boto3.resource("dynamodb", region_name=REGION), "wms-connector-main-health")


@pytest.fixture
def clock():
    return Clock(T0)


def test_a_hold_is_one_item_that_says_who_why_and_until_when(table, clock):
    store = HoldStore(table, KEY, clock)
    assert KEY == "main:wms-oracle-cdc#hold"
    taken = store.take("alice@laptop", "DBA resizing redo", "ops pause --hold", 7200, standing=True)
    assert store.current() == taken
    summary = taken.summary(int(T0 * 1000))
    assert summary["until"] == "2027-01-15T10:00:00Z" and summary["minutesLeft"] == 120
    assert taken.describe(int(T0 * 1000)).startswith("held by alice@laptop (ops pause --hold) until 2027-01-15T10:")


def test_a_second_holder_is_refused_with_the_holds_words(table, clock):
    store = HoldStore(table, KEY, clock)
    store.take("alice@laptop", "DBA resizing redo", "ops pause --hold", 7200, standing=True)
    with pytest.raises(HoldRefused) as refused:
        store.take("pulumi stack main", "pulumi up (update)", "pulumi up (update)", 900, standing=False)
    message = str(refused.value)
    assert "held by alice@laptop (ops pause --hold) until 2027-01-15T10:00:00Z (120 min left): DBA resizing redo" in (
        message)
    assert "`ops release`" in message
    assert store.current().holder == "alice@laptop"


def test_the_same_holder_replaces_its_own_hold(table, clock):
    store = HoldStore(table, KEY, clock)
    store.take("alice@laptop", "first", "ops pause --hold", 600, standing=True)
    again = store.take("alice@laptop", "longer", "ops stop --hold", 3600, standing=True)
    assert store.current() == again


def test_a_hold_ends_by_itself_when_its_holder_never_comes_back(table, clock):
    store = HoldStore(table, KEY, clock)
    store.take("a-lambda", "pulumi up (update)", "pulumi up (update)", 960, standing=False)
    clock.now += 959
    assert store.current() is not None
    clock.now += 1
    assert store.current() is None
    # Expired is free: someone else takes it without anyone having released it.
    assert store.take("bob@desk", "restart", "ops restart", 60, standing=False).holder == "bob@desk"


def test_a_late_release_never_frees_a_newer_hold(table, clock):
    store = HoldStore(table, KEY, clock)
    old = store.take("a-lambda", "x", "pulumi up (update)", 60, standing=False)
    clock.now += 61
    newer = store.take("bob@desk", "y", "ops pause --hold", 600, standing=True)
    assert store.release(old) is False
    assert store.current() == newer
    assert store.release(newer) is True and store.current() is None


def test_held_gives_back_what_it_took_however_the_action_ends(table, clock):
    store = HoldStore(table, KEY, clock)
    with pytest.raises(RuntimeError), store.held("bob@desk", "restart", "ops restart", 120):
        assert store.current().holder == "bob@desk"
        raise RuntimeError("Connect said no")
    assert store.current() is None


def test_an_action_under_its_holders_standing_hold_leaves_it_in_place(table, clock):
    store = HoldStore(table, KEY, clock)
    standing = store.take("alice@laptop", "maintenance", "ops stop --hold", 3600, standing=True)
    with store.held("alice@laptop", "offsets", "ops offsets set", 120) as hold:
        assert hold == standing
    assert store.current() == standing
    with pytest.raises(HoldRefused), store.held("bob@desk", "restart", "ops restart", 120):
        pass


def test_release_any_ends_whatever_hold_there_is(table, clock):
    store = HoldStore(table, KEY, clock)
    assert store.release_any() is None
    taken = store.take("alice@laptop", "maintenance", "ops stop --hold", 3600, standing=True)
    assert store.release_any() == taken and store.current() is None


def test_an_item_without_a_readable_expiry_is_no_hold(table, clock):
    table.put_item(Item={"connectorId": KEY, "holder": "someone", "reason": "hand-written"})
    assert HoldStore(table, KEY, clock).current() is None
    assert Hold.from_item({"holder": "x"}).expires_at_ms == 0


@pytest.mark.parametrize(
    ("holder", "reason", "seconds", "says"),
    [
        ("", "r", 60, "`holder` must be printable text of 1 to 200"),
        ("x" * 201, "r", 60, "`holder` must be printable text"),
        ("alice", "  ", 60, "`reason` must be printable text of 1 to 500"),
        ("alice", "line\nbreak", 60, "`reason` must be printable"),
        ("alice", "r", 0, "from 1 second to 168 hours"),
        ("alice", "r", MAX_HOLD_SECONDS + 1, "from 1 second to 168 hours"),
        ("alice", "r", True, "from 1 second"),
        ("alice", "r", "2h", "from 1 second"),
    ],
)
def test_a_bad_hold_request_is_named_and_nothing_is_written(table, clock, holder, reason, seconds, says):
    store = HoldStore(table, KEY, clock)
    with pytest.raises(BadHold, match=says):
        store.take(holder, reason, "ops pause --hold", seconds, standing=True)
    assert table.get_item(Key={"connectorId": KEY}).get("Item") is None
