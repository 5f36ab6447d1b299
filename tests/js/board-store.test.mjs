// The board store applies server news to note state; run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BoardStore } from "../../static/js/board-store.js";

const note = (id, fields = {}) => ({ id, section: "says", text: `Note ${id}`, team: "product", position: id, version: 1, ...fields });

function storeWith(notes = [note(1)], seq = 5) {
  const store = new BoardStore({ map: { id: 1, seq, layout: "classic" }, notes, seq });
  const changes = [];
  store.subscribe((change) => changes.push(change));
  return { store, changes };
}

test("an event about a note updates it and tells the views", () => {
  const { store, changes } = storeWith();
  store.applyEvent({ seq: 6, kind: "note.updated", note: note(1, { text: "New", version: 2 }) });
  assert.equal(store.get(1).text, "New");
  assert.equal(store.seq, 6);
  assert.deepEqual(changes.map((change) => change.type), ["note", "event"]);
});

test("older news never wins over newer", () => {
  const { store } = storeWith();
  store.applyEvent({ seq: 7, kind: "note.updated", note: note(1, { text: "Newer", version: 3 }) });
  store.applyAck({ seq: 6, note: note(1, { text: "Older", version: 2 }) });
  assert.equal(store.get(1).text, "Newer");
});

test("a deleted note is not brought back by an older event", () => {
  const { store } = storeWith();
  store.applyEvent({ seq: 8, kind: "note.deleted", note: note(1, { deleted: true }) });
  store.applyEvent({ seq: 7, kind: "note.updated", note: note(1, { version: 2 }) });
  assert.equal(store.has(1), false);
});

test("a hidden placeholder advances seq and touches no note", () => {
  const { store, changes } = storeWith();
  store.applyEvent({ seq: 6, kind: "hidden", at: "2026-12-06T00:00:00Z" });
  assert.equal(store.seq, 6);
  assert.deepEqual(store.all(), [note(1)]);
  assert.deepEqual(changes.map((change) => change.type), ["event"]);
});

test("an unknown kind advances seq and is ignored, even with a note in it", () => {
  const { store, changes } = storeWith();
  store.applyEvent({ seq: 6, kind: "note.teleported", note: note(1, { text: "Gone wild", version: 9 }) });
  assert.equal(store.seq, 6);
  assert.equal(store.get(1).text, "Note 1");
  assert.deepEqual(changes.map((change) => change.type), ["event"]);
});

test("a registered kind is handled by its handler", () => {
  const { store } = storeWith();
  const seen = [];
  store.registerKind("comment.created", (event) => seen.push(event.comment.id));
  store.applyEvent({ seq: 6, kind: "comment.created", comment: { id: 3 } });
  assert.deepEqual(seen, [3]);
});

test("map.updated replaces the map and says what it was before", () => {
  const { store, changes } = storeWith();
  store.applyEvent({ seq: 6, kind: "map.updated", map: { id: 1, seq: 6, layout: "extended" } });
  assert.equal(store.map.layout, "extended");
  assert.equal(changes[0].type, "map");
  assert.equal(changes[0].before.layout, "classic");
});

test("a link event records the evidence's segment for the filters", () => {
  const { store } = storeWith();
  store.applyEvent({
    seq: 6,
    kind: "link.created",
    link: { id: 4, stance: "supports", evidence: { id: 9, segment: 2 } },
    note: note(1, { status: "supported" }),
  });
  assert.deepEqual(store.links(1), [{ id: 4, evidence: 9, stance: "supports", segment: 2 }]);
  assert.equal(store.get(1).status, "supported");
});

test("a refused move is taken back, unless news came meanwhile", () => {
  const { store } = storeWith();
  const before = store.get(1);
  const moved = store.changeLocally(1, { section: "feels" });
  assert.equal(store.get(1).section, "feels");
  assert.equal(store.applyRefusal({ code: "forbidden" }, { id: 1, optimistic: moved, before }), true);
  assert.equal(store.get(1).section, "says");

  const again = store.changeLocally(1, { section: "feels" });
  store.applyEvent({ seq: 6, kind: "note.moved", note: note(1, { section: "does" }) });
  assert.equal(store.applyRefusal({ code: "invalid" }, { id: 1, optimistic: again, before }), false);
  assert.equal(store.get(1).section, "does");
});

test("a conflict brings the note as the server has it", () => {
  const { store } = storeWith();
  store.applyRefusal({ code: "conflict", current: note(1, { text: "Theirs", version: 2 }) });
  assert.equal(store.get(1).text, "Theirs");
});

test("a pending creation is settled by the event carrying its op_id", () => {
  const { store, changes } = storeWith();
  store.pendingCreate("op-1", { section: "says", text: "Hi", team: "product" });
  store.applyEvent({ seq: 6, kind: "note.created", op_id: "op-1", note: note(2) });
  assert.deepEqual(changes.map((change) => change.type), ["pending", "pending-done", "note", "event"]);
  assert.equal(store.pendingCreates.size, 0);
});
