// The board's websocket, as the contract describes it (see shared/contract.md, "Websocket").
//
// - Reconnects with exponential backoff (and at once when the browser comes back online).
// - Applies events strictly in seq order: an old seq is ignored, a gap asks the server to
//   resume from the last seq applied, so nothing is missed and nothing is applied twice.
// - Ops carry a unique op_id and stay queued until acknowledged or refused; after a reconnect
//   the queue is sent again, which is harmless because the server applies an op_id once.
//
// Events dispatched (CustomEvent, payload in `detail`): "state" {state, pending},
// "welcome", "event", "ack", "refused" (an op error), "presence" (the whole list, also after a
// presence.diff), "cursor", "visibility".

const BACKOFF_MS = [300, 1000, 2000, 4000, 8000, 15000];
// Error codes after which the op was not applied and is sent again by itself.
const RETRIED_CODES = new Set(["unavailable", "rate_limited"]);
const CLOSE_NOT_AUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class BoardSocket extends EventTarget {
  constructor(path, { seq = 0 } = {}) {
    super();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // Presence as changes (`presence.diff`) after the welcome's list: on a crowded board a join
    // then costs every tab one entry, not the whole list. `presence` events carry the list.
    this.url = `${scheme}//${location.host}${path}${path.includes("?") ? "&" : "?"}presence=diff`;
    this.presence = new Map(); // username -> USER, as the server last said
    this.lastSeq = seq;
    this.highestSeen = seq;
    this.pending = new Map(); // op_id -> {message, resolve}
    this.state = "connecting";
    this.ready = false;
    this.resuming = false;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.cursorMessage = null;
    this.stopped = false;
    window.addEventListener("offline", () => this.dropConnection());
    window.addEventListener("online", () => this.reconnectNow());
  }

  connect() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.timer = null;
    if (!navigator.onLine) {
      this.setState("offline");
      return;
    }
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("message", (message) => {
      if (this.ws !== ws) return;
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      this.receive(data);
    });
    ws.addEventListener("close", (closing) => {
      if (this.ws === ws) this.closed(closing.code);
    });
  }

  /** Closes the current connection (e.g. the browser went offline); it reconnects later. */
  dropConnection() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.ready = false;
    this.resuming = false;
    ws.close();
    this.setState("offline");
    this.scheduleReconnect();
  }

  reconnectNow() {
    if (this.ws || this.stopped) return;
    this.attempt = 0;
    this.connect();
  }

  closed(code) {
    this.ws = null;
    this.ready = false;
    this.resuming = false;
    if (code === CLOSE_NOT_AUTHENTICATED || code === CLOSE_NOT_FOUND) {
      this.stopped = true;
      this.setState(code === CLOSE_NOT_AUTHENTICATED ? "signed-out" : "no-access");
      return;
    }
    this.setState("offline");
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped || this.timer) return;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const delay = base / 2 + Math.random() * base;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  setState(state) {
    this.state = state;
    this.emit("state", { state, pending: this.pending.size });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  send(message) {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        this.welcomed(message);
        break;
      case "event":
        this.eventReceived(message);
        break;
      case "resumed":
        this.resuming = false;
        if ((message.seq || 0) > this.lastSeq || this.highestSeen > this.lastSeq) this.resume();
        break;
      case "ack":
        this.settle(message.op_id, message, "ack");
        break;
      case "error":
        if (RETRIED_CODES.has(message.code) && this.pending.has(message.op_id)) {
          // Nothing changed on the server: send the same op (same op_id) again shortly, or when
          // the rate limit says (a queue of offline edits sent at once may meet it).
          const wait = message.code === "rate_limited" ? (message.retry_after || 1) * 1000 : 2000;
          setTimeout(() => {
            const entry = this.pending.get(message.op_id);
            if (entry) this.send(entry.message);
          }, Math.max(250, wait) + Math.random() * 250);
        } else if (message.op_id && this.pending.has(message.op_id)) {
          this.settle(message.op_id, message, "refused");
        } else {
          this.emit("refused", message);
        }
        break;
      case "presence":
        this.presence = new Map((message.users || []).map((user) => [user.username, user]));
        this.emit("presence", message);
        break;
      case "presence.diff":
        this.presenceChanged(message);
        break;
      case "visibility":
        // This member's team or role changed: the board fetches what they may now see.
        this.emit("visibility", message);
        break;
      case "cursor":
        this.emit("cursor", message);
        break;
      case "reload":
        // This client fell behind; the server closes the socket. Reconnect at once and resume.
        this.attempt = 0;
        break;
      default:
        if (/resume|behind|resync/i.test(message.type || "")) this.resume(true);
    }
  }

  presenceChanged(message) {
    for (const user of message.joined || []) this.presence.set(user.username, user);
    for (const username of message.left || []) this.presence.delete(username);
    const users = [...this.presence.values()].sort((a, b) => (a.username < b.username ? -1 : 1));
    this.emit("presence", { type: "presence", users });
  }

  welcomed(message) {
    this.presence = new Map((message.presence || []).map((user) => [user.username, user]));
    this.ready = true;
    this.attempt = 0;
    this.highestSeen = Math.max(this.highestSeen, message.seq || 0);
    this.setState("online");
    this.emit("welcome", message);
    if ((message.seq || 0) > this.lastSeq) this.resume();
    for (const { message: op } of this.pending.values()) this.send(op);
    if (this.cursorMessage) this.send(this.cursorMessage);
    this.emit("state", { state: this.state, pending: this.pending.size });
  }

  eventReceived(message) {
    this.highestSeen = Math.max(this.highestSeen, message.seq);
    if (message.seq <= this.lastSeq) return;
    if (message.seq > this.lastSeq + 1) {
      this.resume();
      return;
    }
    this.lastSeq = message.seq;
    this.emit("event", message);
  }

  resume(force = false) {
    if (!this.ready || (this.resuming && !force)) return;
    this.resuming = true;
    this.send({ type: "resume", since: this.lastSeq });
  }

  settle(opId, message, kind) {
    const entry = this.pending.get(opId);
    this.pending.delete(opId);
    if (message.seq) this.highestSeen = Math.max(this.highestSeen, message.seq);
    this.emit(kind, message);
    if (entry) entry.resolve(message);
    this.emit("state", { state: this.state, pending: this.pending.size });
  }

  /**
   * Sends an op, or queues it while offline. Resolves with the server's ack or error message.
   * @param {"note.create"|"note.update"|"note.delete"} action
   */
  op(action, data) {
    const opId = randomId();
    const message = { type: "op", op_id: opId, action, data };
    return {
      opId,
      done: new Promise((resolve) => {
        this.pending.set(opId, { message, resolve });
        this.send(message);
        this.emit("state", { state: this.state, pending: this.pending.size });
      }),
    };
  }

  /** Tells the others which note this user is on, and whether they are editing it. */
  cursor(note, editing) {
    const message = { type: "cursor", note: note ?? null, editing: Boolean(editing) };
    const previous = this.cursorMessage;
    if (previous && previous.note === message.note && previous.editing === message.editing) return;
    this.cursorMessage = message;
    this.send(message);
  }
}
