"""The local stack's settings, env file and port checks (no servers are started here)."""

from __future__ import annotations

import re
import socket
import sys
import uuid
from pathlib import Path

import pytest

from devtools.local import broker, cli, processes
from devtools.local import settings as local_settings
from devtools.local import stack as stack_module
from devtools.local.settings import LocalSettings, LocalStackError, PortInUseError
from devtools.local.stack import LocalStack
from wms_connector.stages import Stage


@pytest.fixture
def listening_port():
    """A loopback port with a listener on it (what another engineer's broker would look like)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use_names_the_port_and_the_setting_that_moves_it(listening_port: int):
    with pytest.raises(PortInUseError) as error:
        processes.check_ports_free({"connect": local_settings.free_ports(1)[0], "broker": listening_port})
    message = str(error.value)
    assert f"Port {listening_port} (Kafka broker) on 127.0.0.1 is already in use" in message
    assert "WMS_LOCAL_BROKER_PORT=<port>" in message and "--broker-port <port>" in message


def test_start_refuses_a_busy_port_at_once_without_starting_anything(
    tmp_path: Path, listening_port: int, monkeypatch
):
    # "At once": the ports are checked before the slow steps (the Java check, finding or downloading the jars,
    # starting the broker and the worker), and none of those runs.
    def not_reached(*args: object, **kwargs: object) -> None:
        raise AssertionError("a start step ran before the busy port was refused")

    monkeypatch.setattr(stack_module, "check_java", not_reached)
    monkeypatch.setattr(stack_module, "resolve", not_reached)
    monkeypatch.setattr(LocalStack, "start_broker", not_reached)
    monkeypatch.setattr(LocalStack, "start_worker", not_reached)
    settings = LocalSettings.on_free_ports(tmp_path, Stage.parse("it"))
    settings = LocalSettings(**{**settings.__dict__, "ports": {**settings.ports, "jmx": listening_port}})
    stack = LocalStack(settings)  # no jars given: resolving them would be a slow step
    with pytest.raises(PortInUseError, match=f"Port {listening_port} \\(JMX exporter\\).*WMS_LOCAL_JMX_PORT"):
        stack.start()
    assert not stack.broker.running() and not stack.worker.running()
    assert not stack.broker.pid_file.exists()


def test_main_prints_the_port_message_and_exits_1(tmp_path: Path, listening_port: int, capsys):
    code = cli.main(
        ["up", "--connect-port", str(listening_port), "--data-dir", str(tmp_path / "d"), "--log-dir", str(tmp_path)]
    )
    assert code == 1
    assert f"Port {listening_port} (Kafka Connect REST)" in capsys.readouterr().err


def test_free_ports_are_distinct_and_free():
    ports = local_settings.free_ports(4)
    assert len(set(ports)) == 4
    processes.check_ports_free(dict(zip(local_settings.PORTS, ports, strict=True)))


# ---------------------------------------------------------------- settings


def test_defaults_are_the_standard_ports_and_repo_local_dirs(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(local_settings, "read_remembered", lambda data_dir: {})  # a stack running here is not asked
    settings = LocalSettings.from_environment({local_settings.ENV_FILE_ENV: str(_env_file(tmp_path, ""))})
    assert settings.ports == {"broker": 9092, "controller": 9093, "connect": 8083, "jmx": 9404}
    assert settings.data_dir == local_settings.REPO_ROOT / ".local" / "data"
    assert settings.log_dir == local_settings.REPO_ROOT / ".local" / "logs"
    assert settings.stage == Stage.parse("local")


def test_environment_overrides_defaults_and_flags_override_environment(tmp_path: Path):
    env = {
        "WMS_LOCAL_BROKER_PORT": "29092",
        "WMS_LOCAL_CONNECT_PORT": "28083",
        "WMS_LOCAL_DATA_DIR": str(tmp_path / "env-data"),
        "WMS_LOCAL_LOG_DIR": str(tmp_path / "env-logs"),
        local_settings.ENV_FILE_ENV: str(_env_file(tmp_path, "")),
    }
    settings = LocalSettings.from_environment(env, {"connect": 38083, "log_dir": str(tmp_path / "flag-logs")})
    assert settings.ports["broker"] == 29092
    assert settings.ports["connect"] == 38083
    assert settings.ports["jmx"] == 9404
    assert settings.data_dir == tmp_path / "env-data"
    assert settings.log_dir == tmp_path / "flag-logs"


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1"])
def test_bad_port_setting_is_named(value: str):
    with pytest.raises(LocalStackError, match=f"WMS_LOCAL_JMX_PORT='{value}' is not a port"):
        LocalSettings.from_environment({"WMS_LOCAL_JMX_PORT": value})


# ---------------------------------------------------------------- env file


def _env_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.env"
    path.write_text(text)
    return path


def test_env_file_gives_the_worker_its_database_variables(tmp_path: Path):
    path = _env_file(tmp_path, '# comment\n\nDB_HOST=db.local\nexport DB_PORT=1521\nDB_PASSWORD="p w"\n')
    assert local_settings.read_env_file(path) == {"DB_HOST": "db.local", "DB_PORT": "1521", "DB_PASSWORD": "p w"}


def test_missing_default_env_file_is_fine_but_an_explicit_one_is_not(tmp_path: Path):
    assert local_settings.read_env_file(tmp_path / "absent.env") == {}
    with pytest.raises(LocalStackError, match="absent.env does not exist"):
        LocalSettings.from_environment({}, {"env_file": str(tmp_path / "absent.env")})


def test_env_file_refuses_other_variables_naming_key_and_line(tmp_path: Path):
    path = _env_file(tmp_path, "DB_HOST=h\nCONNECT_BOOTSTRAP_SERVERS=x:1\n")
    with pytest.raises(LocalStackError, match=r"local.env:2: CONNECT_BOOTSTRAP_SERVERS is not allowed here"):
        local_settings.read_env_file(path)


def test_env_file_malformed_line_is_reported_without_its_content(tmp_path: Path):
    path = _env_file(tmp_path, "hunter2-password-line\n")
    with pytest.raises(LocalStackError, match="local.env:1: expected KEY=VALUE") as error:
        local_settings.read_env_file(path)
    assert "hunter2" not in str(error.value)


def test_example_env_file_is_valid_and_lists_every_database_key():
    example = local_settings.REPO_ROOT / "local.env.example"
    keys = {line.split("=", 1)[0].removeprefix("# ") for line in example.read_text().splitlines() if "=" in line}
    assert set(local_settings.ENV_FILE_VARIABLES) <= keys
    local_settings.read_env_file(example)


# ---------------------------------------------------------------- worker environment


def test_worker_environment_uses_the_stage_names_and_ignores_the_callers_shell(tmp_path: Path):
    settings = LocalSettings.on_free_ports(tmp_path, Stage.parse("it"), database_env={"DB_HOST": "127.0.0.1"})
    stack = LocalStack(settings, jars_dir=tmp_path / "jars")
    shell = {"PATH": "/usr/bin", "CONNECT_GROUP_ID": "leaked", "DB_PASSWORD": "leaked", "DB_INFO": "{}"}
    env = stack.worker_environment(shell)
    assert env["PATH"] == "/usr/bin"
    assert env["CONNECT_GROUP_ID"] == "it.mgmt.connect.wms-connector-it"
    assert env["CONNECT_CONFIG_STORAGE_TOPIC"] == "it.mgmt.connect.wms-connector-it.config"
    assert env["CONNECT_SECURITY_PROTOCOL"] == "PLAINTEXT" and env["CONNECT_REPLICATION_FACTOR"] == "1"
    assert env["CONNECT_BOOTSTRAP_SERVERS"] == stack.bootstrap_servers
    assert env["DB_HOST"] == "127.0.0.1"
    assert "DB_PASSWORD" not in env and "DB_INFO" not in env


def test_down_with_nothing_running_says_so_and_needs_no_database_settings(tmp_path: Path, capsys, monkeypatch):
    # A malformed local.env stands in the way of nothing that needs no database: down, status.
    monkeypatch.setenv(local_settings.ENV_FILE_ENV, str(_env_file(tmp_path, "DB_HOST\n")))
    dirs = ["--data-dir", str(tmp_path / "d"), "--log-dir", str(tmp_path / "l")]
    assert cli.main(["down", *dirs]) == 0
    assert capsys.readouterr().out.strip() == "Nothing of the local stack was running."
    assert cli.main(["status", *dirs]) == 0
    assert '"running": false' in capsys.readouterr().out
    # `up` needs them, and says which line is wrong.
    assert cli.main(["up", *dirs]) == 1
    assert "local.env:1: expected KEY=VALUE" in capsys.readouterr().err


def test_a_running_stack_asked_for_other_ports_is_refused_at_once(tmp_path: Path):
    ports = {"broker": 19092, "controller": 19093, "connect": 18083, "jmx": 19404}
    LocalSettings(ports=ports, data_dir=tmp_path / "data", log_dir=tmp_path / "logs").remember()
    asked = LocalSettings(ports={**ports, "connect": 28083}, data_dir=tmp_path / "data", log_dir=tmp_path / "logs")
    with pytest.raises(LocalStackError) as error:
        cli._check_same_ports(asked)
    assert "Kafka Connect REST 18083 (asked 28083)" in str(error.value) and "make local-down" in str(error.value)
    cli._check_same_ports(LocalSettings(ports=ports, data_dir=tmp_path / "data", log_dir=tmp_path / "logs"))


def test_cluster_id_never_starts_with_a_dash(monkeypatch):
    # uuid bytes whose base64url form starts with '-' (0xF8 → '-'), then ordinary ones.
    dash_first = uuid.UUID(bytes=bytes([0xF8]) + bytes(15))
    ordinary = uuid.UUID(bytes=bytes(16))
    draws = iter([dash_first, dash_first, ordinary])
    monkeypatch.setattr(broker.uuid, "uuid4", lambda: next(draws))
    cluster_id = broker.new_cluster_id()
    assert cluster_id == "AAAAAAAAAAAAAAAAAAAAAA"


# ---------------------------------------------------------------- java


def _path_with_java(monkeypatch, tmp_path: Path, version_line: str | None) -> None:
    """PATH holding only a `java` that prints `version_line` like `java -version` does (or no java at all)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if version_line is not None:
        java = bin_dir / "java"
        java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
        java.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_the_java_on_this_machine_is_accepted():
    processes.check_java(17)


def test_start_without_java_says_what_to_install_before_starting_anything(monkeypatch, tmp_path: Path):
    stack = LocalStack(LocalSettings.on_free_ports(tmp_path, Stage.parse("it")), jars_dir=tmp_path / "no-jars")
    _path_with_java(monkeypatch, tmp_path, None)
    with pytest.raises(LocalStackError, match=r"Java \(`java`\) is not on PATH; install a Java 17\+ runtime"):
        stack.start()
    assert not stack.broker.pid_file.exists() and not stack.worker.pid_file.exists()


@pytest.mark.parametrize(
    ("version_line", "found"),
    [('openjdk version "11.0.22" 2024-01-16', "11"), ('java version "1.8.0_392"', "8")],
)
def test_an_older_java_is_refused_naming_its_version(monkeypatch, tmp_path: Path, version_line: str, found: str):
    _path_with_java(monkeypatch, tmp_path, version_line)
    with pytest.raises(LocalStackError, match=f"is Java {found}; the worker needs Java 17\\+"):
        processes.check_java(17)


def test_a_java_without_a_version_is_refused(monkeypatch, tmp_path: Path):
    _path_with_java(monkeypatch, tmp_path, "something else")
    with pytest.raises(LocalStackError, match="did not print a Java version"):
        processes.check_java(17)


def test_summary_names_the_connect_url_the_broker_and_the_logs(tmp_path: Path):
    settings = LocalSettings.on_free_ports(tmp_path, Stage.parse("it"))
    lines = dict(
        line.split(" : ", 1) for line in LocalStack(settings, jars_dir=tmp_path / "jars").summary().splitlines()
    )
    ports = settings.ports
    assert {key.strip(): value for key, value in lines.items()} == {
        "Kafka Connect REST": f"http://127.0.0.1:{ports['connect']}",
        "Kafka broker": f"127.0.0.1:{ports['broker']}",
        "JMX exporter": f"http://127.0.0.1:{ports['jmx']}/metrics",
        "Stage": "it (group it.mgmt.connect.wms-connector-it)",
        "Worker log": str(tmp_path / "logs" / "worker.log"),
        "Broker log": str(tmp_path / "logs" / "broker.log"),
    }


# ---------------------------------------------------------------- remembered, checked before anything starts


def test_a_started_stack_is_found_again_without_the_variables(tmp_path: Path):
    ports = {"broker": 19092, "controller": 19093, "connect": 18083, "jmx": 19404}
    LocalSettings(ports=ports, data_dir=tmp_path / "data", log_dir=tmp_path / "logs").remember()
    env = {"WMS_LOCAL_DATA_DIR": str(tmp_path / "data"), local_settings.ENV_FILE_ENV: str(_env_file(tmp_path, ""))}
    found = LocalSettings.from_environment(env)
    assert found.ports == ports and found.log_dir == tmp_path / "logs"
    # A variable or a flag still wins over what was remembered.
    assert LocalSettings.from_environment({**env, "WMS_LOCAL_JMX_PORT": "29404"}).ports["jmx"] == 29404
    found.forget()
    assert LocalSettings.from_environment(env).ports["connect"] == 8083


def test_two_servers_on_one_port_are_refused_naming_both_settings(tmp_path: Path):
    env = {"WMS_LOCAL_BROKER_PORT": "9093", local_settings.ENV_FILE_ENV: str(_env_file(tmp_path, ""))}
    with pytest.raises(LocalStackError) as error:
        LocalSettings.from_environment(env, {"data_dir": str(tmp_path)})
    assert str(error.value) == (
        "The Kafka broker and the KRaft controller are both set to port 9093; give one another port "
        "(WMS_LOCAL_BROKER_PORT or --broker-port, WMS_LOCAL_CONTROLLER_PORT or --controller-port)."
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("DB_HOST=db.local\n", "no 'port' key"),
        ("DB_HOST=db.local\nDB_PORT=1521\n", "not DB_USER, DB_PASSWORD, DB_NAME"),
        ("DB_HOST=db.local\nDB_PORT=1521\nDB_NAME=ORCL\nDB_USER=u\n", "not DB_PASSWORD"),
        ("DB_INFO={not json\n", "not JSON"),
    ],
)
def test_partial_database_settings_are_named_before_anything_starts(tmp_path: Path, text: str, says: str):
    env = {local_settings.ENV_FILE_ENV: str(_env_file(tmp_path, text + "# Pw-Never-Shown-0042\n"))}
    with pytest.raises(LocalStackError, match=re.escape(says)) as error:
        LocalSettings.from_environment(env, {"data_dir": str(tmp_path)})
    assert "Pw-Never-Shown" not in str(error.value)
    complete = "DB_HOST=db.local\nDB_PORT=1521\nDB_NAME=ORCL\nDB_USER=u\nDB_PASSWORD=p\n"
    env = {local_settings.ENV_FILE_ENV: str(_env_file(tmp_path, complete))}
    assert LocalSettings.from_environment(env, {"data_dir": str(tmp_path)}).database_env["DB_NAME"] == "ORCL"


def test_without_database_settings_the_worker_gets_a_stand_in_database_nothing_listens_on(tmp_path: Path):
    stack = LocalStack(LocalSettings.on_free_ports(tmp_path, Stage.parse("it")), jars_dir=tmp_path / "jars")
    env = stack.worker_environment({})
    assert env["DB_HOST"] == "127.0.0.1" and env["DB_PORT"] == "1" and env["DB_NAME"] == "NOT_CONFIGURED"


def test_a_failed_start_shows_this_runs_log_lines_not_earlier_runs(tmp_path: Path):
    log = tmp_path / "server.log"
    log.write_text("an earlier run's line\n" * 50)
    process = processes.ManagedProcess("test server", tmp_path / "server.pid", log, "marker-not-in-cmdline")
    process.start([sys.executable, "-c", "print('this run failed: bad config'); raise SystemExit(3)"], {})
    process._popen.wait(timeout=10)
    message = process.exited_early()
    assert "this run failed: bad config" in message and "earlier run" not in message
    assert "(code 3)" in message
