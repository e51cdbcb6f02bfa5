"""A DynamoDB table whose eventually consistent reads lag one write behind, as DynamoDB allows.

DynamoDB answers a `GetItem` without `ConsistentRead=True` from any replica, and "the response might not reflect the
results of a recently completed write operation" (DynamoDB developer guide, Read consistency). moto always answers
with the latest item, so a reader that forgets to ask for a strongly consistent read passes against it. This double
wraps a moto Table resource and answers such a read with the item as it was before its latest write (the worst
case the guide allows); strongly consistent reads and every write go to moto unchanged, in moto's own shapes.
"""

from __future__ import annotations

from typing import Any

_UNSEEN = object()


class EventualReadsTable:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._before_last_write: dict[str, Any] = {}  # connectorId -> item (None: absent) before its latest write

    def __getattr__(self, name: str) -> Any:  # name, scans and anything else: moto's table
        return getattr(self._table, name)

    def _write(self, key: dict[str, Any], write: Any, **kwargs: Any) -> dict[str, Any]:
        before = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        result = write(**kwargs)  # a failed condition raises: nothing was written, nothing lags
        self._before_last_write[key["connectorId"]] = before
        return result

    def get_item(self, *, Key: dict[str, Any], ConsistentRead: bool = False, **kwargs: Any) -> dict[str, Any]:
        if ConsistentRead:
            return self._table.get_item(Key=Key, ConsistentRead=True, **kwargs)
        stale = self._before_last_write.get(Key["connectorId"], _UNSEEN)
        if stale is _UNSEEN:
            return self._table.get_item(Key=Key, **kwargs)
        return {"Item": stale} if stale is not None else {}

    def put_item(self, *, Item: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._write({"connectorId": Item["connectorId"]}, self._table.put_item, Item=Item, **kwargs)

    def update_item(self, *, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._write(Key, self._table.update_item, Key=Key, **kwargs)

    def delete_item(self, *, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._write(Key, self._table.delete_item, Key=Key, **kwargs)
