"""SCN lag and the catch-up estimate (wms_connector/health/catch_up.py), run after run with an injected clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from wms_connector.health.catch_up import CATCH_UP_LAG_MS, ScnSample, catch_up

T0 = 1_800_000_000_000
MINUTE = 60_000
BEHIND = 2 * 3_600_000  # LagFromSource of a capture two hours behind


def test_the_scn_lag_is_current_minus_offset_and_a_current_capture_gets_no_estimate():
    found = catch_up(offset_scn=9_900, current_scn=10_000, lag_from_source_ms=2_000, now_ms=T0, previous=None)
    assert (found.scn_lag, found.behind, found.eta_ms) == (100, False, None)
    assert found.sample == ScnSample(T0, 9_900, 10_000)
    assert found.summary == "current (100 SCNs behind the database)"


def test_a_closing_lag_estimates_when_capture_will_have_caught_up():
    first = catch_up(offset_scn=1_000, current_scn=61_000, lag_from_source_ms=BEHIND, now_ms=T0, previous=None)
    assert first.behind and first.eta_ms is None and "the next check estimates" in first.summary  # no pace yet
    # Ten minutes on: the database moved 5 000 on, the offset 15 000: the lag closed by 10 000 in 10 min.
    second = catch_up(offset_scn=16_000, current_scn=66_000, lag_from_source_ms=BEHIND, now_ms=T0 + 10 * MINUTE,
                      previous=first.sample)
    assert second.scn_lag == 50_000
    assert second.eta_ms == pytest.approx(50 * MINUTE)
    assert second.summary == "50000 SCNs behind the database; caught up in about 50 min"


@pytest.mark.parametrize(("offset_moves", "current_moves"), [(0, 5_000), (5_000, 5_000), (1_000, 9_000)])
def test_a_lag_that_does_not_close_has_no_estimate(offset_moves, current_moves):
    first = catch_up(offset_scn=1_000, current_scn=61_000, lag_from_source_ms=BEHIND, now_ms=T0, previous=None)
    second = catch_up(offset_scn=1_000 + offset_moves, current_scn=61_000 + current_moves,
                      lag_from_source_ms=BEHIND, now_ms=T0 + MINUTE, previous=first.sample)
    assert second.behind and second.eta_ms is None
    assert "not closing" in second.summary


def test_behind_means_lag_from_source_over_the_threshold():
    at = catch_up(offset_scn=1, current_scn=2, lag_from_source_ms=CATCH_UP_LAG_MS, now_ms=T0, previous=None)
    over = catch_up(offset_scn=1, current_scn=2, lag_from_source_ms=CATCH_UP_LAG_MS + 1, now_ms=T0, previous=None)
    assert (at.behind, over.behind) == (False, True)


@pytest.mark.parametrize(("offset", "current"), [(None, 10), (10, None), (0, 10), (10, 0)])
def test_no_scns_means_unknown_and_the_last_sample_is_kept(offset, current):
    kept = ScnSample(T0, 1, 2)
    found = catch_up(offset_scn=offset, current_scn=current, lag_from_source_ms=None, now_ms=T0 + MINUTE,
                     previous=kept)
    assert found.scn_lag is None and found.sample == kept and found.summary.startswith("unknown")


def test_the_runbook_states_the_threshold_the_code_uses():
    text = " ".join((Path(__file__).parents[2] / "docs" / "operations.md").read_text().split())
    assert CATCH_UP_LAG_MS == 60_000 and "while capture is more than a minute behind the database" in text


def test_the_smallest_scns_count_and_an_offset_at_the_database_is_no_lag():
    found = catch_up(offset_scn=1, current_scn=1, lag_from_source_ms=None, now_ms=T0, previous=None)
    assert (found.scn_lag, found.behind, found.sample) == (0, False, ScnSample(T0, 1, 1))
    assert found.summary == "current (0 SCNs behind the database)"


def test_a_lag_that_stays_at_zero_is_not_closing():
    # LagFromSource says behind (an old change just processed) while the offset is at the database's SCN.
    first = catch_up(offset_scn=5_000, current_scn=5_000, lag_from_source_ms=BEHIND, now_ms=T0, previous=None)
    second = catch_up(offset_scn=6_000, current_scn=6_000, lag_from_source_ms=BEHIND, now_ms=T0 + MINUTE,
                      previous=first.sample)
    assert (second.scn_lag, second.paced, second.eta_ms) == (0, True, None)
    assert second.summary == "0 SCNs behind the database and not closing since the last check"


def test_two_runs_at_the_same_instant_give_no_pace():
    first = catch_up(offset_scn=1_000, current_scn=61_000, lag_from_source_ms=BEHIND, now_ms=T0, previous=None)
    again = catch_up(offset_scn=2_000, current_scn=61_000, lag_from_source_ms=BEHIND, now_ms=T0, previous=first.sample)
    assert (again.scn_lag, again.paced, again.eta_ms) == (59_000, False, None)
    assert again.summary == "59000 SCNs behind the database; the next check estimates when it catches up"
