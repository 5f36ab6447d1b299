"""The end-to-end database seen directly (PostgreSQL only): what the event log holds, and a
write outage of that one database, with nothing changed on the server others share."""

from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql


class Database:
    def __init__(self, url: str):
        assert url.startswith(("postgres://", "postgresql://")), url
        self.url = url
        parsed = urlparse(url)
        self.name = parsed.path.lstrip("/")
        self.admin_url = urlunparse(parsed._replace(path="/postgres"))

    def events(self, map_id: int) -> list[tuple[int, str | None]]:
        """(seq, op_id) of every stored event of the map, in seq order."""
        with psycopg.connect(self.url) as connection:
            rows = connection.execute(
                "SELECT seq, op_id FROM maps_mapevent WHERE map_id = %s ORDER BY seq", [map_id]
            )
            return list(rows)

    def refuse_writes(self) -> None:
        """From now on every new session of this database is read-only, and the open ones are
        ended: what daphne sees when its primary turns into a read-only standby. Reads go on."""
        self._set_read_only(True)

    def accept_writes(self) -> None:
        self._set_read_only(False)

    def refuses_writes(self) -> bool:
        """Whether a new session would be read-only."""
        with psycopg.connect(self.url) as connection:
            (value,) = connection.execute("SHOW default_transaction_read_only").fetchone()
            return value == "on"

    def _set_read_only(self, read_only: bool) -> None:
        database = sql.Identifier(self.name)
        if read_only:
            change = sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on")
        else:
            change = sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only")
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(change.format(database))
            # Sessions take the setting when they start: end the open ones (only this database's).
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )
