"""What the tests that stub the Lambda API share: a JSON payload as the Lambda client returns it, and request
signing credentials that are not real (nothing reaches AWS)."""

from __future__ import annotations

import io
import json

import pytest
from botocore.response import StreamingBody


def lambda_payload(value: object) -> StreamingBody:
    raw = json.dumps(value).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    """Autouse wherever it is imported: signing needs some credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
