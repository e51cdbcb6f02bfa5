"""The one redaction rule, as a table of texts and exactly what is left of each."""

from __future__ import annotations

import hashlib

import pytest

from wms_connector.redaction import redact, redact_data, salted_key_shown, salted_keys_shown, shown

SECRET = "Zq81-never-shown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # URL userinfo, whatever the scheme.
        (f"https://cdc:{SECRET}@connect:8083/x", "https://<redacted>@connect:8083/x"),
        (f"sasl_ssl://{SECRET}@broker:9096", "sasl_ssl://<redacted>@broker:9096"),
        ("http://connect:8083/connectors", "http://connect:8083/connectors"),
        # Oracle's thin and oci drivers: user/password before the @.
        (f"jdbc:oracle:thin:cdc/{SECRET}@//db:1521/WMS", "jdbc:oracle:thin:<redacted>@//db:1521/WMS"),
        (f"jdbc:oracle:oci:cdc/{SECRET}@WMS", "jdbc:oracle:oci:<redacted>@WMS"),
        ("jdbc:oracle:thin:@//db:1521/WMS", "jdbc:oracle:thin:@//db:1521/WMS"),
        # Parameters, in URLs and in `;` lists, any case, spaces around `=`.
        (f"WMS?user=cdc_{SECRET}&password={SECRET}", "WMS?user=<redacted>&password=<redacted>"),
        (f"user={SECRET}", "user=<redacted>"),
        (f"USER = {SECRET};other=1", "USER = <redacted>;other=1"),
        (f"username={SECRET},x=1", "username=<redacted>,x=1"),
        (f"user_name={SECRET}", "user_name=<redacted>"),
        (f"pwd={SECRET}", "pwd=<redacted>"),
        (f"Passwd={SECRET})", "Passwd=<redacted>)"),
        (f"PASSWORD=\"{SECRET}\"", f"PASSWORD=\"{SECRET}\""),  # quoted values are the secret parsers' to refuse
        ("superuser_flag=true", "superuser_flag=true"),  # only whole parameter names
        # Debezium's salted hash-mask property: the salt is part of the key.
        (f"column.mask.hash.SHA-256.with.salt.{SECRET}", "column.mask.hash.SHA-256.with.salt.<hidden>"),
        ("", ""),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_every_credential_in_one_text_is_hidden():
    text = f"url=jdbc:oracle:thin:a/{SECRET}@h user={SECRET} http://u:{SECRET}@h .with.salt.{SECRET}"
    assert SECRET not in redact(text)


def test_data_is_redacted_to_any_depth_keys_included_unless_asked():
    data = {f"k.with.salt.{SECRET}": [f"user={SECRET}", {"x": (f"pwd={SECRET}",)}], "n": 3}
    redacted = redact_data(data)
    assert SECRET not in repr(redacted) and redacted["n"] == 3
    kept_keys = redact_data(data, keys=False)
    assert list(kept_keys) == list(data) and SECRET not in repr(list(kept_keys.values()))


def test_a_salted_key_shows_a_fingerprint_of_the_salt_and_is_idempotent():
    key = f"column.mask.hash.SHA-256.with.salt.{SECRET}"
    fingerprint = hashlib.sha256(SECRET.encode()).hexdigest()[:12]
    assert salted_key_shown(key) == f"column.mask.hash.SHA-256.with.salt.<salt {fingerprint}>"
    assert salted_key_shown(salted_key_shown(key)) == salted_key_shown(key)
    assert salted_key_shown("column.mask.hash.SHA-256.with.salt.other") != salted_key_shown(key)
    assert salted_keys_shown({key: "T.C", "plain": 1}) == {salted_key_shown(key): "T.C", "plain": 1}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"user={SECRET}", "'user=<redacted>'"),
        (10**30, repr(10**30)),
        (10**400, "a whole number of about 400 digits"),
        ("x" * 200, repr("x" * 200)[:77] + "..."),
        ([1, 2, 3, 4, 5, 6], "[1, 2, 3, 4, ...]"),
    ],
)
def test_shown(value, expected):
    assert shown(value) == expected


SALTED = f"column.mask.hash.SHA-256.with.salt.{SECRET}"
SALT_GONE = "column.mask.hash.SHA-256.with.salt.<hidden>"


@pytest.mark.parametrize(
    ("data", "keys", "expected"),
    [
        # Every string is redacted in place, whatever holds it; other values stay as they are.
        (
            [f"user={SECRET}", 3, None, ("x", f"pwd={SECRET}")],
            True,
            ["user=<redacted>", 3, None, ["x", "pwd=<redacted>"]],
        ),
        # Keys are redacted at every depth: in a mapping's values and in lists' items.
        ({"a": {SALTED: 1}, "b": [{SALTED: 2}]}, True, {"a": {SALT_GONE: 1}, "b": [{SALT_GONE: 2}]}),
        # A config read back keeps its keys at every depth too, and still has its values redacted.
        (
            {"a": {SALTED: f"user={SECRET}"}, "b": [{SALTED: 2}]},
            False,
            {"a": {SALTED: "user=<redacted>"}, "b": [{SALTED: 2}]},
        ),
    ],
)
def test_redact_data_exactly(data, keys, expected):
    assert redact_data(data, keys=keys) == expected


class _Unprintable:
    def __repr__(self) -> str:
        raise ValueError("no text for this")


def _nested_frozensets(depth: int) -> frozenset:
    value: frozenset = frozenset()
    for _ in range(depth):
        value = frozenset([value])
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Whole numbers up to 128 bits are shown; longer ones only by their size.
        (2**127, repr(2**127)),
        (2**128, "a whole number of about 38 digits"),
        # Exactly the limit is shown whole; one more is cut.
        ("x" * 78, repr("x" * 78)),
        ("x" * 79, repr("x" * 79)[:77] + "..."),
        # A value whose text cannot be had is named by its type, not turned into an error of its own.
        (_Unprintable(), "a _Unprintable"),
        (_nested_frozensets(10_000), "a frozenset"),
    ],
)
def test_shown_at_its_limits(value, expected):
    assert shown(value) == expected
