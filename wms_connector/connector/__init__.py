"""The Debezium connector's configuration: options from stack config (options.py), the keys this project manages
(managed_keys.py), the credential policy (credentials.py) and the builder (config.py)."""
