"""CloudWatch Logs filter-pattern matching for unstructured events, as documented: a pattern is a list of terms; a
term with characters other than letters, digits and `_` must be in double quotes; terms prefixed with `?` match
when any of them is in the event, otherwise all must be; matching is case-sensitive. CloudWatch cannot run here and
moto does not evaluate `?` patterns, so the tests of the log filters judge lines with this.
"""

from __future__ import annotations

import re

_TERM = re.compile(r'\?|"[^"]+"|[^\s"?]+')
_BARE = re.compile(r"^[A-Za-z0-9_]+$")


def _terms(pattern: str) -> tuple[list[str], bool]:
    """(terms without quotes, any-of) or AssertionError naming what the syntax does not allow."""
    tokens = _TERM.findall(pattern)
    outside_quotes = re.sub(r'\s+(?=(?:[^"]*"[^"]*")*[^"]*$)', "", pattern)
    assert "".join(tokens) == outside_quotes, f"stray characters in {pattern!r}"
    any_of = "?" in tokens
    terms, expect_term = [], any_of and tokens[0] == "?"
    for token in tokens:
        if token == "?":
            expect_term = True
            continue
        assert not any_of or expect_term, f"{pattern!r} mixes ?-terms with plain terms"
        if token.startswith('"'):
            terms.append(token[1:-1])
        else:
            assert _BARE.match(token), f"{token!r} in {pattern!r} needs double quotes"
            terms.append(token)
        expect_term = False
    assert terms, f"{pattern!r} has no term"
    return terms, any_of


def matches(pattern: str, line: str) -> bool:
    terms, any_of = _terms(pattern)
    found = [term in line for term in terms]
    return any(found) if any_of else all(found)
