// The board's socket against a scripted server: jittered exponential backoff, unacked ops sent
// again with their op_id after a reconnect or a retryable error, and a seq gap caught up by a
// resume. Run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

// The browser globals board-socket.js reads, before it is imported.
globalThis.window = new EventTarget();
globalThis.location = { protocol: "http:", host: "board.test" };
globalThis.navigator = { onLine: true };

class FakeWebSocket {
  static OPEN = 1;
  static opened = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.OPEN;
    this.sent = [];
    this.listeners = {};
    FakeWebSocket.opened.push(this);
  }

  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.readyState = 3;
  }

  /** The server says something. */
  receive(message) {
    for (const listener of this.listeners.message || []) listener({ data: JSON.stringify(message) });
  }

  /** The connection is lost (a process killed, a network cut). */
  drop(code = 1006) {
    this.readyState = 3;
    for (const listener of this.listeners.close || []) listener({ code });
  }

  ops() {
    return this.sent.filter((message) => message.type === "op");
  }
}
globalThis.WebSocket = FakeWebSocket;

const { BoardSocket } = await import("../../static/js/board-socket.js");

// Timers under the test's control: each setTimeout is recorded and run by hand.
let timers;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realRandom = Math.random;

beforeEach(() => {
  timers = [];
  FakeWebSocket.opened = [];
  globalThis.setTimeout = (callback, delay) => {
    const timer = { callback, delay, done: false };
    timers.push(timer);
    return timer;
  };
  globalThis.clearTimeout = (timer) => {
    if (timer) timer.done = true;
  };
});

afterEach(() => {
  globalThis.setTimeout = realSetTimeout;
  globalThis.clearTimeout = realClearTimeout;
  Math.random = realRandom;
});

function runTimers() {
  const due = timers.filter((timer) => !timer.done);
  for (const timer of due) {
    timer.done = true;
    timer.callback();
  }
  return due.map((timer) => timer.delay);
}

function lastSocket() {
  return FakeWebSocket.opened[FakeWebSocket.opened.length - 1];
}

function connected(seq = 0) {
  const socket = new BoardSocket("/ws/maps/1/", { seq });
  socket.connect();
  lastSocket().receive({ type: "welcome", seq, user: { username: "bob" }, presence: [] });
  return socket;
}

test("reconnects after exponentially longer waits, each jittered around its step", () => {
  const socket = new BoardSocket("/ws/maps/1/");
  socket.connect();
  const waits = [];
  for (const random of [0, 0.999, 0.5, 0, 0]) {
    Math.random = () => random;
    lastSocket().drop();
    waits.push(...runTimers());
  }
  // Half to one and a half times 300, 1000, 2000, 4000, 8000 ms.
  assert.deepEqual(
    waits.map(Math.round),
    [150, 1499, 2000, 2000, 4000],
  );
  assert.equal(FakeWebSocket.opened.length, 6);
  assert.equal(socket.state, "offline");
});

test("two clients dropped together wait different times", () => {
  Math.random = realRandom;
  const first = new BoardSocket("/ws/maps/1/");
  const second = new BoardSocket("/ws/maps/1/");
  first.connect();
  const firstSocket = lastSocket();
  second.connect();
  lastSocket().drop();
  firstSocket.drop();
  const [secondWait, firstWait] = runTimers();
  assert.notEqual(firstWait, secondWait);
});

test("a welcome resets the backoff", () => {
  const socket = connected();
  Math.random = () => 0.5;
  for (let drops = 0; drops < 3; drops++) {
    lastSocket().drop();
    runTimers();
  }
  lastSocket().receive({ type: "welcome", seq: 0, user: { username: "bob" }, presence: [] });
  lastSocket().drop();
  assert.deepEqual(runTimers(), [300]);
  assert.equal(socket.attempt, 1);
});

test("an op unacked when the socket drops is sent again with the same op_id", async () => {
  const socket = connected(4);
  const { opId, done } = socket.op("note.create", { section: "says", text: "Hello" });
  const [sent] = lastSocket().ops();
  assert.equal(sent.op_id, opId);

  lastSocket().drop(); // the ack is lost with the socket
  runTimers();
  const next = lastSocket();
  next.receive({ type: "welcome", seq: 5, user: { username: "bob" }, presence: [] });
  assert.deepEqual(next.ops(), [sent]);
  // Behind the welcome's seq: it asks for what it missed from its last seq.
  assert.deepEqual(next.sent.find((message) => message.type === "resume"), { type: "resume", since: 4 });

  next.receive({ type: "ack", op_id: opId, seq: 5, note: { id: 9 } });
  assert.equal((await done).seq, 5);
  assert.equal(socket.pending.size, 0);
});

test("an op refused as unavailable stays pending and is sent again, same op_id", async () => {
  const socket = connected();
  const { opId, done } = socket.op("note.update", { id: 3, version: 2, text: "Later" });
  Math.random = () => 0;
  lastSocket().receive({ type: "error", op_id: opId, code: "unavailable", detail: "read-only" });
  assert.equal(socket.pending.size, 1);
  assert.deepEqual(runTimers(), [2000]);
  const ops = lastSocket().ops();
  assert.equal(ops.length, 2);
  assert.deepEqual(ops[1], ops[0]);

  lastSocket().receive({ type: "ack", op_id: opId, seq: 1, note: { id: 3 } });
  assert.equal((await done).op_id, opId);
});

test("an op refused for good is settled, not sent again", async () => {
  const socket = connected();
  const { opId, done } = socket.op("note.update", { id: 3, version: 1, text: "Stale" });
  lastSocket().receive({ type: "error", op_id: opId, code: "conflict", detail: "moved on" });
  assert.equal((await done).code, "conflict");
  assert.equal(socket.pending.size, 0);
  assert.deepEqual(runTimers(), []);
});

test("an event after a gap is not applied: the socket resumes from its last seq", () => {
  const socket = connected(2);
  const socketEvents = [];
  socket.addEventListener("event", (event) => socketEvents.push(event.detail.seq));
  const ws = lastSocket();
  ws.receive({ type: "event", seq: 3, kind: "note.created" });
  ws.receive({ type: "event", seq: 5, kind: "note.created" }); // 4 was lost
  assert.deepEqual(socketEvents, [3]);
  assert.deepEqual(ws.sent.at(-1), { type: "resume", since: 3 });
  ws.receive({ type: "event", seq: 4, kind: "note.created" });
  ws.receive({ type: "event", seq: 5, kind: "note.created" });
  ws.receive({ type: "event", seq: 4, kind: "note.created" }); // a duplicate is ignored
  ws.receive({ type: "resumed", seq: 5 });
  assert.deepEqual(socketEvents, [3, 4, 5]);
});

test("presence comes as changes after the welcome's list, and is told as the whole list", () => {
  const socket = new BoardSocket("/ws/maps/1/");
  socket.connect();
  assert.equal(lastSocket().url, "ws://board.test/ws/maps/1/?presence=diff");
  const lists = [];
  socket.addEventListener("presence", (event) => lists.push(event.detail.users.map((user) => user.username)));
  const bob = { username: "bob", role: "editor" };
  lastSocket().receive({ type: "welcome", seq: 0, user: bob, presence: [bob, { username: "vera" }] });
  lastSocket().receive({ type: "presence.diff", joined: [{ username: "alice" }], left: ["vera"] });
  lastSocket().receive({ type: "presence.diff", joined: [{ username: "bob", role: "lead" }], left: [] });
  lastSocket().receive({ type: "presence", users: [{ username: "rita" }] }); // a whole list replaces it
  lastSocket().receive({ type: "presence.diff", joined: [{ username: "carl" }], left: [] });
  assert.deepEqual(lists, [["alice", "bob"], ["alice", "bob"], ["rita"], ["carl", "rita"]]);
  assert.equal(socket.presence.get("carl").username, "carl");
});
