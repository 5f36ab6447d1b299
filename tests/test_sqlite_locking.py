"""On SQLite, daphne and the background worker write to one file: a writer that finds the file
locked waits for it (the settings' busy timeout) instead of failing with "database is locked"."""

import threading

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper

SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def connection_to(path) -> DatabaseWrapper:
    """A connection with the project's SQLite options, to a file of the test's own."""
    return DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(path)}, alias="locking")


@pytest.mark.skipif(not SQLITE, reason="SQLite only")
@pytest.mark.django_db
def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    worker, web = (
        connection_to(tmp_path / "shared.sqlite3"),
        connection_to(tmp_path / "shared.sqlite3"),
    )
    assert settings.DATABASES["default"]["OPTIONS"]["timeout"] >= 20
    web.inc_thread_sharing()  # it writes from a thread of its own, standing in for daphne
    with worker.cursor() as cursor:
        cursor.execute("CREATE TABLE evidence (id INTEGER PRIMARY KEY, text TEXT)")
    outcome = {}

    def write_from_the_web_process():
        try:
            with web.cursor() as cursor:
                cursor.execute("INSERT INTO evidence (text) VALUES ('from the web')")
            outcome["web"] = "written"
        except Exception as error:  # noqa: BLE001
            outcome["web"] = repr(error)

    worker.set_autocommit(False)  # the worker holds the write lock, as while it saves vectors
    with worker.cursor() as cursor:
        cursor.execute("INSERT INTO evidence (text) VALUES ('from the worker')")
    web_thread = threading.Thread(target=write_from_the_web_process)
    web_thread.start()
    web_thread.join(timeout=0.5)  # still waiting for the lock, not failed
    assert web_thread.is_alive() and not outcome
    worker.commit()
    worker.set_autocommit(True)
    web_thread.join(timeout=20)

    assert outcome == {"web": "written"}
    with worker.cursor() as cursor:
        cursor.execute("SELECT text FROM evidence ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["from the worker", "from the web"]
    worker.close()
    web.close()
