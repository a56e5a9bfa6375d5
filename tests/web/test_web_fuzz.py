"""Schemathesis fuzzes the OpenAPI schema: no request may make the server fail (500).

Logged in as a clinician (every route reachable) with the CSRF header, a bounded number
of examples per operation, so the file runs in seconds.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings
from web_helpers import login


def test_openapi_schema_no_server_errors(accounts_app):
    from schemathesis.checks import not_a_server_error

    client, headers = login(accounts_app, "alice")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    schema = schemathesis.openapi.from_asgi("/openapi.json", accounts_app)
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 15
    failures, seen = [], []

    def fuzz(op):
        @settings(max_examples=4, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case):
            response = case.call(headers={**headers, "Cookie": cookie})
            seen.append((op.path, response.status_code))
            if response.status_code >= 500:
                failures.append((op.method, op.path, response.status_code, case.body))
            case.validate_response(response, checks=[not_a_server_error])

        run()

    for op in ops:
        if op.path != "/api/session/logout":  # would end the session the others use
            fuzz(op)
    assert not failures, failures
    assert any(code < 300 for _, code in seen)  # logged in: not everything was refused
    assert {p for p, code in seen if code == 401} <= {"/api/session/login"}  # wrong pw
