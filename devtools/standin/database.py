"""The stand-in database's contents, as a DBA would provision them for one stage: the four captured tables under
their Oracle names (quoted upper case, so Debezium's table ids, topic names and column ids are the Oracle
connector's), the heartbeat and signalling tables, the CDC user with replication rights, and the stage's
publication.

Tables keep every column in the change events' `before` (REPLICA IDENTITY FULL), as Oracle's supplemental
logging of all columns does for the real tables.
"""

from __future__ import annotations

import secrets

from psycopg import sql

from devtools.standin.server import Credentials, StandinServer
from wms_connector.connector.source import HEARTBEAT_STAGE_COLUMN, HEARTBEAT_TIME_COLUMN
from wms_connector.stages import Stage
from wms_connector.topics import CAPTURED_TABLES

DATABASE = "wms"
CDC_USER = "wms_cdc"
HEARTBEAT_TABLE = "WMS.DEBEZIUM_HEARTBEAT"
SIGNAL_TABLE = "WMS.DEBEZIUM_SIGNAL"

# The stand-in tables' columns: a key, text a consumer reads, text masked or hashed by the redaction options, a
# number and a time. The real tables' columns are the DBA's; these carry every kind the pipeline treats apart.
COLUMNS = (
    ("WVR_ID", "bigint PRIMARY KEY"),
    ("PLAN_ID", "varchar(32) NOT NULL"),
    ("STATUS", "varchar(16) NOT NULL"),
    ("CREATED_BY", "varchar(64)"),
    ("APPROVER_EMAIL", "varchar(128)"),
    ("QTY", "integer"),
    ("UPDATED_AT", "timestamp(6) NOT NULL DEFAULT now()"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


def table_identifier(name: str) -> sql.Composed:
    """`SCHEMA.TABLE` as a quoted PostgreSQL identifier (upper case kept)."""
    schema, table = name.split(".")
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def captured_table_names() -> tuple[str, ...]:
    return tuple(f"{schema}.{table}" for schema, table in CAPTURED_TABLES)


def publication_name(stage: Stage) -> str:
    """The stage's publication (PostgreSQL's unquoted identifier rules: lower case, digits, `_`)."""
    return f"wms_{stage.name.replace('-', '_')}"[:63]


def slot_name(stage: Stage) -> str:
    """The stage's replication slot; Debezium allows [a-z0-9_]{1,63}."""
    return publication_name(stage)


def new_password() -> str:
    """A password found nowhere else, so a test can grep every log, record and answer for it."""
    return f"standin-{secrets.token_hex(12)}"


class StandinDatabase:
    """The `wms` database on a running stand-in server."""

    def __init__(self, server: StandinServer, cdc_password: str):
        self.server = server
        self.cdc = Credentials(CDC_USER, cdc_password)

    def connect(self):
        """The application's connection (the superuser, who owns the tables): autocommit."""
        return self.server.connect(DATABASE)

    def provision(self) -> None:
        """Create the database, the CDC user, the schemas and tables (idempotent)."""
        with self.server.connect("postgres") as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (CDC_USER,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            admin.execute(
                sql.SQL(verb + " ROLE {} LOGIN REPLICATION PASSWORD {}").format(
                    sql.Identifier(CDC_USER), sql.Literal(self.cdc.password)
                )
            )
        columns = sql.SQL(", ").join(sql.SQL("{} " + kind).format(sql.Identifier(name)) for name, kind in COLUMNS)
        with self.connect() as db:
            for schema in dict.fromkeys(name.split(".")[0] for name in (*captured_table_names(), HEARTBEAT_TABLE)):
                db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                db.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema),
                                                                          sql.Identifier(CDC_USER)))
            for name in captured_table_names():
                table = table_identifier(name)
                db.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table, columns))
                db.execute(sql.SQL("ALTER TABLE {} REPLICA IDENTITY FULL").format(table))
                db.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, sql.Identifier(CDC_USER)))
            heartbeat = table_identifier(HEARTBEAT_TABLE)
            db.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({} varchar(64) PRIMARY KEY, {} timestamptz NOT NULL)").format(
                    heartbeat, sql.Identifier(HEARTBEAT_STAGE_COLUMN), sql.Identifier(HEARTBEAT_TIME_COLUMN)
                )
            )
            # Debezium's signalling table shape (id, type, data).
            signal = table_identifier(SIGNAL_TABLE)
            db.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, "
                    "data varchar(2048))"
                ).format(signal)
            )
            for table, rights in ((heartbeat, "SELECT, INSERT, UPDATE"), (signal, "SELECT, INSERT, UPDATE, DELETE")):
                db.execute(sql.SQL("ALTER TABLE {} REPLICA IDENTITY FULL").format(table))
                db.execute(sql.SQL("GRANT " + rights + " ON {} TO {}").format(table, sql.Identifier(CDC_USER)))

    def provision_stage(self, stage: Stage) -> None:
        """The stage's publication of the captured, heartbeat and signalling tables (the connector creates none)."""
        name = publication_name(stage)
        tables = sql.SQL(", ").join(
            table_identifier(t) for t in (*captured_table_names(), HEARTBEAT_TABLE, SIGNAL_TABLE)
        )
        with self.connect() as db:
            if not db.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (name,)).fetchone():
                db.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(sql.Identifier(name), tables))

    def drop_stage(self, stage: Stage) -> None:
        """Drop the stage's replication slot (a slot nobody reads keeps WAL forever) and publication."""
        with self.connect() as db:
            slot = slot_name(stage)
            if db.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone():
                db.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
            db.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(publication_name(stage))))

    def slot_retained_wal_bytes(self, stage: Stage) -> int | None:
        """How much WAL the stage's slot holds back (what a stopped connector needs kept), or None without one."""
        with self.connect() as db:
            row = db.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots "
                "WHERE slot_name = %s",
                (slot_name(stage),),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])
