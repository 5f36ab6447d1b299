// The board's one store of note state. It alone applies events, acks, refusals and local
// (optimistic) changes to the notes; views subscribe and redraw from what it tells them.
// No DOM here: node's test runner loads this module as it is (tests/js/).
//
// A note's `mine` (the reader's own stance and votes) is kept from the note held: events go to
// everyone and carry `mine: null`. Only the answer to the reader's own workshop op (or a fresh
// read) replaces it: upsert(note, seq, {mine: true}).
//
// Changes sent to subscribers, one object each:
//   {type: "note", note, previous, local?}  a note shown as it now is (local: optimistic)
//   {type: "removed", id, note}              a note deleted (note: its last state, if known)
//   {type: "links", id}                      the link facts of a note changed
//   {type: "map", map, before}               the map's settings changed (map.updated)
//   {type: "pending", opId, fields}          a note being created, not yet acknowledged
//   {type: "pending-done", opId}             that creation was acknowledged or refused
//   {type: "event", event}                   any event, after it was applied (known or not)

// Kinds whose `note` is the note's whole new state. Other kinds may register a handler.
import { keepMine } from "./workshop-logic.js";

const NOTE_KINDS = new Set([
  "note.created",
  "note.updated",
  "note.moved",
  "note.deleted",
  "note.restored",
  "note.reviewed",
  "note.stance",
  "note.voted",
  "link.created",
  "link.deleted",
]);

export class BoardStore {
  constructor({ map = {}, notes = [], links = {}, seq = map.seq ?? 0 } = {}) {
    this.map = map;
    this.seq = seq; // the highest event seq applied (or skipped as hidden/unknown)
    this.notes = new Map(); // id -> note, live notes only
    this.noteSeq = new Map(); // id -> seq of the state held, so that older news never wins
    this.deletedSeq = new Map(); // id -> seq of its deletion
    this.linkFacts = new Map(); // note id -> [{id, evidence, stance, segment}]
    this.pendingCreates = new Map(); // op_id -> {section, text, team}
    this.listeners = new Set();
    this.handlers = new Map(); // event kind -> (event, store) => void
    for (const [noteId, facts] of Object.entries(links)) this.linkFacts.set(Number(noteId), facts);
    for (const note of notes) {
      this.notes.set(note.id, note);
      this.noteSeq.set(note.id, seq);
    }
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(change) {
    for (const listener of this.listeners) listener(change);
  }

  /** Teaches the store a new event kind (e.g. comments); unknown kinds are skipped. */
  registerKind(kind, handler) {
    this.handlers.set(kind, handler);
  }

  get(id) {
    return this.notes.get(id);
  }

  has(id) {
    return this.notes.has(id);
  }

  all() {
    return Array.from(this.notes.values());
  }

  links(noteId) {
    return this.linkFacts.get(noteId) || [];
  }

  // News from the server ----------------------------------------------------------------------

  /** One event from the websocket or the events API, in seq order (the socket sees to that). */
  applyEvent(event) {
    if (typeof event.seq === "number" && event.seq > this.seq) this.seq = event.seq;
    const kind = event.kind;
    if (kind === "hidden") {
      // A note this user may not see changed: the seq moves on, nothing else is known.
    } else if (kind === "map.updated") {
      if (event.map) this.setMap(event.map);
    } else if (this.handlers.has(kind)) {
      this.handlers.get(kind)(event, this);
    } else if (NOTE_KINDS.has(kind)) {
      this.applyNoteEvent(event);
    }
    this.notify({ type: "event", event });
  }

  applyNoteEvent(event) {
    if (event.link && event.note) this.applyLinkEvent(event);
    if (event.cause === "evidence" && event.note) this.applyEvidenceCorrection(event);
    if (event.op_id && this.pendingCreates.has(event.op_id)) this.settlePending(event.op_id);
    if (event.note) this.upsert(event.note, event.seq);
  }

  applyLinkEvent(event) {
    const link = event.link;
    const noteId = event.note.id;
    const facts = this.links(noteId).filter((fact) => fact.id !== link.id);
    if (event.kind === "link.created") {
      const evidence = link.evidence || {};
      facts.push({ id: link.id, evidence: evidence.id, stance: link.stance, segment: evidence.segment ?? null });
    }
    this.linkFacts.set(noteId, facts);
    this.notify({ type: "links", id: noteId });
  }

  // A researcher corrected the date or segment of evidence this note cites: its status came
  // with the event, and so did the evidence's segment, for the segment filter.
  applyEvidenceCorrection(event) {
    const noteId = event.note.id;
    const corrected = event.evidence || {};
    const facts = this.links(noteId).map((fact) =>
      fact.evidence === corrected.id ? { ...fact, segment: corrected.segment ?? null } : fact,
    );
    this.linkFacts.set(noteId, facts);
    this.notify({ type: "links", id: noteId });
  }

  /** The answer to one of our ops that was applied. */
  applyAck(ack) {
    if (ack.note) this.upsert(ack.note, ack.seq);
  }

  /**
   * One of our ops was refused (conflict, invalid, forbidden, not_found): nothing changed on
   * the server. A conflict brings the note as it is; a local change of `id` is taken back.
   * Returns true when the local change was taken back.
   */
  applyRefusal(reply, { id = null, optimistic = null, before = null } = {}) {
    if (reply.code === "conflict" && reply.current) this.upsert(reply.current);
    if (id === null || !optimistic) return false;
    // Put the note back as the server has it, unless news of it came meanwhile.
    if (this.notes.get(id) !== optimistic) return false;
    const current = reply.current || before;
    this.notes.set(id, current);
    this.notify({ type: "note", note: current, previous: optimistic, local: true });
    return true;
  }

  setMap(map) {
    const before = this.map;
    this.map = map;
    this.notify({ type: "map", map, before });
  }

  // The note state ------------------------------------------------------------------------------

  /**
   * Holds a note as it now is; `seq` orders news from events, acks and the initial load, and
   * without one (a conflict's current note, a restore) the higher version wins.
   * Returns true when the note was taken.
   */
  upsert(note, seq, { mine = false } = {}) {
    if (!mine) note = keepMine(this.notes.get(note.id), note);
    if (seq !== undefined) {
      if ((this.noteSeq.get(note.id) ?? -1) > seq) return false;
      if ((this.deletedSeq.get(note.id) ?? -1) > seq) return false;
      this.noteSeq.set(note.id, seq);
    } else {
      const current = this.notes.get(note.id);
      if (current && current.version > note.version) return false;
    }
    if (note.deleted) {
      this.remove(note.id, seq);
      return true;
    }
    this.deletedSeq.delete(note.id);
    const previous = this.notes.get(note.id);
    this.notes.set(note.id, note);
    this.notify({ type: "note", note, previous });
    return true;
  }

  remove(id, seq) {
    if (seq !== undefined) this.deletedSeq.set(id, seq);
    const note = this.notes.get(id);
    this.notes.delete(id);
    this.notify({ type: "removed", id, note });
  }

  /** A deleted note came back (restore): forget its deletion, then take it as news. */
  restored(note) {
    this.deletedSeq.delete(note.id);
    return this.upsert(note);
  }

  /** Shows a change at once, before the server answers; returns the note as changed. */
  changeLocally(id, fields) {
    const previous = this.notes.get(id);
    if (!previous) return null;
    const changed = { ...previous, ...fields };
    this.notes.set(id, changed);
    this.notify({ type: "note", note: changed, previous, local: true });
    return changed;
  }

  pendingCreate(opId, fields) {
    this.pendingCreates.set(opId, fields);
    this.notify({ type: "pending", opId, fields });
  }

  settlePending(opId) {
    if (!this.pendingCreates.has(opId)) return;
    this.pendingCreates.delete(opId);
    this.notify({ type: "pending-done", opId });
  }
}
