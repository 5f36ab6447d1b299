"""Database work of the live board, on a pool of threads with connections of their own.

Channels' `database_sync_to_async` runs every call of a process on one thread-sensitive
executor, and with `DB_CONN_MAX_AGE=0` opens and closes a connection around each call: every op,
join, catch-up and tick of every socket of the process waits in one queue, a third of it
connecting. Here the calls run on `WS_DB_THREADS` threads (default 4 on PostgreSQL, 1 on
SQLite, which has one writer anyway), and each thread keeps its connection open while it stays
usable: a connection that saw an error is checked and replaced, one left in a transaction is
closed, as Django does between requests.

Each socket awaits its database calls one at a time, so its own ops, catch-ups and resumes keep
their order; calls of different sockets run in parallel, and ops on one map queue on the map's
row lock as they do from the HTTP API. `transaction.on_commit` broadcasts from these threads
reach the event loop through `async_to_sync` as before: `SyncToAsync` marks the thread.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_size = 0


def thread_count() -> int:
    if settings.WS_DB_THREADS > 0:
        return settings.WS_DB_THREADS
    engine = settings.DATABASES["default"]["ENGINE"]
    return 1 if engine.endswith("sqlite3") else 4


def executor() -> ThreadPoolExecutor:
    global _executor, _size
    with _lock:
        if _executor is None:
            _size = thread_count()
            _executor = ThreadPoolExecutor(max_workers=_size, thread_name_prefix="board-db")
        return _executor


def keep_usable_connections() -> None:
    """Django's check between requests, without closing a healthy connection for its age."""
    for connection in connections.all(initialized_only=True):
        connection.close_at = None
        connection.close_if_unusable_or_obsolete()


class DatabaseSyncToAsync(SyncToAsync):
    """`channels.db.database_sync_to_async`, on the board's database threads."""

    def __init__(self, func):
        super().__init__(func, thread_sensitive=False, executor=executor())

    def thread_handler(self, loop, *args, **kwargs):
        keep_usable_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            keep_usable_connections()


database_sync_to_async = DatabaseSyncToAsync


def close_connections() -> None:
    """Close every thread's connection and start a new pool on next use (tests, before the
    test database is dropped; a dropped database refuses to go while connections remain)."""
    global _executor
    with _lock:
        old, size, _executor = _executor, _size, None
    if old is None:
        return
    # One task per thread: the barrier keeps a thread from taking two.
    barrier = threading.Barrier(size)

    def close_mine() -> None:
        connections.close_all()
        barrier.wait(timeout=10)

    for _ in range(size):
        old.submit(close_mine)
    old.shutdown(wait=True)
