"""Turn one run's signals into CloudWatch datums and publish them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from wms_connector.health.metric_names import COUNT, UNITS, MetricScope

# PutMetricData accepts up to 1000 datums per call; small batches keep each request well under the 1 MB limit.
BATCH_SIZE = 100


def build_datums(scope: MetricScope, values: Mapping[str, float], timestamp: datetime) -> list[dict[str, Any]]:
    return [
        {
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in scope.dimensions(name).items()],
            "Timestamp": timestamp,
            "Value": float(value),
            "Unit": UNITS.get(name, COUNT),
        }
        for name, value in sorted(values.items())
    ]


def publish(cloudwatch: Any, scope: MetricScope, values: Mapping[str, float], epoch_seconds: float) -> int:
    """Returns how many datums were sent."""
    datums = build_datums(scope, values, datetime.fromtimestamp(epoch_seconds, tz=UTC))
    for start in range(0, len(datums), BATCH_SIZE):
        cloudwatch.put_metric_data(Namespace=scope.namespace, MetricData=datums[start : start + BATCH_SIZE])
    return len(datums)
