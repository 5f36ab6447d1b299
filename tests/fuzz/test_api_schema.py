"""Fuzzing the HTTP API against its own OpenAPI schema (schemathesis), as a lead and as a viewer,
on a real daphne with DEBUG off, one operation at a time and in sequences of calls (stateful):
no input gives a 5xx, and every response (status code, content type, headers, body) is what
the schema says. Bounded: FUZZ_EXAMPLES examples per operation (default 4) and
FUZZ_STATEFUL_EXAMPLES sequences (default 8), one to two minutes on two cores.

Not checked here, and listed in docs/reliability.md: that every schema-valid request is
accepted (business rules such as "the workspace exists and is not archived" are not in the
schema) and that every schema-invalid request is refused (multipart bodies are coerced)."""

import json
import os
import subprocess
import sys

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.browser.conftest import (
    ROOT,
    free_port,
    postgres_database,
    wait_for_server,
)

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# A lead and a viewer of one workspace with a map, a note, a source and evidence, whose ids the
# fuzzer may hit; their tokens are printed for the tests.
SEED = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from maps import services
from research import services as research

User = get_user_model()
alice = User.objects.create_user(username="alice", password="alice-fuzz-pw-7")
vera = User.objects.create_user(username="vera", password="vera-fuzz-pw-7")
services.workspace_create(actor=alice, name="Acme", slug="acme")
services.member_add(actor=alice, workspace_slug="acme", username="vera", role="viewer")
board = services.map_create(actor=alice, workspace_slug="acme", title="Finance leads")
services.note_create(actor=alice, map_id=board.pk, section="says", text="Closing is slow")
source = research.source_create(actor=alice, workspace_slug="acme", kind="interview", title="Priya")
research.evidence_create(actor=alice, source_id=source.pk, text="Three days of copying numbers.")
print(json.dumps({u.username: Token.objects.create(user=u).key for u in (alice, vera)}))
"""


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz-server")
    port = free_port()
    env = dict(os.environ)
    env.update(
        SECRET_KEY="fuzz-test-secret-key-not-for-production",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        # The fuzzer is one client sending fast: it tests the API, not its throttles.
        API_RATE="100000/minute",
        TOKEN_RATE="100000/minute",
        REQUEST_LOG_LEVEL="WARNING",
    )
    drop = None
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"], drop = postgres_database(database_url + "_fuzz")
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED], env=env, cwd=ROOT, check=True, capture_output=True
    )
    tokens = json.loads(seeded.stdout.decode().strip().splitlines()[-1])
    log = workdir / "daphne.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["empathymap.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, process, log)
        yield {"url": url, "tokens": tokens, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drop is not None:
            drop()


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    # The base URL comes from the schema's own address.
    return schemathesis.openapi.from_url(fuzz_server["url"] + "/api/schema/?format=json")


schema = schemathesis.pytest.from_fixture("api_schema")


def check(case, fuzz_server, username):
    headers = {"Authorization": f"Token {fuzz_server['tokens'][username]}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_for_a_lead(case, fuzz_server):
    check(case, fuzz_server, "alice")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_for_a_viewer(case, fuzz_server):
    check(case, fuzz_server, "vera")


# Stateful: sequences of calls that feed each other (a map created, then its notes, links and
# settings), as schemathesis chains the operations it links by analysing the schema.
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "8"))


def run_stateful(api_schema, fuzz_server, username):
    headers = {"Authorization": f"Token {fuzz_server['tokens'][username]}"}
    base = api_schema.as_state_machine()
    assert base.bundles, "schemathesis found no links between operations to chain"

    calls = []

    class Calls(base):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            calls.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Calls.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The sequences reached past the first call, into what an earlier call made.
    assert len(calls) > STATEFUL_EXAMPLES, calls
    assert any(status in (200, 201) for _label, status in calls), calls
    return calls


def test_call_sequences_keep_the_schema_for_a_lead(api_schema, fuzz_server):
    run_stateful(api_schema, fuzz_server, "alice")


def test_call_sequences_keep_the_schema_for_a_viewer(api_schema, fuzz_server):
    run_stateful(api_schema, fuzz_server, "vera")
