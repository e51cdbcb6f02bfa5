"""The stack's `wms-connector:*` config as a plain mapping, for `wms_connector.settings.load_settings`.

`pulumi.Config` reads one key at a time and cannot list them, so the key names come from the runtime's config
map (set by the engine, or by `set_all_config` under mocks) and every value is read through `pulumi.Config`.
"""

from __future__ import annotations

import pulumi
import pulumi.runtime.config as runtime_config

from wms_connector.settings import CONFIG_NAMESPACE


def _config_keys(namespace: str) -> set[str]:
    prefix = f"{namespace}:"
    names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {name[len(prefix):] for name in names if name.startswith(prefix)}


def project_config() -> dict[str, str]:
    config = pulumi.Config(CONFIG_NAMESPACE)
    return {key: config.get(key) for key in sorted(_config_keys(CONFIG_NAMESPACE))}


def secret_config_keys() -> set[str]:
    """The `wms-connector:*` keys the stack config holds as secrets (`pulumi config set --secret`): what is made
    from them stays a Pulumi secret."""
    keys = _config_keys(CONFIG_NAMESPACE)
    return {key for key in keys if runtime_config.is_config_secret(f"{CONFIG_NAMESPACE}:{key}")}


def aws_region() -> str | None:
    return pulumi.Config("aws").get("region")
