"""Bad input never makes a 5xx: schemathesis against the OpenAPI schema (bounded run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from testkit import Lobby, build_lobby

from smartcounter.store.layout import Store

MAX_EXAMPLES = 10
# The what-ifs' queue is full: a designed answer (503, asked again later), not a crash. Ten
# valid what-ifs in a row fill it whenever the first still runs, e.g. while it loads the
# simulator (the test alone), and not when an earlier test loaded it (the whole suite).
QUEUE_FULL = "whatif.page.error_busy"
OPERATIONS_SKIPPED = ("/api/branches/{branch_id}/events", "/api/auth/logout")


@pytest.fixture(scope="module")
def schema_lobby(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lobby]:
    store = tmp_path_factory.mktemp("schema-store")
    Store.create(Path(store), timezone="Asia/Shanghai")
    lobby = build_lobby(store)
    yield lobby
    lobby.database.dispose()


@pytest.fixture(scope="module")
def api_schema(schema_lobby: Lobby):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", schema_lobby.app)
    return schema.exclude(path=list(OPERATIONS_SKIPPED))


@pytest.fixture(scope="module")
def auth_headers(schema_lobby: Lobby) -> dict[str, str]:
    """A director of B1 (most permissions in the branch), as cookie and CSRF header."""
    client = schema_lobby.client()
    answer = client.post(
        "/api/auth/login", json={"username": "director-b1", "password": "correct-horse-1"}
    )
    cookie = answer.cookies.get("sc_session")
    return {"Cookie": f"sc_session={cookie}", "X-CSRF-Token": answer.json()["csrf_token"]}


def exercise(operation, auth_headers: dict[str, str], mode: GenerationMode) -> None:  # type: ignore[no-untyped-def]
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy(mode))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        if (
            "branch_id" in (case.path_parameters or {})
            and case.body is not None
            and hash(str(case.body)) % 2
        ):
            # Half the time aim at the director's own branch, so that more than access is checked.
            case.path_parameters["branch_id"] = "B1"
        response = case.call(headers=auth_headers)
        if response.status_code == 503 and _code(response) == QUEUE_FULL:
            return
        case.validate_response(response, checks=[not_a_server_error], headers=auth_headers)

    run()


def _code(response) -> object:  # type: ignore[no-untyped-def]
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


@pytest.mark.slow
def test_no_request_makes_a_server_error(api_schema, auth_headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Whatever the body, path or query of any operation, the answer is not a 5xx."""
    failures = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                exercise(operation, auth_headers, mode)
            except Unsatisfiable:
                pass  # no parameters to break: nothing negative to send
            except Exception as exc:  # every operation runs; all failures are shown together
                failures.append(
                    f"{mode.value} {operation.method.upper()} {operation.path}: {str(exc)[:600]}"
                )
    assert operations >= 35
    assert failures == [], "\n\n".join(failures)
