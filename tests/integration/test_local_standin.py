"""`make local STANDIN=1` as a person uses it: the stand-in database, the local Kafka + Connect and the stand-in
connector come up; a row written with `devtools.local insert` arrives as a change event `devtools.local watch`
shows; a plain `make local` on that stack is refused; `make local-down` stops everything, the database too."""

from __future__ import annotations

import contextlib
import io

import pytest

from devtools.local import cli
from devtools.local.settings import LocalSettings, free_ports
from devtools.standin.local import kept_credentials, local_pipeline, standin_dir, up_standin
from wms_connector.stages import Stage

pytestmark = pytest.mark.integration


def test_make_local_with_the_stand_in_shows_real_events_and_stops_everything(tmp_path, capsys):
    settings = LocalSettings.on_free_ports(tmp_path, Stage.parse("local"))
    port = free_ports(1)[0]
    dirs = ["--data-dir", str(settings.data_dir), "--log-dir", str(settings.log_dir)]
    out = io.StringIO()
    try:
        pipeline = up_standin(settings, port, out)
        shown = out.getvalue()
        assert f"Stand-in database : postgresql://127.0.0.1:{port}/wms" in shown
        assert "registered and running" in shown
        passwords = kept_credentials(standin_dir(settings)).values()
        assert not [p for p in passwords if p in shown]

        # The commands find the stack (and the stand-in's port) from what it remembered.
        assert cli.main(["insert", "--id", "5", *dirs]) == 0
        assert cli.main(["insert", "--id", "5", *dirs]) == 0  # again: an update
        capsys.readouterr()
        assert cli.main(["watch", "--from-beginning", "--count", "2", "--timeout", "90", *dirs]) == 0
        lines = capsys.readouterr().out.splitlines()
        events = [line for line in lines if 'key={"WVR_ID": 5}' in line]
        assert len(events) == 2, lines
        assert events[0].split()[0] in ("insert", "read") and events[1].startswith("update")
        assert '"CREATED_BY": "user-5"' in events[0]

        # A second `make local STANDIN=1` reuses the stack; a plain `make local` is told to stop it first.
        again = io.StringIO()
        up_standin(settings, port, again)
        assert "already running" in again.getvalue()
        assert cli.main(["up", *dirs]) == 1
        assert "running with the stand-in database" in capsys.readouterr().err
    finally:
        with contextlib.redirect_stdout(io.StringIO()) as stopped:
            code = cli.main(["down", *dirs])
    assert code == 0 and "The stand-in database too." in stopped.getvalue()
    pipeline = local_pipeline(settings, port)
    assert not pipeline.server.process.running()
    assert not pipeline.stack.broker.running() and not pipeline.stack.worker.running()
    pipeline.server.discard()
