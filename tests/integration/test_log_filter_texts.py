"""The worker-log filters that warn of silent or coming loss rest on what the pinned Debezium really does: every
quoted term of their patterns is loaded by a method of the pinned plugin that either logs it at a level the
worker's log configuration writes, or puts it in an exception (which Connect logs with the task's failure), on a
path the stack's connector reaches. A text found only at DEBUG, or only on a path the stack never takes, fails.
The classes are read with javap (tests/debezium_bytecode.py)."""

from __future__ import annotations

import re

import pytest

from components.log_filters import LOG_FILTERS
from devtools.connect_jars import CONNECT_IMAGE_DIR, LOCAL_PROFILES, Manifest, resolve
from tests.debezium_bytecode import Site, effective_level, text_sites, written_at
from tests.unit.oracle_config_cases import cases
from wms_connector.connector.managed_keys import is_managed_key

pytestmark = pytest.mark.integration

DEBEZIUM_FILTERS = (
    "SupplementalLoggingMissing", "ArchiveLogsGone", "AbandonedTransactions", "UnparsableDdl", "RetriedErrors",
    "UnrequestedSnapshot",
)
# Methods the stack's connector never runs, and why (their keys are managed: stack config cannot turn them on).
UNREACHED = {
    ("io.debezium.connector.oracle.logminer.AbstractLogMinerStreamingChangeEventSource",
     "waitForRangeAvailabilityInArchiveLogs"): "archive.log.only.mode",
}
LOG_CONFIG = (CONNECT_IMAGE_DIR / "log4j2.properties").read_text()


@pytest.fixture(scope="module")
def debezium_jars():
    manifest = Manifest()
    plugin = resolve(LOCAL_PROFILES, manifest=manifest) / "plugins" / "debezium-connector-oracle"
    jars = sorted(plugin.glob("debezium-*.jar"))
    assert any(j.name.startswith("debezium-connector-oracle-") for j in jars)
    return jars


def reaches_the_log(site: Site) -> bool:
    """An exception (Connect logs it with the task's failure at ERROR), or a log call the worker writes, on a path
    the stack's connector reaches."""
    if (site.class_name, site.method) in UNREACHED:
        return False
    if site.exception:
        return True
    logger = site.class_name.split("$")[0]
    return site.level is not None and written_at(site.level, effective_level(LOG_CONFIG, logger))


def terms_of(metric: str) -> list[str]:
    [log_filter] = [f for f in LOG_FILTERS if f.metric == metric]
    return re.findall(r'"([^"]+)"', log_filter.pattern)


@pytest.mark.parametrize("metric", DEBEZIUM_FILTERS)
def test_every_term_is_written_on_a_path_the_stack_reaches(debezium_jars, metric):
    for term in terms_of(metric):
        sites = text_sites(debezium_jars, term)
        assert sites, f"{metric}: {term!r} is not in the pinned Debezium plugin"
        assert any(reaches_the_log(s) for s in sites), f"{metric}: {term!r} never reaches the worker's log: {sites}"


def test_the_restart_check_is_a_warning_then_the_tasks_failure(debezium_jars):
    # What a restart after the archive logs aged out writes (BaseSourceTask.validateSchemaHistory).
    [warning] = text_sites(debezium_jars, "Last recorded offset is no longer available on the server.")
    assert (warning.method, warning.level) == ("validateSchemaHistory", "warn")
    [failure] = text_sites(debezium_jars, "but this is no longer available on the server")
    assert (failure.method, failure.exception) == ("validateSchemaHistory", "io.debezium.DebeziumException")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        # Logged at DEBUG on a recoverable path: the worker never writes it.
        ("A mined log is no longer available", "log:debug"),
        # Archive-log-only mode, which the stack never runs.
        ("Could not find the start SCN", "waitForRangeAvailabilityInArchiveLogs"),
    ],
)
def test_the_check_refuses_a_debug_text_and_an_unreached_path(debezium_jars, text, why):
    sites = text_sites(debezium_jars, text)
    assert sites and not any(reaches_the_log(s) for s in sites)
    assert any(why in (s.carrier, s.method) for s in sites)
    assert not any(text in term for metric in DEBEZIUM_FILTERS for term in terms_of(metric))


def test_the_paths_the_filters_rest_on_cannot_be_switched_off_from_stack_config():
    for key in ("archive.log.only.mode", "internal.log.position.check.enable"):
        assert is_managed_key(key), key
    for config in cases().values():
        assert "archive.log.only.mode" not in config and "internal.log.position.check.enable" not in config


def test_the_level_rule_reads_the_workers_log_configuration():
    assert effective_level(LOG_CONFIG, "io.debezium.connector.oracle.Foo") == "info"
    assert effective_level(LOG_CONFIG, "org.eclipse.jetty.server.Server") == "warn"
    assert written_at("warn", "info") and written_at("error", "warn")
    assert not written_at("debug", "info") and not written_at("info", "warn")
