"""The worker entrypoint (connect-image/entrypoint.py): rendering, the heap rule, DB_INFO unpacking, bad input."""

from __future__ import annotations

import ast
import importlib.util
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from wms_connector import db_info, kafka_settings, worker_env

ENTRYPOINT_PATH = Path(__file__).resolve().parents[2] / "connect-image" / "entrypoint.py"


def _load_entrypoint():
    spec = importlib.util.spec_from_file_location("connect_entrypoint", ENTRYPOINT_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


ep = _load_entrypoint()

# What the image binds to; only rendered into text here, never bound.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
SECRET_PASSWORD = "s3cr3t-Value!"
MSK_ENV = {
    "CONNECT_BOOTSTRAP_SERVERS": "b-1.msk.example:9094,b-2.msk.example:9094",
    "CONNECT_SECURITY_PROTOCOL": "SSL",
    "CONNECT_GROUP_ID": "mgmt.connect.wms-connector-val",
    "CONNECT_CONFIG_STORAGE_TOPIC": "mgmt.connect.wms-connector-val.config",
    "CONNECT_OFFSET_STORAGE_TOPIC": "mgmt.connect.wms-connector-val.offsets",
    "CONNECT_STATUS_STORAGE_TOPIC": "mgmt.connect.wms-connector-val.status",
    "CONNECT_REPLICATION_FACTOR": "3",
    "CONNECT_REST_ADVERTISED_HOST": "10.1.2.3",
    "CONTAINER_MEMORY_MIB": "2560",
}
DB_INFO = {"host": "db.example", "port": 1521, "db": "WMSDB", "user": "cdc", "password": SECRET_PASSWORD}


@pytest.fixture
def jars_dir(tmp_path: Path) -> Path:
    """The jar layout the entrypoint expects, with empty placeholder jars (nothing is run)."""
    for folder in ("libs", "plugins/debezium-connector-oracle", "jmx-exporter"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "jmx-exporter" / "jmx_prometheus_javaagent-1.0.1.jar").write_bytes(b"")
    return tmp_path


def _settings(env: dict[str, str]):
    return ep.read_worker_settings(env, default_plugin_path="/opt/connect/plugins")


def _render(env: dict[str, str]) -> dict[str, str]:
    return ep.worker_properties(_settings(env), ep.advertised_host(env), ALL_INTERFACES)


# ---------------------------------------------------------------- the contract


def test_entrypoint_keeps_the_same_variable_names_as_worker_env():
    contract = {
        name: value
        for name, value in vars(worker_env).items()
        if name.isupper() and isinstance(value, str) and value in worker_env.CONTRACT_VARIABLES
    }
    assert set(ep.CONTRACT_VARIABLES) == set(worker_env.CONTRACT_VARIABLES) == set(contract.values())
    for name, value in contract.items():
        assert getattr(ep, name) == value, name
    assert ep.DB_VARIABLES == worker_env.DB_VARIABLES
    # The image cannot import the library: its copies of the shared rules are held equal here.
    assert ep.SECURITY_PROTOCOLS == kafka_settings.SECURITY_PROTOCOLS
    assert {key for keys, _variable, _required in ep._DB_INFO_KEYS for key in keys} == set(db_info.KEYS)
    assert (ep.DEFAULT_REST_PORT, ep.DEFAULT_JMX_EXPORTER_PORT) == (
        worker_env.DEFAULT_REST_PORT,
        worker_env.DEFAULT_JMX_EXPORTER_PORT,
    )


def test_entrypoint_is_standard_library_python_3_9():
    # The image's python3 may be older than the project's and has no packages installed.
    tree = ast.parse(ENTRYPOINT_PATH.read_text(), feature_version=(3, 9))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported
    for module in imported:
        assert module == "__future__" or module.split(".")[0] in sys.stdlib_module_names, module


# ---------------------------------------------------------------- rendering


def test_msk_worker_properties():
    props = _render(MSK_ENV)
    assert props["bootstrap.servers"] == "b-1.msk.example:9094,b-2.msk.example:9094"
    for prefix in ("", "producer.", "consumer.", "admin."):
        assert props[f"{prefix}security.protocol"] == "SSL"
    assert props["group.id"] == "mgmt.connect.wms-connector-val"
    assert props["config.storage.topic"] == "mgmt.connect.wms-connector-val.config"
    assert props["offset.storage.topic"] == "mgmt.connect.wms-connector-val.offsets"
    assert props["status.storage.topic"] == "mgmt.connect.wms-connector-val.status"
    for store in ("config", "offset", "status"):
        assert props[f"{store}.storage.replication.factor"] == "3"
    assert props["offset.storage.partitions"] == "5"
    assert props["status.storage.partitions"] == "1"
    assert props["key.converter"] == props["value.converter"] == "org.apache.kafka.connect.json.JsonConverter"
    assert props["key.converter.schemas.enable"] == props["value.converter.schemas.enable"] == "true"
    assert props["listeners"] == "http://0.0.0.0:8083"
    assert props["rest.advertised.host.name"] == "10.1.2.3"
    assert props["plugin.path"] == "/opt/connect/plugins"


def test_env_config_provider_is_limited_to_the_database_variables():
    import re

    props = _render(MSK_ENV)
    assert props["config.providers"] == "env"
    assert props["config.providers.env.class"] == "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
    allow = re.compile(props["config.providers.env.param.allowlist.pattern"])
    for name in worker_env.DB_VARIABLES:
        assert allow.fullmatch(name)
    for name in ("DB_INFO", "PATH", "AWS_SECRET_ACCESS_KEY", "CONNECT_BOOTSTRAP_SERVERS", "DB_HOSTX", "XDB_HOST"):
        assert not allow.fullmatch(name), name


def test_ports_and_plugin_path_follow_the_environment():
    env = {**MSK_ENV, "CONNECT_REST_PORT": "18083", "JMX_EXPORTER_PORT": "19404", "CONNECT_PLUGIN_PATH": "/x/plugins"}
    settings = _settings(env)
    props = ep.worker_properties(settings, "h", "127.0.0.1")
    assert props["listeners"] == "http://127.0.0.1:18083"
    assert props["rest.advertised.port"] == "18083"
    assert props["plugin.path"] == "/x/plugins"
    assert settings.jmx_exporter_port == 19404


def test_render_only_writes_the_files_and_never_a_database_value(tmp_path: Path, jars_dir: Path, capsys):
    env = {**MSK_ENV, "DB_INFO": json.dumps(DB_INFO)}
    out = tmp_path / "rendered"
    code = ep.main(["--jars-dir", str(jars_dir), "--render-only", str(out)], env=env)
    assert code == 0
    properties = (out / "worker.properties").read_text()
    command = json.loads((out / "java-command.json").read_text())
    assert "bootstrap.servers=b-1.msk.example:9094,b-2.msk.example:9094" in properties
    assert command[0] == "java"
    assert "-Xmx1280m" in command and "-Xms1280m" in command
    assert command[-2:] == ["org.apache.kafka.connect.cli.ConnectDistributed", str(out / "worker.properties")]
    agent = next(arg for arg in command if arg.startswith("-javaagent:"))
    assert agent.endswith(f"=0.0.0.0:9404:{ENTRYPOINT_PATH.parent / 'jmx-exporter.yml'}")
    assert command[command.index("-cp") + 1] == f"{jars_dir}/libs/*"
    printed = capsys.readouterr()
    for text in (properties, json.dumps(command), printed.out, printed.err):
        for value in (SECRET_PASSWORD, "db.example", "WMSDB"):
            assert value not in text


def test_java_command_needs_the_jmx_agent_jar(tmp_path: Path, jars_dir: Path):
    (jars_dir / "jmx-exporter" / "jmx_prometheus_javaagent-1.0.1.jar").unlink()
    layout = ep.Layout(jars_dir=jars_dir, files_dir=ENTRYPOINT_PATH.parent)
    with pytest.raises(ep.WorkerConfigError, match="jmx_prometheus_javaagent"):
        ep.java_command(_settings(MSK_ENV), layout, tmp_path / "w.properties", ALL_INTERFACES)


# ---------------------------------------------------------------- heap rule


@pytest.mark.parametrize(
    ("memory", "percent", "heap"),
    [(2560, 50, 1280), (2560, 70, 1792), (4096, 70, 2867), (1024, 50, 512), (2048, 75, 1536), (3072, 60, 1843)],
)
def test_heap_rule(memory: int, percent: int, heap: int):
    assert ep.heap_mib(memory, percent) == heap


def test_heap_must_leave_room_outside_the_heap():
    with pytest.raises(ep.WorkerConfigError, match="CONTAINER_MEMORY_MIB=1024 with JVM_HEAP_PERCENT=75 leaves 256"):
        _settings({**MSK_ENV, "CONTAINER_MEMORY_MIB": "1024", "JVM_HEAP_PERCENT": "75"})


def test_heap_must_get_its_minimum():
    with pytest.raises(ep.WorkerConfigError, match="JVM_HEAP_PERCENT=19 gives a 389 MiB heap; at least 512"):
        _settings({**MSK_ENV, "CONTAINER_MEMORY_MIB": "2048", "JVM_HEAP_PERCENT": "19"})


def test_heap_percent_defaults_to_50():
    assert _settings(MSK_ENV).heap_percent == 50


def _stack_heap(memory: int, percent: int) -> int | None:
    """The heap the stack would deploy for these values (parsed as stack config, then checked), or None."""
    from wms_connector import settings

    keys = {key.field: key for key in settings.Sizing.KEYS}
    try:
        sizing = settings.Sizing(
            task_cpu=16384, task_memory=122880, connect_cpu=1024,
            connect_memory=keys["connect_memory"].parse("connectMemory", memory),
            heap_percent=keys["heap_percent"].parse("heapPercent", percent),
            desired_count=1,
        )
        sizing.check()
    except settings.SettingsError:
        return None
    return sizing.heap_mib


def _entrypoint_heap(memory: int, percent: int) -> int | None:
    env = {**MSK_ENV, "CONTAINER_MEMORY_MIB": str(memory), "JVM_HEAP_PERCENT": str(percent)}
    try:
        settings = _settings(env)
    except ep.WorkerConfigError:
        return None
    return ep.heap_mib(settings.container_memory_mib, settings.heap_percent)


def test_heap_rule_agrees_with_the_stage_sizing_check():
    """The stack refuses at deploy time exactly what the entrypoint would refuse at task start."""
    accepted = 0
    for memory in (512, 1023, 1024, 1536, 2048, 2560, 3072, 4096, 6144, 30720, 122880):
        for percent in (*range(0, 101, 5), 9, 11, 89, 91):
            stack_heap = _stack_heap(memory, percent)
            assert _entrypoint_heap(memory, percent) == stack_heap, (memory, percent)
            accepted += stack_heap is not None
    assert accepted > 50  # the sweep covers accepted sizes, not only refusals


# ---------------------------------------------------------------- bad worker input


@pytest.mark.parametrize(
    "variable",
    [
        "CONNECT_BOOTSTRAP_SERVERS",
        "CONNECT_SECURITY_PROTOCOL",
        "CONNECT_GROUP_ID",
        "CONNECT_CONFIG_STORAGE_TOPIC",
        "CONNECT_OFFSET_STORAGE_TOPIC",
        "CONNECT_STATUS_STORAGE_TOPIC",
        "CONNECT_REPLICATION_FACTOR",
        "CONTAINER_MEMORY_MIB",
    ],
)
def test_missing_required_variable_is_named(variable: str):
    env = {k: v for k, v in MSK_ENV.items() if k != variable}
    with pytest.raises(ep.WorkerConfigError, match=f"^{variable} is not set; it must be"):
        _settings(env)


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("CONNECT_SECURITY_PROTOCOL", "SASL_SSL", "SSL .* or PLAINTEXT"),
        ("CONNECT_SECURITY_PROTOCOL", "ssl", "SSL .* or PLAINTEXT"),
        ("CONNECT_BOOTSTRAP_SERVERS", "b-1.msk.example", "host:port"),
        ("CONNECT_BOOTSTRAP_SERVERS", "b-1:9094,,b-2:9094", "host:port"),
        ("CONNECT_BOOTSTRAP_SERVERS", "b-1:99999", "host:port"),
        ("CONNECT_GROUP_ID", "group with spaces", "Kafka topic/group name"),
        ("CONNECT_CONFIG_STORAGE_TOPIC", "a/b", "Kafka topic/group name"),
        ("CONNECT_OFFSET_STORAGE_TOPIC", "x" * 250, "Kafka topic/group name"),
        ("CONNECT_REPLICATION_FACTOR", "0", "integer from 1 to 32"),
        ("CONNECT_REPLICATION_FACTOR", "three", "integer from 1 to 32"),
        ("CONNECT_REST_PORT", "0", "integer from 1 to 65535"),
        ("JMX_EXPORTER_PORT", "70000", "integer from 1 to 65535"),
        ("CONTAINER_MEMORY_MIB", "512", "integer from 1024"),
        ("CONTAINER_MEMORY_MIB", "2.5GiB", "integer from 1024"),
        ("JVM_HEAP_PERCENT", "95", "integer from 10 to 90"),
        ("JVM_HEAP_PERCENT", "5", "integer from 10 to 90"),
        ("CONNECT_REST_ADVERTISED_HOST", "bad host", "host name or IP"),
    ],
)
def test_invalid_variable_is_named_with_what_is_allowed(variable: str, value: str, allowed: str):
    with pytest.raises(ep.WorkerConfigError, match=f"{variable}.*{allowed}"):
        _render({**MSK_ENV, variable: value})


def test_internal_topics_must_differ():
    env = {**MSK_ENV, "CONNECT_STATUS_STORAGE_TOPIC": MSK_ENV["CONNECT_CONFIG_STORAGE_TOPIC"]}
    with pytest.raises(ep.WorkerConfigError, match="three different topics"):
        _settings(env)


def test_rest_and_jmx_ports_must_differ():
    with pytest.raises(ep.WorkerConfigError, match="CONNECT_REST_PORT and JMX_EXPORTER_PORT must differ"):
        _settings({**MSK_ENV, "CONNECT_REST_PORT": "9404"})


def test_main_reports_bad_input_on_stderr_and_exits_2(tmp_path: Path, jars_dir: Path, capsys):
    env = {k: v for k, v in MSK_ENV.items() if k != "CONNECT_GROUP_ID"}
    code = ep.main(["--jars-dir", str(jars_dir), "--render-only", str(tmp_path / "out")], env=env)
    assert code == 2
    assert "CONNECT_GROUP_ID is not set" in capsys.readouterr().err
    assert not (tmp_path / "out" / "worker.properties").exists()


# ---------------------------------------------------------------- database settings


def test_db_info_is_unpacked_into_the_db_variables():
    info = {**DB_INFO, "pdb": "WMSPDB", "url": "jdbc:oracle:thin:@//db.example:1521/WMSPDB", "schema": "WMS"}
    assert ep.database_environment({"DB_INFO": json.dumps(info)}) == {
        "DB_HOST": "db.example",
        "DB_PORT": "1521",
        "DB_NAME": "WMSDB",
        "DB_PDB": "WMSPDB",
        "DB_URL": "jdbc:oracle:thin:@//db.example:1521/WMSPDB",
        "DB_USER": "cdc",
        "DB_PASSWORD": SECRET_PASSWORD,
    }


def test_db_info_password_is_kept_exactly_while_other_values_are_trimmed():
    info = {**DB_INFO, "host": " db.example ", "user": "cdc\n", "password": " pass word "}
    unpacked = ep.database_environment({"DB_INFO": json.dumps(info)})
    assert (unpacked["DB_HOST"], unpacked["DB_USER"], unpacked["DB_PASSWORD"]) == ("db.example", "cdc", " pass word ")


def test_db_info_accepts_ip_for_host_and_leaves_optional_keys_out():
    info = {"ip": "10.9.8.7", "port": "1521", "db": "WMSDB", "user": "cdc", "password": SECRET_PASSWORD}
    unpacked = ep.database_environment({"DB_INFO": json.dumps(info)})
    assert unpacked["DB_HOST"] == "10.9.8.7"
    assert "DB_PDB" not in unpacked and "DB_URL" not in unpacked


def test_individual_db_variables_are_taken_as_given():
    given = {"DB_HOST": "h", "DB_PORT": "1521", "DB_NAME": "n", "DB_USER": "u", "DB_PASSWORD": SECRET_PASSWORD}
    assert ep.database_environment({**given, "PATH": "/bin"}) == given


def test_no_database_settings_is_allowed():
    assert ep.database_environment({"PATH": "/bin"}) == {}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DB_INFO": "{not json " + SECRET_PASSWORD}, "DB_INFO is not valid JSON"),
        ({"DB_INFO": json.dumps([SECRET_PASSWORD])}, "DB_INFO must be a JSON object"),
        ({"DB_INFO": json.dumps({k: v for k, v in DB_INFO.items() if k != "user"})}, "DB_INFO has no 'user' key"),
        ({"DB_INFO": json.dumps({k: v for k, v in DB_INFO.items() if k != "host"})}, "no 'ip' or 'host' key"),
        ({"DB_INFO": json.dumps({**DB_INFO, "port": "15x21"})}, "DB_INFO key 'port' must be an integer"),
        ({"DB_INFO": json.dumps({**DB_INFO, "password": {"v": SECRET_PASSWORD}})}, "key 'password' must be a string"),
        ({"DB_INFO": json.dumps(DB_INFO), "DB_HOST": "other"}, "either DB_INFO or the individual variables"),
        ({"DB_HOST": "h", "DB_PASSWORD": SECRET_PASSWORD}, "DB_PORT, DB_NAME, DB_USER are not set"),
        (
            {"DB_HOST": "h", "DB_PORT": "-1", "DB_NAME": "n", "DB_USER": "u", "DB_PASSWORD": SECRET_PASSWORD},
            "DB_PORT must be an integer",
        ),
    ],
)
def test_bad_database_settings_are_named_without_their_values(env: dict[str, str], message: str):
    with pytest.raises(ep.WorkerConfigError, match=message) as error:
        ep.database_environment(env)
    assert SECRET_PASSWORD not in str(error.value)


def test_java_environment_carries_db_variables_but_not_the_raw_secret():
    env = {"PATH": "/bin", "DB_INFO": json.dumps(DB_INFO)}
    child = ep.child_environment(env, ep.database_environment(env))
    assert "DB_INFO" not in child
    assert child["DB_PASSWORD"] == SECRET_PASSWORD and child["PATH"] == "/bin"


# ---------------------------------------------------------------- advertised host


class _MetadataHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def metadata_server():
    """A loopback HTTP server answering like the ECS task metadata endpoint v4 (container metadata)."""
    server = HTTPServer(("127.0.0.1", 0), _MetadataHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(document: dict) -> str:
        _MetadataHandler.body = json.dumps(document).encode()
        return f"http://127.0.0.1:{server.server_address[1]}/v4/abc"

    yield serve
    server.shutdown()
    server.server_close()


def test_advertised_host_explicit_setting_wins(metadata_server):
    uri = metadata_server({"Networks": [{"IPv4Addresses": ["10.0.0.9"]}]})
    env = {"CONNECT_REST_ADVERTISED_HOST": "connect.internal", "ECS_CONTAINER_METADATA_URI_V4": uri}
    assert ep.advertised_host(env) == "connect.internal"


def test_advertised_host_from_ecs_task_metadata(metadata_server):
    uri = metadata_server({"DockerId": "x", "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.2.106"]}]})
    assert ep.advertised_host({"ECS_CONTAINER_METADATA_URI_V4": uri}) == "10.0.2.106"


def test_advertised_host_metadata_without_an_address_fails(metadata_server):
    uri = metadata_server({"Networks": []})
    with pytest.raises(ep.WorkerConfigError, match="ECS_CONTAINER_METADATA_URI_V4 is set but"):
        ep.advertised_host({"ECS_CONTAINER_METADATA_URI_V4": uri})


def test_advertised_host_unreachable_metadata_fails_naming_the_variable(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    pauses = []
    monkeypatch.setattr(ep.time, "sleep", pauses.append)
    env = {"ECS_CONTAINER_METADATA_URI_V4": f"http://127.0.0.1:{closed_port}/v4"}
    with pytest.raises(ep.WorkerConfigError, match="CONNECT_REST_ADVERTISED_HOST to override"):
        ep.advertised_host(env, task_ipv4=lambda uri: ep._ecs_task_ipv4(uri, attempts=3, timeout_s=1.0))
    assert pauses == [1.0, 2.0]  # between attempts only: no pause before giving up


def test_advertised_host_falls_back_to_the_hostname():
    assert ep.advertised_host({}, hostname=lambda: "worker-1") == "worker-1"
