"""`make local STANDIN=1`'s settings and guards, and `devtools.local watch`'s lines (no servers start here; the
stand-in stack itself runs in tests/integration/test_local_standin.py)."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from devtools.local import cli
from devtools.local.settings import LocalSettings, LocalStackError, free_ports
from devtools.local.watch import describe
from devtools.standin import local
from devtools.standin.database import CDC_USER
from devtools.standin.server import SUPERUSER
from wms_connector.stages import Stage


def _settings(tmp_path: Path, **changes) -> LocalSettings:
    return LocalSettings.on_free_ports(tmp_path, Stage.parse("local"), **changes)


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [
        ({}, None, 5433),
        ({"WMS_LOCAL_STANDIN_PORT": "15432"}, None, 15432),
        ({"WMS_LOCAL_STANDIN_PORT": "15432"}, 25432, 25432),  # the flag wins
    ],
)
def test_the_stand_ins_port(env, flag, expected):
    assert local.standin_port(env, flag) == expected


@pytest.mark.parametrize(
    ("env", "flag", "named"),
    [
        ({"WMS_LOCAL_STANDIN_PORT": "postgres"}, None, "WMS_LOCAL_STANDIN_PORT = 'postgres'"),
        ({"WMS_LOCAL_STANDIN_PORT": "0"}, None, "WMS_LOCAL_STANDIN_PORT = '0'"),
        ({}, 70000, "--standin-port = '70000'"),
        ({}, -1, "--standin-port = '-1'"),
    ],
)
def test_a_bad_port_is_refused_naming_where_it_came_from(env, flag, named):
    with pytest.raises(LocalStackError) as refused:
        local.standin_port(env, flag)
    assert named in str(refused.value) and "1 to 65535" in str(refused.value)


def test_credentials_are_made_once_kept_private_and_found_again(tmp_path: Path):
    made = local.kept_credentials(tmp_path / "standin")
    path = tmp_path / "standin" / local.CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(made) == {SUPERUSER, CDC_USER} and made[SUPERUSER] != made[CDC_USER]
    assert local.kept_credentials(tmp_path / "standin") == made


def test_a_damaged_credentials_file_or_a_cluster_without_one_is_refused(tmp_path: Path):
    directory = tmp_path / "standin"
    directory.mkdir()
    (directory / local.CREDENTIALS_FILE).write_text("{not json")
    with pytest.raises(LocalStackError, match="is not the stand-in's credentials file; remove"):
        local.kept_credentials(directory)
    (directory / local.CREDENTIALS_FILE).unlink()
    (directory / "pgdata").mkdir()
    with pytest.raises(LocalStackError, match="has no credentials file; remove"):
        local.kept_credentials(directory)


def test_a_running_stack_keeps_the_database_it_was_started_with(tmp_path: Path):
    plain = _settings(tmp_path)
    plain.remember()
    local.check_same_database(plain, standin=False)
    with pytest.raises(LocalStackError, match="running with local.env's database; to use the stand-in, run `make "
                                              "local-down` first"):
        local.check_same_database(plain, standin=True)
    with_standin = _settings(tmp_path, standin_port=15433)
    with_standin.remember()
    assert json.loads(with_standin.state_file.read_text())["standin_port"] == 15433
    local.check_same_database(with_standin, standin=True)
    with pytest.raises(LocalStackError, match="running with the stand-in database; to use local.env's"):
        local.check_same_database(with_standin, standin=False)
    # Nothing remembered (no stack): nothing to disagree with.
    with_standin.forget()
    local.check_same_database(with_standin, standin=False)


def test_up_refuses_a_busy_stand_in_port_before_starting_anything(tmp_path: Path, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        code = cli.main(["up", "--standin", "--standin-port", str(busy), "--data-dir", str(tmp_path / "d"),
                         "--log-dir", str(tmp_path / "l")])
    assert code == 1
    err = capsys.readouterr().err
    assert f"Port {busy} (PostgreSQL stand-in)" in err and "WMS_LOCAL_STANDIN_PORT=<port>" in err
    assert not (tmp_path / "d" / "standin" / "pgdata").exists()


def test_insert_needs_an_id_and_a_running_stand_in(tmp_path: Path, capsys):
    base = ["--data-dir", str(tmp_path / "d"), "--log-dir", str(tmp_path / "l")]
    assert cli.main(["insert", *base]) == 1
    assert "insert needs --id N" in capsys.readouterr().err
    assert cli.main(["insert", "--id", "3", *base]) == 1
    assert "The stand-in database is not running: start it with `make local STANDIN=1`" in capsys.readouterr().err


def test_insert_and_watch_name_only_captured_tables(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["watch", "--table", "WMS.SOMETHING_ELSE", "--data-dir", str(tmp_path)])
    assert "invalid choice: 'WMS.SOMETHING_ELSE'" in capsys.readouterr().err


def _json(payload) -> bytes:
    return json.dumps({"schema": {}, "payload": payload}).encode()


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        (_json({"WVR_ID": 1}), _json({"op": "c", "before": None, "after": {"WVR_ID": 1, "QTY": 2}}),
         'insert     key={"WVR_ID": 1} row={"WVR_ID": 1, "QTY": 2}'),
        (_json({"WVR_ID": 1}), _json({"op": "d", "before": {"WVR_ID": 1, "QTY": 2}, "after": None}),
         'delete     key={"WVR_ID": 1} row={"WVR_ID": 1, "QTY": 2}'),
        (_json({"WVR_ID": 1}), _json({"op": "r", "before": None, "after": {"WVR_ID": 1}}),
         'read (snapshot) key={"WVR_ID": 1} row={"WVR_ID": 1}'),
        # Flat rows: the row itself with Debezium's __ fields, which the line leaves out.
        (_json({"WVR_ID": 1}), _json({"WVR_ID": 1, "QTY": 3, "__op": "u", "__deleted": "false"}),
         'update     key={"WVR_ID": 1} row={"WVR_ID": 1, "QTY": 3}'),
        (_json({"WVR_ID": 1}), None, 'tombstone  key={"WVR_ID": 1}'),
        (None, b"not json", "record     not json"),
    ],
)
def test_watch_shows_each_event_as_one_line(key, value, line):
    assert describe(key, value) == line


def test_watch_without_a_running_stack_says_to_start_it(tmp_path: Path, capsys):
    port = free_ports(1)[0]
    code = cli.main(["watch", "--broker-port", str(port), "--data-dir", str(tmp_path / "d"), "--timeout", "1"])
    assert code == 1
    assert f"No Kafka broker answers on 127.0.0.1:{port}: start the local stack (make local) first." in \
        capsys.readouterr().err
