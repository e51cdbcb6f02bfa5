"""Whether an update is in effect: task starts read from Connect's status topic records (wms_connector/task_starts.py),
and the reconciler's wait for them (the real status topic: tests/integration/test_real_events.py)."""

from __future__ import annotations

import json
import time

import pytest

from wms_connector.admin.errors import StateTimeout
from wms_connector.admin.reconciler import Reconciler
from wms_connector.connect_status import ConnectorStatus, TaskStatus
from wms_connector.stages import Stage
from wms_connector.task_starts import started_tasks, task_status_key


def _record(connector: str, task: int, state: str) -> tuple[bytes, bytes]:
    value = {"state": state, "trace": None, "worker_id": "w:8083", "generation": 7}
    return task_status_key(connector, task), json.dumps(value).encode()


@pytest.mark.parametrize(
    ("records", "started"),
    [
        ([_record("wms-oracle-cdc", 0, "RUNNING")], {0}),
        ([_record("wms-oracle-cdc", 0, "FAILED")], {0}),  # a start that failed is still a start with the config
        ([_record("wms-oracle-cdc", 0, "UNASSIGNED")], set()),  # what a stopping task reports
        ([_record("wms-oracle-cdc", 0, "UNASSIGNED"), _record("wms-oracle-cdc", 1, "RUNNING")], {1}),
        # Another connector's tasks, even one whose name starts like this one's, and the connector's own status.
        ([_record("wms-oracle-cdc-old", 0, "RUNNING"), _record("wms-oracle", 0, "RUNNING")], set()),
        ([(b"status-connector-wms-oracle-cdc", b'{"state": "RUNNING"}')], set()),
        # Tombstones and records that are not JSON objects.
        ([(task_status_key("wms-oracle-cdc", 0), None), (task_status_key("wms-oracle-cdc", 0), b"[1]"),
          (task_status_key("wms-oracle-cdc", 0), b"not json"), (None, b"{}")], set()),
    ],
)
def test_started_tasks(records, started):
    assert started_tasks(records, "wms-oracle-cdc") == started


class _Connect:
    def __init__(self, statuses):
        self.statuses = list(statuses)

    def status(self, name):
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


class _Starts:
    def __init__(self, answers):
        self.answers = list(answers)
        self.asked = 0

    def started_since(self, mark, connector):
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _status(*task_ids):
    return ConnectorStatus(name="c", state="RUNNING", worker_id="w", trace=None,
                           tasks=tuple(TaskStatus(id=i, state="RUNNING") for i in task_ids))


def test_the_update_verdict_waits_until_every_task_started_again():
    starts = _Starts([set(), set(), {0}])
    reconciler = Reconciler(connect=_Connect([_status(0)]), stage=Stage.parse("main"), poll_interval=0.01,
                            task_starts=starts)
    reconciler._wait_for_tasks_restarted("c", {0: 10}, time.monotonic() + 5)
    assert starts.asked == 3


def test_tasks_that_never_start_again_end_in_a_timeout_that_says_so():
    reconciler = Reconciler(connect=_Connect([_status(0, 1)]), stage=Stage.parse("main"), poll_interval=0.01,
                            task_starts=_Starts([{0}]))
    with pytest.raises(StateTimeout, match="the new config was applied but its tasks did not restart with it"):
        reconciler._wait_for_tasks_restarted("c", {0: 10}, time.monotonic() + 0.1)


def test_a_failed_connector_or_task_is_left_to_set_state_which_restarts_it():
    failed_task = ConnectorStatus(name="c", state="RUNNING", worker_id="w", trace=None,
                                  tasks=(TaskStatus(id=0, state="FAILED"),))
    failed = ConnectorStatus(name="c", state="FAILED", worker_id="w", trace="boom", tasks=())
    for status in (failed_task, failed, None):
        starts = _Starts([set()])
        reconciler = Reconciler(connect=_Connect([status]), stage=Stage.parse("main"), poll_interval=0.01,
                                task_starts=starts)
        reconciler._wait_for_tasks_restarted("c", {0: 10}, time.monotonic() + 5)
        assert starts.asked == 0
