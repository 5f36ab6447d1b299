import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "HTTPS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_the_development_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_starts_with_the_development_key_under_debug():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_behind_tls_the_deploy_check_reports_nothing():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        HTTPS="1",
        SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        ALLOWED_HOSTS="empathymap.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.django_db
def test_the_schema_describes_every_endpoint(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/workspaces/",
        "/api/v1/workspaces/{slug}/members/",
        "/api/v1/workspaces/{slug}/members/{username}/",
        "/api/v1/maps/",
        "/api/v1/maps/{map_id}/",
        "/api/v1/maps/{map_id}/notes/",
        "/api/v1/maps/{map_id}/events/",
        "/api/v1/maps/{map_id}/review/",
        "/api/v1/notes/{note_id}/",
        "/api/v1/notes/{note_id}/restore/",
        "/api/v1/notes/{note_id}/review/",
        "/api/v1/notes/{note_id}/links/",
        "/api/v1/links/{link_id}/",
        "/api/v1/segments/",
        "/api/v1/sources/",
        "/api/v1/evidence/",
    ]:
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert (
                "200" in operation["responses"]
                or "201" in operation["responses"]
                or ("204" in operation["responses"])
            ), (method, path)


@pytest.mark.django_db
def test_the_docs_page_serves_its_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content
    assert b"swagger-ui" in response.content
