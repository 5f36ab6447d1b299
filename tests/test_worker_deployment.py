"""The background worker is part of every way of running empathymap: `make run` starts it
beside daphne, docker-compose.yml runs it as a service of its own."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_the_worker_from_the_web_image_after_the_migrations():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    worker = services["worker"]

    assert worker["command"][:3] == ["python", "manage.py", "db_worker"]
    assert worker["image"] == services["web1"]["image"]
    assert worker["build"] == services["web1"]["build"]
    assert worker["environment"] == services["web1"]["environment"]
    assert worker["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert "ports" not in worker  # several may run: `docker compose up --scale worker=3`


def test_make_run_starts_the_worker_beside_daphne():
    recipe = (ROOT / "Makefile").read_text().split("\nrun: install\n", 1)[1].split("\n\n", 1)[0]
    assert "manage.py db_worker" in recipe
    assert "daphne -b $(HOST) -p $(PORT)" in recipe
    assert "trap" in recipe  # the worker stops when daphne does
