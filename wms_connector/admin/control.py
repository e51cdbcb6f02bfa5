"""What the admin keeps in the health table beside the connector: the hold (wms_connector/holds.py) and the
declared connector the health run reconciles towards (wms_connector/health/reconcile.py).

The declared connector is written here, by the same admin call that changes the connector, and before it: a health
run never repairs towards a state that is being replaced. If the change then fails, the previous declaration is
put back, so declared and live agree again on the next run. On delete the declaration goes first, so no run
re-registers a connector that is being removed. Both happen under the call's hold.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wms_connector.health.reconcile import Declared, declared_key, load_declared
from wms_connector.holds import Clock, HoldStore, hold_key


@dataclass
class Control:
    table: Any  # boto3 DynamoDB Table resource: the stage's health table
    stage: str
    connector: str
    clock: Clock = time.time

    @property
    def holds(self) -> HoldStore:
        return HoldStore(self.table, hold_key(self.stage, self.connector), self.clock)

    @property
    def _declared_key(self) -> str:
        return declared_key(self.stage, self.connector)

    def declared(self) -> Declared | None:
        return load_declared(self.table, self._declared_key)

    def _put(self, declared: Declared | None) -> None:
        if declared is None:
            self.table.delete_item(Key={"connectorId": self._declared_key})
        else:
            self.table.put_item(Item=declared.to_item(self._declared_key))

    @contextmanager
    def declaring(self, declared: Declared | None) -> Iterator[None]:
        """`declared` (None: no connector) is what the health run reconciles towards from now on; if the change
        made inside fails, the previous declaration is put back."""
        try:
            previous = self.declared()
        except ValueError:  # an unreadable item is replaced, never restored
            previous = None
        self._put(declared)
        try:
            yield
        except BaseException:
            self._put(previous)
            raise
