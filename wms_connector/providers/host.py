"""The provider host of the project's dynamic resources: what `python -m pulumi.dynamic` does, plus two things the
stock host cannot carry.

- Detailed diffs. A provider's `diff` may return a `DetailedDiffResult`; its property paths reach the engine, so
  `pulumi preview --diff` lists only the changed (or drifted) keys instead of every property of the resource.
- Reports on the resource. `report(message)` inside a provider call is logged by the engine against the resource
  the call is for, not as a diagnostic of the whole stack.

Pulumi.yaml points the `pulumi-python` plugin at `provider-host/`, whose script starts this module. The wire
format (the `__provider` property holding the dill-serialized provider, secrets not accepted) is the stock one,
so state written by either host is read by the other; a provider run by the stock host simply loses the two
extras (the detailed diff is not sent, a report goes to stderr).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from concurrent import futures
from threading import Event, Lock
from typing import Any

import dill
import grpc
from google.protobuf import empty_pb2
from pulumi.dynamic import Config, ConfigureRequest, DiffResult, ResourceProvider
from pulumi.metadata import get_project
from pulumi.runtime import Settings, configure, proto, rpc
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime._serialization import _deserialize
from pulumi.runtime.proto import ResourceProviderServicer, engine_pb2, engine_pb2_grpc, provider_pb2_grpc

PROVIDER_KEY = "__provider"

# Property diff kinds by name, as a provider states them.
KINDS = {
    "add": proto.PropertyDiff.ADD,
    "add-replace": proto.PropertyDiff.ADD_REPLACE,
    "delete": proto.PropertyDiff.DELETE,
    "delete-replace": proto.PropertyDiff.DELETE_REPLACE,
    "update": proto.PropertyDiff.UPDATE,
    "update-replace": proto.PropertyDiff.UPDATE_REPLACE,
}


class DetailedDiffResult(DiffResult):
    """A DiffResult that also says which property paths changed and how: `{'config["a.b"]': "update", ...}`.
    Paths use Pulumi's property-path syntax; kinds are the keys of KINDS. Compared with the old outputs."""

    def __init__(self, *, detailed_diff: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        unknown = sorted(set(detailed_diff.values()) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown property diff kind(s) {unknown}; allowed: {', '.join(KINDS)}")
        self.detailed_diff = dict(detailed_diff)


def property_path(*parts: str) -> str:
    """`config["heartbeat.interval.ms"]` from ("config", "heartbeat.interval.ms"): keys that are not plain names
    are quoted, as Pulumi's property paths require."""
    path = parts[0]
    for part in parts[1:]:
        path += f".{part}" if part.isidentifier() else "[" + _quoted(part) + "]"
    return path


def _quoted(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


# The resource the current provider call is for, and where to log about it.
_current_urn: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_urn", default=None)
_engine: engine_pb2_grpc.EngineStub | None = None


def report(message: str, *, warning: bool = False) -> None:
    """Log `message` as information (or a warning) on the resource the running provider call is for (stderr
    outside this host)."""
    urn = _current_urn.get()
    if _engine is None or urn is None:
        print(message, file=sys.stderr)
        return
    severity = engine_pb2.WARNING if warning else engine_pb2.INFO
    try:
        _engine.Log(engine_pb2.LogRequest(severity=severity, message=message, urn=urn))
    except grpc.RpcError as exc:  # a report is for people: losing one must never fail the operation it tells of
        print(f"{message} (not shown on the resource: the engine refused the log, {exc.code()})", file=sys.stderr)


def engine_address(argv: list[str]) -> str | None:
    """The engine's address: the last argument the engine passes a plugin, after its flags (`--logtostderr`,
    `-v=N`) and after `--tracing <endpoint>`, whose endpoint is not the engine."""
    positional = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--tracing":
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    return positional[-1] if positional else None


_providers: dict[str, ResourceProvider] = {}
_providers_lock = Lock()


def _provider(props: Mapping[str, Any], config: dict[str, Any]) -> ResourceProvider:
    configure(Settings(project=os.environ.get("PULUMI_PROJECT", "project"), stack="stack", organization="organization"))
    serialized = props[PROVIDER_KEY]
    with _providers_lock:
        if serialized not in _providers:
            # The engine hands back what the program serialized: the same trust as the program itself.
            provider = _deserialize(lambda: dill.loads(base64.b64decode(serialized)))  # noqa: S301
            provider.configure(ConfigureRequest(config=Config(raw_config=config, project_name=get_project())))
            _providers[serialized] = provider
        return _providers[serialized]


def _serialized(values: Mapping[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(values), {}))
    finally:
        loop.close()


def _call(method: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """Runs a provider call with its resource's URN known to `report`; a failure reaches the engine as the
    provider's traceback, as the stock host sends it."""

    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        token = _current_urn.set(getattr(request, "urn", None) or None)
        try:
            return method(self, request, context)
        except Exception:  # noqa: BLE001 - every failure becomes the call's error
            context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())
        finally:
            _current_urn.reset(token)

    return wrapper


def _unimplemented(what: str) -> Callable[[Any, Any, Any], Any]:
    def method(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details(f"{what} is not implemented by the dynamic provider")
        raise NotImplementedError(f"{what} is not implemented by the dynamic provider")

    return method


class DynamicProviderHost(ResourceProviderServicer):
    def __init__(self) -> None:
        self._config: dict[str, Any] = {}

    CheckConfig = _unimplemented("CheckConfig")
    DiffConfig = _unimplemented("DiffConfig")
    Invoke = _unimplemented("Invoke")
    GetSchema = _unimplemented("GetSchema")

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return proto.PluginInfo(version="0.1.0")

    def Configure(self, request: Any, context: Any) -> Any:
        config = rpc.deserialize_properties(request.args)
        self._config = {key: rpc.unwrap_rpc_secret(value) for key, value in config.items()}
        return proto.ConfigureResponse(acceptSecrets=False)

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def _for(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> ResourceProvider:
        return _provider(olds if news.get(PROVIDER_KEY) == rpc.UNKNOWN else news, self._config)

    @_call
    def Check(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        result = self._for(olds, news).check(olds, news)
        inputs = {**result.inputs, PROVIDER_KEY: news[PROVIDER_KEY]}
        failures = [proto.CheckFailure(property=f.property, reason=f.reason) for f in result.failures]
        return proto.CheckResponse(inputs=_serialized(inputs), failures=failures)

    @_call
    def Diff(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        result = self._for(olds, news).diff(request.id, olds, news)
        fields: dict[str, Any] = {
            "changes": {None: proto.DiffResponse.DIFF_UNKNOWN, True: proto.DiffResponse.DIFF_SOME}.get(
                result.changes, proto.DiffResponse.DIFF_NONE
            )
        }
        if result.replaces is not None:
            fields["replaces"] = result.replaces
        if result.stables is not None:
            fields["stables"] = result.stables
        if result.delete_before_replace is not None:
            fields["deleteBeforeReplace"] = result.delete_before_replace
        detailed = getattr(result, "detailed_diff", None)
        if detailed is not None:
            fields["hasDetailedDiff"] = True
            fields["detailedDiff"] = {path: proto.PropertyDiff(kind=KINDS[kind]) for path, kind in detailed.items()}
            fields["diffs"] = sorted({_top_level(path) for path in detailed})
        return proto.DiffResponse(**fields)

    @_call
    def Create(self, request: Any, context: Any) -> Any:
        props = rpc.deserialize_properties(request.properties)
        result = _provider(props, self._config).create(props)
        outs = {**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]}
        return proto.CreateResponse(id=result.id, properties=_serialized(outs))

    @_call
    def Read(self, request: Any, context: Any) -> Any:
        # On refresh the engine passes the prior outputs; on a `get` only the inputs.
        props = rpc.deserialize_properties(request.properties)
        if not props and request.inputs is not None:
            props = rpc.deserialize_properties(request.inputs)
        result = _provider(props, self._config).read(request.id, props)
        fields = {"id": result.id, "properties": _serialized({**result.outs, PROVIDER_KEY: props[PROVIDER_KEY]})}
        if result.inputs is not None:
            fields["inputs"] = _serialized({**result.inputs, PROVIDER_KEY: props[PROVIDER_KEY]})
        return proto.ReadResponse(**fields)

    @_call
    def Update(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds)
        news = rpc.deserialize_properties(request.news)
        result = _provider(news, self._config).update(request.id, olds, news)
        outs = {**(result.outs or {}), PROVIDER_KEY: news[PROVIDER_KEY]}
        return proto.UpdateResponse(properties=_serialized(outs))

    @_call
    def Delete(self, request: Any, context: Any) -> Any:
        props = rpc.deserialize_properties(request.properties)
        _provider(props, self._config).delete(request.id, props)
        return empty_pb2.Empty()


def _top_level(path: str) -> str:
    """The top-level property a property path starts with."""
    for index, char in enumerate(path):
        if char in '.["':
            return path[:index]
    return path


def main(argv: list[str]) -> None:
    global _engine
    address = engine_address(argv)
    if address:  # logs about a resource go there
        _engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address, options=_GRPC_CHANNEL_OPTIONS))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_GRPC_CHANNEL_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(DynamicProviderHost(), server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    try:
        Event().wait()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    # The imported module, not this `__main__` copy of it: providers call `report` on the imported one.
    from wms_connector.providers import host

    host.main(sys.argv[1:])
