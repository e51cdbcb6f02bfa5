"""How this project's Kafka clients reach the brokers: the one list of security protocols and the bounds that the
stack, the Lambdas, the connector config and the local stack all check against.

The worker image cannot import this package; `connect-image/entrypoint.py` keeps its own copy of the protocols and
a test holds the two equal.
"""

from __future__ import annotations

# MSK's TLS listener, unauthenticated: the workers, the connector's own clients and the Lambdas use it.
MSK_SECURITY_PROTOCOL = "SSL"
# The local stack's single broker.
LOCAL_SECURITY_PROTOCOL = "PLAINTEXT"
SECURITY_PROTOCOLS = (MSK_SECURITY_PROTOCOL, LOCAL_SECURITY_PROTOCOL)

# Replication of the topics Connect and Debezium create: 1 on a single local broker, 3 on MSK.
MIN_REPLICATION_FACTOR = 1
MAX_REPLICATION_FACTOR = 5
LOCAL_REPLICATION_FACTOR = 1


# The Kafka protocol version kafka-python clients announce instead of probing the broker for it (the probe costs
# about 100 ms per new client, which the health Lambda pays on every run). Every broker this project talks to
# speaks it: MSK 3.8 and the local 3.9.
CLIENT_API_VERSION = (2, 6)


def is_security_protocol(value: object) -> bool:
    return value in SECURITY_PROTOCOLS


def is_replication_factor(value: object) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and MIN_REPLICATION_FACTOR <= value <= MAX_REPLICATION_FACTOR
    )


def is_bootstrap_servers(value: object) -> bool:
    """`host:port[,host:port…]` without spaces (the shape, not reachability)."""
    return isinstance(value, str) and bool(value) and not any(c.isspace() for c in value)
