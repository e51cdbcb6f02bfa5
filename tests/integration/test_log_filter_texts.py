"""The worker-log filters that warn of silent or coming loss match Debezium's own texts: every quoted term of their
patterns is found in the pinned Debezium Oracle plugin's classes (where its log and exception messages live), so a
filter can never wait for a message that this version of Debezium does not write."""

from __future__ import annotations

import re
import zipfile

import pytest

from components.alarms import LOG_FILTERS
from devtools.connect_jars import LOCAL_PROFILES, Manifest, resolve

pytestmark = pytest.mark.integration

DEBEZIUM_FILTERS = ("SupplementalLoggingMissing", "ArchiveLogsGone")


@pytest.fixture(scope="module")
def debezium_class_bytes() -> bytes:
    manifest = Manifest()
    plugin = resolve(LOCAL_PROFILES, manifest=manifest) / "plugins" / "debezium-connector-oracle"
    jar = plugin / f"debezium-connector-oracle-{manifest.debezium_version}.jar"
    with zipfile.ZipFile(jar) as archive:
        return b"\n".join(archive.read(n) for n in archive.namelist() if n.endswith(".class"))


@pytest.mark.parametrize("metric", DEBEZIUM_FILTERS)
def test_every_term_is_a_text_the_pinned_debezium_writes(debezium_class_bytes, metric):
    [log_filter] = [f for f in LOG_FILTERS if f.metric == metric]
    terms = re.findall(r'"([^"]+)"', log_filter.pattern)
    assert terms
    for term in terms:
        assert term.encode() in debezium_class_bytes, f"{metric}: {term!r} is not in the pinned Debezium plugin"


def test_the_check_would_notice_a_text_debezium_does_not_write(debezium_class_bytes):
    assert b"Archive logs have gone fishing" not in debezium_class_bytes
