"""The health check's policy defaults: the restart budget and how long a connector may stay neither RUNNING nor
FAILED. The stage settings take their defaults from here and the health Lambda falls back to them, so the two
cannot drift apart.
"""

from __future__ import annotations

# At most this many automatic restarts in any rolling window of this many minutes.
DEFAULT_RESTART_LIMIT = 3
DEFAULT_RESTART_WINDOW_MINUTES = 60
# The health runners' clocks may disagree by up to this much: a restart counts toward the window for this much
# longer, so a runner whose clock is ahead never drops another's restart from the window early (the budget holds).
CLOCK_SKEW_ALLOWANCE_MINUTES = 10
# After a restart that did not help, the next waits this long, doubling with each further one, up to the cap.
RESTART_BACKOFF_MINUTES = 5
RESTART_BACKOFF_MAX_MINUTES = 30
# Runs in a row a connector may spend UNASSIGNED, RESTARTING, PAUSED or STOPPED (a rebalance, a deploy) before
# ConnectorNotRunning fires; FAILED is reported at once.
DEFAULT_NOT_RUNNING_RUNS = 3
# Health-check periods in a row with Debezium not streaming before SourceDisconnected fires.
DEFAULT_DISCONNECTED_PERIODS = 2
# The database's clock may be this far off the workers' before DatabaseClockSkew fires: freshness does not rest on
# it, but consumers reading source.ts_ms and Debezium's own lag figures do.
DATABASE_CLOCK_SKEW_ALARM_MS = 300_000
# How long the database keeps archive logs, until the stage says (the DBA's retention).
DEFAULT_ARCHIVE_LOG_RETENTION_HOURS = 24
