"""The option sets whose Oracle connector configs tests/unit/golden/oracle_connector_configs.json holds: every
option that changes the config, alone and together, for a named and an ephemeral stage and both TLS settings.

Regenerate the golden file only for an intended change to the deployed config:
    python -m tests.unit.oracle_config_cases > tests/unit/golden/oracle_connector_configs.json
"""

from __future__ import annotations

import json
import sys

from wms_connector.connector.config import KafkaClientSettings, build_connector_config
from wms_connector.connector.options import ConnectorOptions
from wms_connector.stages import Stage

SALT = "golden-salt-0123456789"
OPTION_SETS = {
    "defaults": {},
    "flat": {"recordFormat": "flat"},
    "masked-and-hashed": {
        "maskColumns": ["WMS.PLAN_BASE_WVR_TBL.CREATED_BY"],
        "maskLength": 12,
        "hashColumns": ["MMDL.PLAN_WVR_RVSN_TBL.WVR_ID", "WMS.PLAN_WVR_RVSN_TBL.WVR_ID"],
        "hashAlgorithm": "SHA-512",
        "hashSalt": SALT,
    },
    "pdb-url-heartbeat": {
        "usePdb": True,
        "useJdbcUrl": True,
        "heartbeatTable": "WMS.DEBEZIUM_HEARTBEAT",
        "heartbeatIntervalMs": 15000,
    },
    "skip-unparsable-ddl": {"unparsableDdl": "skip"},
    "recovery-with-extras": {
        "snapshotMode": "recovery",
        "extraProperties": {"signal.data.collection": "WMSDB.WMS.DEBEZIUM_SIGNAL", "log.mining.query.filter.mode":
                            "regex", "database.query.timeout.ms": "600000"},
    },
}
KAFKA_SETTINGS = {
    "tls": KafkaClientSettings("b-1.bigmac.kafka.us-east-1.amazonaws.com:9094,b-2.bigmac:9094", "SSL", 3),
    "plaintext": KafkaClientSettings("127.0.0.1:9092", "PLAINTEXT", 1),
}
STAGES = ("production", "feature-x")


def cases() -> dict[str, dict[str, str]]:
    """`<stage>/<kafka>/<options>` -> the config, in the builder's key order."""
    return {
        f"{stage}/{kafka}/{name}": build_connector_config(
            Stage.parse(stage), ConnectorOptions.from_config(options), KAFKA_SETTINGS[kafka]
        )
        for stage in STAGES
        for kafka in KAFKA_SETTINGS
        for name, options in OPTION_SETS.items()
    }


if __name__ == "__main__":
    json.dump(cases(), sys.stdout, indent=1)
    sys.stdout.write("\n")
