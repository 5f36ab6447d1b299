"""The live board at company scale: fan-out, throughput, join storms and idle sockets.

Starts the application itself (daphne on free loopback ports, on PostgreSQL and Redis) and, in
the same run, a bare relay written with `websockets` (bench/fanout_relay.py, the floor), and puts
the same load on both from one asyncio client:

- fanout: N viewer sockets per map and W writers sending note edits over the websocket on an
  open-loop schedule. For every edit and every viewer, the time from the edit's *scheduled*
  send time until that viewer has the event (a stalled server cannot hide its own delay).
  Every viewer must get every seq exactly once; every acked op must be in PostgreSQL.
- throughput: W writers with ops in flight (closed loop), acked ops per second.
- storm: N sockets connecting at once (time to welcome, refused); ramp: joins in batches.
- idle: N idle sockets, memory per socket and CPU of the ticks.

Each case starts fresh servers and reports p50/p95/p99/max, acked ops/s, lost and duplicated
deliveries (must be 0), server CPU and RSS (from /proc) and the load average of the machine.
Results go to one JSON file per run (docs/bench/ by default); bench/fanout_plot.py draws them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python bench/fanout.py smoke          # < 2 min, non-zero exit on any loss
    ... bench/fanout.py fanout --viewers 10,100,500 --rates 2,10 --duration 10
    ... bench/fanout.py throughput --writers 1,10,50 --maps 1
    ... bench/fanout.py storm --sockets 1000
    ... bench/fanout.py idle --sockets 1000
    ... bench/fanout.py targets --runs 3            # the rows of docs/performance.md

The benchmark creates its own database, DATABASE_URL's name + `_fanout`, and drops it at the
end; Redis keys live under a prefix of the run's own, deleted at the end.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from tests.e2e.processes import (  # noqa: E402
    BIN,
    Daphne,
    die_with_parent,
    free_port,
    server_env,
    tail,
    wait_for_port,
)

ORIGIN = "http://127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
NOTES_PER_WRITER = 96


def now() -> float:
    return time.perf_counter()


def percentiles(samples: list[float]) -> dict:
    """p50/p95/p99/max in milliseconds (nearest rank), or None without samples."""
    if not samples:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(samples)

    def rank(fraction: float) -> float:
        index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))
        return round(ordered[index] * 1000, 2)

    return {
        "count": len(ordered),
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": round(ordered[-1] * 1000, 2),
    }


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# Server processes and their cost -----------------------------------------------------------------


def process_cost(pids: list[int]) -> tuple[float, int]:
    """(CPU seconds so far, resident bytes now) of these processes, from /proc."""
    cpu = 0.0
    rss = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return cpu, rss


async def wait_quiet(pids: list[int], *, below: float = 0.15, limit: float = 60.0) -> float:
    """Wait until the servers use less than `below` of a core over half a second (joins and
    their presence traffic done); the seconds it took."""
    start = now()
    cpu, _ = process_cost(pids)
    while now() - start < limit:
        await asyncio.sleep(0.5)
        later, _ = process_cost(pids)
        if (later - cpu) / 0.5 < below:
            break
        cpu = later
    return round(now() - start, 2)


class DaphneIn(Daphne):
    """tests/e2e/processes.py's Daphne, started in a checkout of our choice."""

    def __init__(self, root: Path, env: dict, log_dir: Path):
        self.port = free_port()
        self.log_path = log_dir / f"daphne-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "empathymap.asgi:application",
                ],
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )


class App:
    """empathymap: `processes` daphne processes on the bench database and Redis, running the
    code of this checkout, or of another one (`--baseline DIR`, to compare in the same run)."""

    name = "empathymap"

    def __init__(self, config: "Config", processes: int, root: Path = ROOT):
        self.config = config
        self.processes = processes
        self.root = root
        self.prefix = f"{config.prefix}{uuid.uuid4().hex[:6]}"
        self.servers: list[Daphne] = []

    def start(self) -> "App":
        env = server_env(
            database_url=self.config.database_url,
            redis_url=self.config.redis_url,
            prefix=self.prefix,
            # Throughput creates thousands of notes on one map: no cap on them here. Its writers
            # send as fast as they are answered, past the op rate one client is allowed
            # (WS_OP_RATE, 50/s: ten writers on one map stopped there at 500 ops/s), so that
            # limit is lifted too: these cases measure the server, not the limit.
            **{
                "MAX_NOTES_PER_MAP": "10000000",
                "WS_OP_RATE": "1000000",
                **self.config.server_env,
            },
        )
        self.servers = [
            DaphneIn(self.root, env, self.config.log_dir) for _ in range(self.processes)
        ]
        for server in self.servers:
            server.wait()
        return self

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]

    @property
    def pids(self) -> list[int]:
        return [server.process.pid for server in self.servers]

    def stop(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGKILL)
                server.process.wait(timeout=10)
        self.config.forget_prefix(self.prefix)

    def logs(self) -> str:
        """The last lines of the servers' logs, without daphne's access log."""
        lines = []
        for server in self.servers:
            text = tail(server.log_path, 400).splitlines()
            lines += [line for line in text if '"WS' not in line and "took too long" not in line]
        return "\n".join(lines[-20:])


class Relay:
    """The floor: bench/fanout_relay.py, one process, no database."""

    name = "relay"

    def __init__(self, config: "Config", processes: int = 1):
        self.config = config
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "Relay":
        log = (self.config.log_dir / f"relay-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "fanout_relay.py"), str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        wait_for_port(self.port, process=self.process)
        return self

    @property
    def ports(self) -> list[int]:
        return [self.port]

    @property
    def pids(self) -> list[int]:
        return [self.process.pid]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def logs(self) -> str:
        return tail(self.config.log_dir / f"relay-{self.port}.log", 15)


# The clients -------------------------------------------------------------------------------------


class Run:
    """What one case's clients share: the schedule of every op and what came back."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:8]
        self.scheduled: dict[str, float] = {}
        self.acked: dict[str, int] = {}  # op_id -> seq
        self.errors: list[dict] = []
        self.latencies: list[float] = []  # edit to viewer, per (edit, viewer)
        self.ack_latencies: list[float] = []
        self.futures: dict[str, asyncio.Future] = {}
        self.measuring = False
        self.last_presence = 0.0  # when any socket last got a presence message
        self.presence_measured = 0  # presence messages that arrived while measuring


# `--presence-diff`: sockets ask for presence as changes (`?presence=diff`), as the board does.
PRESENCE_QUERY = {"value": ""}


async def open_socket(port: int, map_id: int, token: str, timeout: float):
    return await connect(
        f"ws://127.0.0.1:{port}/ws/maps/{map_id}/{PRESENCE_QUERY['value']}",
        origin=f"{ORIGIN}:{port}",
        additional_headers={"Authorization": f"Token {token}"},
        open_timeout=timeout,
        close_timeout=1,
        ping_interval=None,
        max_queue=None,
        compression=None,
        max_size=None,
    )


class Viewer:
    """A socket that records every event it gets: seqs (for loss and duplicates) and latency."""

    def __init__(self, run: Run, token: str, map_id: int, port: int):
        self.run = run
        self.token = token
        self.map_id = map_id
        self.port = port
        self.ws = None
        self.base_seq = 0
        self.last_seq = 0
        self.seen: set[int] = set()
        self.duplicates = 0
        self.out_of_order = 0
        self.reloads = 0
        self.reconnects = 0
        self.presence = 0
        self.presence_bytes = 0
        self.welcome_seconds: float | None = None
        self.refused: str | None = None
        self.task: asyncio.Task | None = None
        self.closing = False

    async def open(self, timeout: float = 30.0) -> bool:
        start = now()
        try:
            self.ws = await open_socket(self.port, self.map_id, self.token, timeout)
            welcome = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        except Exception as error:  # refused, timed out, closed by the server
            self.refused = type(error).__name__
            if self.ws is not None:
                self.ws.transport.abort()
            return False
        if welcome.get("type") != "welcome":
            self.refused = f"first message {welcome.get('type')}"
            return False
        self.welcome_seconds = now() - start
        self.base_seq = self.last_seq = welcome["seq"]
        self.task = asyncio.create_task(self.read())
        return True

    async def read(self) -> None:
        while not self.closing:
            try:
                async for raw in self.ws:
                    self.receive(raw, now())
            except Exception:  # noqa: S110 - the close code below says what happened
                pass
            if self.closing:
                return
            # Told to reconnect (4408) or dropped: reconnect and resume, as the board does.
            self.reconnects += 1
            try:
                self.ws = await open_socket(self.port, self.map_id, self.token, 30)
                await self.ws.recv()  # welcome
                await self.ws.send(json.dumps({"type": "resume", "since": self.last_seq}))
            except Exception:
                await asyncio.sleep(0.5)

    def receive(self, raw, at: float) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "event":
            seq = message["seq"]
            if seq in self.seen:
                self.duplicates += 1
                return
            self.seen.add(seq)
            if seq < self.last_seq:
                self.out_of_order += 1
            self.last_seq = max(self.last_seq, seq)
            scheduled = self.run.scheduled.get(message.get("op_id"))
            if scheduled is not None and self.run.measuring:
                self.run.latencies.append(at - scheduled)
        elif kind in ("presence", "presence.diff"):
            self.presence += 1
            self.presence_bytes += len(raw)
            self.run.last_presence = at
            if self.run.measuring:
                self.run.presence_measured += 1
        elif kind == "reload":
            self.reloads += 1

    def missing(self, final_seq: int) -> int:
        expected = final_seq - self.base_seq
        return max(0, expected - sum(1 for seq in self.seen if self.base_seq < seq <= final_seq))

    def close(self) -> None:
        self.closing = True
        if self.task is not None:
            self.task.cancel()
        if self.ws is not None:
            self.ws.transport.abort()


class Writer(Viewer):
    """A socket that sends note edits (text, with the note's version) and reads the acks."""

    def __init__(self, run: Run, token: str, map_id: int, port: int, notes: list[int], name: str):
        super().__init__(run, token, map_id, port)
        self.name = name
        self.versions = dict.fromkeys(notes, 1)
        self.free: asyncio.Queue = asyncio.Queue()
        for note in notes:
            self.free.put_nowait(note)
        self.numbers = itertools.count()
        self.notes_of: dict[str, int] = {}

    def receive(self, raw, at: float) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "ack":
            op_id = message["op_id"]
            self.run.acked[op_id] = message["seq"]
            self.run.ack_latencies.append(at - self.run.scheduled[op_id])
            note = message["note"]
            self.versions[note["id"]] = note["version"]
            self.release(op_id)
        elif kind == "error":
            op_id = message.get("op_id")
            self.run.errors.append(message)
            current = message.get("current")
            if current:
                self.versions[current["id"]] = current["version"]
            self.release(op_id)

    def release(self, op_id: str) -> None:
        note = self.notes_of.pop(op_id, None)
        if note is not None:
            self.free.put_nowait(note)
        future = self.run.futures.pop(op_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def send_op(self, scheduled: float) -> asyncio.Future:
        op_id = f"{self.run.tag}-{self.name}-{next(self.numbers)}"
        self.run.scheduled[op_id] = scheduled
        future = asyncio.get_running_loop().create_future()
        self.run.futures[op_id] = future
        note = await self.free.get()  # waits only when every note has an op in flight
        self.notes_of[op_id] = note
        op = {
            "type": "op",
            "op_id": op_id,
            "action": "note.update",
            "data": {
                "id": note,
                "version": self.versions[note],
                "text": f"Edit {op_id}: customers say the onboarding takes too long",
            },
        }
        await self.ws.send(json.dumps(op))
        return future

    async def open_loop(self, start: float, rate: float, count: int) -> None:
        for number in range(count):
            scheduled = start + number / rate
            delay = scheduled - now()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.send_op(scheduled)

    async def closed_loop(self, until: float) -> None:
        while now() < until:
            future = await self.send_op(now())
            await future


async def open_many(sockets: list[Viewer], *, batch: int, timeout: float) -> float:
    """Open the sockets `batch` at a time; the seconds it took."""
    start = now()
    for index in range(0, len(sockets), batch):
        await asyncio.gather(*(socket.open(timeout) for socket in sockets[index : index + batch]))
    return round(now() - start, 2)


def close_all(sockets: list[Viewer]) -> None:
    for socket in sockets:
        socket.close()


# The cases ---------------------------------------------------------------------------------------


class Config:
    def __init__(self, args, database_url: str, seed: dict):
        self.args = args
        self.database_url = database_url
        self.redis_url = args.redis_url
        self.seed = seed
        self.prefix = f"{args.prefix}fo"
        self.log_dir = Path(args.log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.server_env = dict(item.split("=", 1) for item in args.server_env)

    def forget_prefix(self, prefix: str) -> None:
        """Delete the Redis keys (groups, presence) a stopped cluster left under its prefix."""
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            for index in range(0, len(keys), 500):
                client.delete(*keys[index : index + 500])
            client.close()
        except Exception as error:
            print(f"  (could not delete Redis keys under {prefix}: {error!r})", file=sys.stderr)


def note_versions(database_url: str, note_ids: list[int]) -> dict[int, int]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT id, version FROM maps_note WHERE id = ANY(%s)", (note_ids,)
        ).fetchall()
    return dict(rows)


def committed(database_url: str, op_ids: list[str]) -> set[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT op_id FROM maps_mapevent WHERE op_id = ANY(%s)", (op_ids,)
        ).fetchall()
    return {row[0] for row in rows}


async def drain(viewers: list[Viewer], final: dict[int, int], limit: float) -> float:
    """Wait until every viewer has its map's last seq (or `limit` seconds); seconds waited."""
    start = now()
    while now() - start < limit:
        if all(viewer.last_seq >= final.get(viewer.map_id, 0) for viewer in viewers):
            break
        await asyncio.sleep(0.05)
    return round(now() - start, 2)


async def presence_settled(run: Run, sockets_per_process: int, limit: float = 30.0) -> float:
    """Wait until the joins' presence has gone out: no socket has had a presence message for
    longer than a server waits to coalesce one (maps/feeds.py: 250 ms, times the sockets of a
    process over 50, at most a heartbeat), plus two seconds. Otherwise a round of presence
    lists (about 90 bytes a viewer, to every viewer) lands inside the measured edits and the
    one client parsing them all stalls, which reads as the server's latency. Presence costs
    are measured by the `storm` and `idle` cases."""
    quiet = min(0.25 * max(1.0, sockets_per_process / 50), 7.5) + 2.0
    start = now()
    while now() - start < limit:
        idle = now() - run.last_presence
        if idle >= quiet:
            break
        await asyncio.sleep(quiet - idle)
    return round(now() - start, 2)


async def fanout_case(server, config: Config, params: dict) -> dict:
    """Viewers on `maps` maps, writers sending `rate` edits/s per map for `duration` s."""
    seed = config.seed
    run = Run()
    ports = server.ports
    maps = seed["maps"][: params["maps"]]
    viewers: list[Viewer] = []
    writers: list[Writer] = []
    tokens = iter(seed["viewers"])
    for map_index, map_id in enumerate(maps):
        for number in range(params["viewers"]):
            port = ports[(map_index * params["viewers"] + number) % len(ports)]
            viewers.append(Viewer(run, next(tokens), map_id, port))
        for number in range(params["writers"]):
            token = seed["writers"][number]
            notes = seed["notes"][str(map_id)][number]
            port = ports[number % len(ports)]
            writers.append(Writer(run, token, map_id, port, notes, f"m{map_index}w{number}"))
    try:
        if isinstance(server, App):
            # Earlier cases and targets edited these notes: start from their stored versions.
            versions = note_versions(config.database_url, [n for w in writers for n in w.versions])
            for writer in writers:
                writer.versions.update({n: versions[n] for n in writer.versions})
        # Writers first: a server that refuses joins under load must still be measurable.
        await open_many(writers, batch=50, timeout=30)
        if not all(writer.welcome_seconds is not None for writer in writers):
            raise RuntimeError(f"a writer could not connect to {server.name}")
        join_seconds = await open_many(viewers, batch=params["join_batch"], timeout=30)
        connected = [viewer for viewer in viewers if viewer.welcome_seconds is not None]
        settle_seconds = await wait_quiet(server.pids)
        settle_seconds += await presence_settled(run, params["viewers"] // max(1, len(ports)))
        cpu_before, _ = process_cost(server.pids)
        load_before = load_average()
        client_before = time.process_time()
        run.measuring = True
        start = now() + 0.2
        mode = params["mode"]
        if mode == "open":
            per_writer = params["rate"] / params["writers"]
            count = int(round(per_writer * params["duration"]))
            await asyncio.gather(
                *(
                    writer.open_loop(
                        start + (index % params["writers"]) / params["rate"], per_writer, count
                    )
                    for index, writer in enumerate(writers)
                )
            )
        else:
            until = start + params["duration"]
            await asyncio.sleep(0.2)
            await asyncio.gather(
                *(
                    writer.closed_loop(until)
                    for writer in writers
                    for _ in range(params["inflight"])
                )
            )
        sent_seconds = now() - start
        # Every op answered (or 30 s), then every viewer caught up (or 30 s).
        wait_start = now()
        while len(run.acked) + len(run.errors) < len(run.scheduled) and now() - wait_start < 30:
            await asyncio.sleep(0.05)
        acked_seconds = now() - start
        final = {}
        for writer in writers:
            for op_id, seq in run.acked.items():
                if op_id.split("-")[1] == writer.name:
                    final[writer.map_id] = max(final.get(writer.map_id, 0), seq)
        drain_seconds = await drain(connected, final, 30)
        run.measuring = False
        cpu_after, rss = process_cost(server.pids)
        client_cpu = time.process_time() - client_before
        elapsed = now() - start
        lost = sum(viewer.missing(final.get(viewer.map_id, 0)) for viewer in connected)
        duplicated = sum(viewer.duplicates for viewer in connected)
        expected = sum(final.get(v.map_id, 0) - v.base_seq for v in connected)
        unanswered = len(run.scheduled) - len(run.acked) - len(run.errors)
        uncommitted = None
        if isinstance(server, App) and run.acked:
            uncommitted = len(set(run.acked) - committed(config.database_url, list(run.acked)))
        result = {
            "viewers": len(viewers),
            "connected": len(connected),
            "refused": len(viewers) - len(connected),
            "join_seconds": join_seconds,
            "settle_seconds": settle_seconds,
            "latency_ms": percentiles(run.latencies),
            "ack_ms": percentiles(run.ack_latencies),
            "ops": {
                "sent": len(run.scheduled),
                "acked": len(run.acked),
                "errors": len(run.errors),
                "unanswered": unanswered,
                "uncommitted": uncommitted,
            },
            "acked_ops_per_s": round(len(run.acked) / max(acked_seconds, 1e-9), 1),
            "send_seconds": round(sent_seconds, 2),
            "deliveries": {
                "expected": expected,
                "lost": lost,
                "duplicated": duplicated,
                "out_of_order": sum(viewer.out_of_order for viewer in connected),
                "drain_seconds": drain_seconds,
            },
            "reconnects": sum(viewer.reconnects for viewer in connected),
            "reloads": sum(viewer.reloads for viewer in connected),
            "presence_messages": sum(viewer.presence for viewer in connected),
            "presence_messages_measured": run.presence_measured,
            "server": {
                "processes": len(server.pids),
                "cpu_percent": round(100 * (cpu_after - cpu_before) / elapsed, 1),
                # CPU spent per acked op, its deliveries included: unlike the latencies, barely
                # moved by other work on the machine.
                "cpu_ms_per_op": round(1000 * (cpu_after - cpu_before) / max(1, len(run.acked)), 2),
                "rss_mb": round(rss / 2**20, 1),
            },
            "client_cpu_percent": round(100 * client_cpu / elapsed, 1),
            "load_before": load_before,
            "load_after": load_average(),
        }
        if run.errors:
            result["first_error"] = run.errors[0]
        return result
    finally:
        close_all(viewers + writers)


async def storm_case(server, config: Config, params: dict) -> dict:
    """`sockets` sockets connecting to one map at once; or, with `batch`, `batch` at a time,
    recording the join rate as the board fills."""
    run = Run()
    map_id = config.seed["maps"][0]
    ports = server.ports
    tokens = config.seed["viewers"][: params["sockets"]]
    viewers = [Viewer(run, token, map_id, ports[i % len(ports)]) for i, token in enumerate(tokens)]
    load_before = load_average()
    cpu_start, _ = process_cost(server.pids)
    try:
        start = now()
        rates = []
        if params.get("batch"):
            batch = params["batch"]
            for index in range(0, len(viewers), batch):
                group = viewers[index : index + batch]
                began = now()
                await asyncio.gather(*(viewer.open(30) for viewer in group))
                rates.append(
                    {"on_board": index, "joins_per_s": round(len(group) / (now() - began), 1)}
                )
                if all(viewer.welcome_seconds is None for viewer in group):
                    break  # the ceiling: nothing gets in any more
        else:
            await asyncio.gather(*(viewer.open(30) for viewer in viewers))
        total = now() - start
        welcomed = [viewer.welcome_seconds for viewer in viewers if viewer.welcome_seconds]
        refused: dict[str, int] = {}
        for viewer in viewers:
            if viewer.refused:
                refused[viewer.refused] = refused.get(viewer.refused, 0) + 1
        settle = await wait_quiet(server.pids)
        cpu, rss = process_cost(server.pids)
        result = {
            "sockets": len(viewers),
            "welcomed": len(welcomed),
            "refused": sum(refused.values()),
            "refused_by": refused,
            "welcome_ms": percentiles(welcomed),
            "all_welcomed_seconds": round(total, 2),
            "settle_seconds": settle,
            "presence_messages": sum(viewer.presence for viewer in viewers),
            "presence_mb": round(sum(viewer.presence_bytes for viewer in viewers) / 2**20, 1),
            "server_cpu_seconds": round(cpu - cpu_start, 2),  # the joins and their presence
            "server": {"processes": len(server.pids), "rss_mb": round(rss / 2**20, 1)},
            "load_before": load_before,
            "load_after": load_average(),
        }
        if rates:
            result["ramp"] = rates
        return result
    finally:
        close_all(viewers)


async def idle_case(server, config: Config, params: dict) -> dict:
    """Memory per idle socket, and the CPU their ticks cost over `idle_seconds`."""
    run = Run()
    map_id = config.seed["maps"][0]
    ports = server.ports
    tokens = config.seed["viewers"][: params["sockets"]]
    viewers = [Viewer(run, token, map_id, ports[i % len(ports)]) for i, token in enumerate(tokens)]
    load_before = load_average()
    try:
        # One socket first, so that lazily built state (imports, pools) is not counted.
        await viewers[0].open(30)
        await wait_quiet(server.pids)
        _, rss_before = process_cost(server.pids)
        join_seconds = await open_many(viewers[1:], batch=params["join_batch"], timeout=30)
        await wait_quiet(server.pids)
        cpu_before, _ = process_cost(server.pids)
        await asyncio.sleep(params["idle_seconds"])
        cpu_after, rss_after = process_cost(server.pids)
        connected = sum(1 for viewer in viewers if viewer.welcome_seconds is not None)
        return {
            "sockets": len(viewers),
            "connected": connected,
            "join_seconds": join_seconds,
            "rss_mb_before": round(rss_before / 2**20, 1),
            "rss_mb_after": round(rss_after / 2**20, 1),
            "kb_per_socket": round((rss_after - rss_before) / 1024 / max(1, connected - 1), 1),
            "idle_cpu_percent": round(100 * (cpu_after - cpu_before) / params["idle_seconds"], 1),
            "presence_messages": sum(viewer.presence for viewer in viewers),
            "load_before": load_before,
            "load_after": load_average(),
        }
    finally:
        close_all(viewers)


CASES = {"fanout": fanout_case, "throughput": fanout_case, "storm": storm_case, "idle": idle_case}


async def run_case(config: Config, case: str, params: dict, targets: list[str]) -> dict:
    """One case against each target on fresh servers: {"empathymap": {...}, "relay": {...}}."""
    results = {}
    for target in targets:
        processes = params.get("processes", 1)
        if target == "relay":
            server = Relay(config)
        elif target == "baseline":
            server = App(config, processes, root=Path(config.args.baseline).resolve())
        else:
            server = App(config, processes)
        server.start()
        try:
            results[target] = await CASES[case](server, config, params)
        except Exception as error:
            results[target] = {"failed": repr(error)}
            print(f"  {target} failed: {error!r}\n{server.logs()}", file=sys.stderr)
        finally:
            server.stop()
    return results


def ratio(app: dict, floor: dict, path: tuple[str, str]) -> float | None:
    try:
        value, base = app[path[0]][path[1]], floor[path[0]][path[1]]
    except (KeyError, TypeError):
        return None
    if value is None or not base:
        return None
    return round(value / base, 1)


def summary_line(case: str, params: dict, results: dict) -> str:
    parts = [f"{case} {json.dumps(params, separators=(',', ':'))}"]
    for target, result in results.items():
        if "failed" in result:
            parts.append(f"  {target}: FAILED {result['failed']}")
        elif case in ("fanout", "throughput"):
            latency = result["latency_ms"]
            delivery = result["deliveries"]
            parts.append(
                f"  {target}: p50 {latency['p50']} p95 {latency['p95']} p99 {latency['p99']} "
                f"max {latency['max']} ms | ack p50 {result['ack_ms']['p50']} ms | "
                f"{result['acked_ops_per_s']} acked ops/s | connected "
                f"{result['connected']}/{result['viewers']} | lost {delivery['lost']} dup "
                f"{delivery['duplicated']} | unanswered {result['ops']['unanswered']} "
                f"uncommitted {result['ops']['uncommitted']} | server cpu "
                f"{result['server']['cpu_percent']}% ({result['server']['cpu_ms_per_op']} ms/op) "
                f"rss {result['server']['rss_mb']} MB | "
                f"client cpu {result['client_cpu_percent']}% | load {result['load_before']}"
            )
        elif case == "storm":
            parts.append(
                f"  {target}: welcomed {result['welcomed']}/{result['sockets']} in "
                f"{result['all_welcomed_seconds']} s, welcome p50 {result['welcome_ms']['p50']} "
                f"p99 {result['welcome_ms']['p99']} ms, refused {result['refused_by']}"
                + (f", ramp {result['ramp']}" if "ramp" in result else "")
                + f" | load {result['load_before']}"
            )
        else:
            parts.append(
                f"  {target}: {result['connected']} sockets, {result['kb_per_socket']} KB each, "
                f"idle cpu {result['idle_cpu_percent']}% | load {result['load_before']}"
            )
    return "\n".join(parts)


def problems(case: str, results: dict) -> list[str]:
    """What makes a run fail: a lost, duplicated or uncommitted delivery, an op unanswered."""
    found = []
    for target, result in results.items():
        if "failed" in result:
            found.append(f"{target}: {result['failed']}")
            continue
        if case not in ("fanout", "throughput"):
            continue
        delivery, ops = result["deliveries"], result["ops"]
        for name, value in (
            ("lost deliveries", delivery["lost"]),
            ("duplicated deliveries", delivery["duplicated"]),
            ("out-of-order deliveries", delivery["out_of_order"]),
            ("unanswered ops", ops["unanswered"]),
            ("refused ops", ops["errors"]),
            ("acked ops missing from PostgreSQL", ops["uncommitted"] or 0),
            ("refused viewers", result["refused"]),
        ):
            if value:
                found.append(f"{target}: {value} {name}")
    return found


def median_of(runs: list[dict], case: str) -> dict:
    """The median over repeated runs of the numbers the target table quotes."""
    summary = {}
    targets = {target for run in runs for target in run}
    for target in sorted(targets):
        results = [run[target] for run in runs if "failed" not in run.get(target, {"failed": 1})]
        if not results:
            continue
        if case in ("fanout", "throughput"):
            picks = {
                "p50": lambda r: r["latency_ms"]["p50"],
                "p95": lambda r: r["latency_ms"]["p95"],
                "p99": lambda r: r["latency_ms"]["p99"],
                "max": lambda r: r["latency_ms"]["max"],
                "acked_ops_per_s": lambda r: r["acked_ops_per_s"],
                "ack_p50": lambda r: r["ack_ms"]["p50"],
                "server_cpu_percent": lambda r: r["server"]["cpu_percent"],
                "server_cpu_ms_per_op": lambda r: r["server"].get("cpu_ms_per_op"),
                "lost": lambda r: r["deliveries"]["lost"],
                "duplicated": lambda r: r["deliveries"]["duplicated"],
            }
        elif case == "storm":
            picks = {
                "welcomed": lambda r: r["welcomed"],
                "refused": lambda r: r["refused"],
                "welcome_p50": lambda r: r["welcome_ms"]["p50"],
                "welcome_p99": lambda r: r["welcome_ms"]["p99"],
                "all_welcomed_seconds": lambda r: r["all_welcomed_seconds"],
            }
        else:
            picks = {
                "kb_per_socket": lambda r: r["kb_per_socket"],
                "idle_cpu_percent": lambda r: r["idle_cpu_percent"],
            }
        summary[target] = {}
        for name, pick in picks.items():
            values = [pick(result) for result in results if pick(result) is not None]
            summary[target][name] = statistics.median(values) if values else None
    floor = summary.get("relay")
    for target, key in (("empathymap", "ratio_to_floor"), ("baseline", "baseline_ratio_to_floor")):
        app = summary.get(target)
        if app and floor and case in ("fanout", "throughput"):
            summary[key] = {
                name: round(app[name] / floor[name], 1) if app[name] and floor[name] else None
                for name in ("p50", "p99", "acked_ops_per_s")
            }
    return summary


# Plans: which cases a subcommand runs ------------------------------------------------------------


def fanout_params(viewers: int, rate: float, args, **extra) -> dict:
    params = {
        "mode": "open",
        "viewers": viewers,
        "rate": rate,
        "writers": args.writers_per_map,
        "maps": args.maps,
        "duration": args.duration,
        "processes": args.processes,
        "join_batch": args.join_batch,
    }
    params.update(extra)
    return params


def throughput_params(writers: int, args, **extra) -> dict:
    params = {
        "mode": "closed",
        "viewers": args.viewers_per_map,
        "writers": writers,
        "maps": args.maps,
        "duration": args.duration,
        "processes": args.processes,
        "join_batch": args.join_batch,
    }
    params.update(extra)
    # --inflight is for all writers together, on every map.
    params.setdefault("inflight", max(1, args.inflight // (writers * params["maps"])))
    return params


def numbers(text: str) -> list:
    return [float(item) if "." in item else int(item) for item in text.split(",") if item]


def plan(args) -> list[tuple[str, dict]]:
    command = args.command
    if command == "smoke":
        return [
            ("fanout", fanout_params(40, 10, args, writers=2, duration=8, join_batch=20)),
            ("throughput", throughput_params(4, args, viewers=5, inflight=4, duration=4)),
            ("storm", {"sockets": 60, "processes": 1}),
        ]
    if command == "fanout":
        return [
            ("fanout", fanout_params(viewers, rate, args))
            for viewers in numbers(args.viewers)
            for rate in numbers(args.rates)
        ]
    if command == "throughput":
        return [("throughput", throughput_params(w, args)) for w in numbers(args.writers)]
    if command == "storm":
        return [
            ("storm", {"sockets": sockets, "processes": args.processes, "batch": args.batch})
            for sockets in numbers(args.sockets)
        ]
    if command == "idle":
        return [
            (
                "idle",
                {
                    "sockets": sockets,
                    "processes": args.processes,
                    "join_batch": args.join_batch,
                    "idle_seconds": args.idle_seconds,
                },
            )
            for sockets in numbers(args.sockets)
        ]
    if command == "targets":
        big = args.big_viewers
        return [
            ("fanout", fanout_params(100, 10, args, maps=1, processes=1)),
            ("fanout", fanout_params(big, 5, args, maps=1, processes=1)),
            ("fanout", fanout_params(2 * big, 5, args, maps=1, processes=2)),
            ("throughput", throughput_params(10, args, viewers=1, maps=1, processes=1)),
            ("throughput", throughput_params(10, args, viewers=1, maps=10, processes=1)),
            ("storm", {"sockets": 2 * big, "processes": 1}),
            (
                "idle",
                {
                    "sockets": 2 * big,
                    "processes": 1,
                    "join_batch": args.join_batch,
                    "idle_seconds": args.idle_seconds,
                },
            ),
        ]
    raise SystemExit(f"unknown command {command}")


def seed_sizes(cases: list[tuple[str, dict]]) -> tuple[int, int, int]:
    maps = max(params.get("maps", 1) for _, params in cases)
    writers = max(params.get("writers", 0) for _, params in cases) or 1
    sockets = max(
        params.get("viewers", 0) * params.get("maps", 1) + 1
        if case in ("fanout", "throughput")
        else params.get("sockets", 0)
        for case, params in cases
    )
    return maps, max(sockets, 1), writers


# The database ------------------------------------------------------------------------------------


def bench_database(base_url: str) -> tuple[str, str]:
    parsed = urlparse(base_url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise SystemExit("bench/fanout.py needs DATABASE_URL to name a PostgreSQL database")
    name = f"{parsed.path.lstrip('/')}_fanout"
    admin = urlunparse(parsed._replace(path="/postgres"))
    return urlunparse(parsed._replace(path=f"/{name}")), admin


def create_database(base_url: str, cases, log) -> tuple[str, dict]:
    url, admin = bench_database(base_url)
    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    env = server_env(database_url=url, redis_url="", prefix="unused")
    started = now()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    maps, sockets, writers = seed_sizes(cases)
    done = subprocess.run(
        [
            sys.executable,
            "bench/fanout_seed.py",
            str(maps),
            str(sockets),
            str(writers),
            str(NOTES_PER_WRITER),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log(
        f"database {name}: migrated and seeded ({maps} maps, {sockets} viewers, {writers} "
        f"writers) in {now() - started:.1f} s"
    )
    return url, json.loads(done.stdout)


def drop_database(url: str) -> None:
    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average": load_average(),
    }


def git_commit() -> str:
    with contextlib.suppress(Exception):
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    return ""


# Entry point -------------------------------------------------------------------------------------


def parse_args(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    common.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    common.add_argument("--prefix", default=os.environ.get("CHANNEL_PREFIX", "bench"))
    common.add_argument("--runs", type=int, default=1, help="repeat each case; JSON has medians")
    common.add_argument("--processes", type=int, default=1, help="daphne processes")
    common.add_argument("--maps", type=int, default=1)
    common.add_argument("--duration", type=float, default=10.0, help="seconds of load per case")
    common.add_argument("--join-batch", type=int, default=25, help="viewers joining at once")
    common.add_argument("--writers-per-map", type=int, default=1)
    common.add_argument("--viewers-per-map", type=int, default=1, help="throughput's viewers")
    common.add_argument("--inflight", type=int, default=32, help="ops in flight, all writers")
    common.add_argument("--idle-seconds", type=float, default=15.0)
    common.add_argument("--target", choices=["both", "empathymap", "relay"], default="both")
    common.add_argument(
        "--presence-diff",
        action="store_true",
        help="sockets ask for presence as changes (?presence=diff), as the board does",
    )
    common.add_argument(
        "--baseline", help="another checkout of empathymap to measure in the same run, too"
    )
    common.add_argument("--out", help="JSON file (default docs/bench/COMMAND-TIME.json)")
    common.add_argument("--no-out", action="store_true", help="write no JSON file")
    common.add_argument("--log-dir", default=str(Path(tempfile.gettempdir()) / "empathymap-bench"))
    common.add_argument(
        "--server-env", action="append", default=[], help="NAME=VALUE for the daphne processes"
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("smoke", parents=[common], help="< 2 min; fails on any loss")
    fanout = commands.add_parser("fanout", parents=[common], help="edit-to-peer latency")
    fanout.add_argument("--viewers", default="10,100", help="viewers per map, comma-separated")
    fanout.add_argument("--rates", default="2,10", help="edits/s per map, comma-separated")
    throughput = commands.add_parser("throughput", parents=[common], help="acked ops/s")
    throughput.add_argument("--writers", default="1,10,50")
    storm = commands.add_parser("storm", parents=[common], help="sockets connecting at once")
    storm.add_argument("--sockets", default="300")
    storm.add_argument("--batch", type=int, default=0, help="join this many at a time instead")
    idle = commands.add_parser("idle", parents=[common], help="memory per idle socket")
    idle.add_argument("--sockets", default="400")
    targets = commands.add_parser("targets", parents=[common], help="the target table's rows")
    targets.add_argument(
        "--big-viewers", type=int, default=500, help="the 500-viewer row (doubled for 1,000)"
    )
    return parser.parse_args(argv)


async def main_async(args) -> int:
    def log(text: str) -> None:
        print(text, flush=True)

    cases = plan(args)
    targets = ["empathymap", "relay"] if args.target == "both" else [args.target]
    if args.presence_diff:
        if "relay" in targets:
            raise SystemExit("--presence-diff is empathymap's: use it with --target empathymap")
        PRESENCE_QUERY["value"] = "?presence=diff"
    if args.baseline:
        targets.insert(1, "baseline")
    if not args.redis_url:
        raise SystemExit("bench/fanout.py needs REDIS_URL (the channel layer of a real cluster)")
    report = {
        "command": " ".join(sys.argv[1:]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        "cases": [],
    }
    log(f"load average {report['machine']['load_average']} on {os.cpu_count()} cores")
    url, seed = create_database(args.database_url, cases, log)
    config = Config(args, url, seed)
    failures = []
    try:
        for case, params in cases:
            runs = []
            for number in range(args.runs):
                results = await run_case(config, case, params, targets)
                runs.append(results)
                log(f"[{number + 1}/{args.runs}] " + summary_line(case, params, results))
                failures.extend(problems(case, results))
            entry = {"case": case, "params": params, "runs": runs}
            if args.runs > 1 or len(targets) > 1:
                entry["median"] = median_of(runs, case)
            report["cases"].append(entry)
    finally:
        drop_database(url)
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["load_average_after"] = load_average()
    report["problems"] = failures
    if not args.no_out:
        stamp = report["started"][:16].replace(":", "")
        default = ROOT / "docs" / "bench" / f"{args.command}-{stamp}.json"
        out = Path(args.out) if args.out else default
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n")
        log(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if failures:
        log("FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == "smoke":
        args.no_out = args.no_out or not args.out
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
