"""Pulumi dynamic resources: the connector itself, and the ephemeral stage's topic cleanup."""
