// The board page: draws the map's notes, keeps them live over the websocket, and offers every
// action from the mouse and from the keyboard. Text from users only goes in via textContent.

import { api, errorText } from "./api.js";
import { DraftingView } from "./board-drafting.js";
import { BoardSocket } from "./board-socket.js";
import { createCard, el, setPeers, updateCard } from "./board-view.js";
import { EvidencePanel } from "./evidence-panel.js";

const data = JSON.parse(document.getElementById("board-data").textContent);
const me = data.me;
const labels = {
  sections: Object.fromEntries(data.sections.map((s) => [s.key, s.label])),
  teams: Object.fromEntries(data.teams),
  statuses: Object.fromEntries(data.statuses),
  reviews: Object.fromEntries(data.review_states),
  kinds: Object.fromEntries(data.source_kinds),
};
const sectionKeys = data.sections.map((s) => s.key);

const notes = new Map(); // id -> note, live notes only
const noteSeq = new Map(); // id -> seq of the state shown, so that older news never wins
const deletedSeq = new Map(); // id -> seq of its deletion
const cards = new Map(); // id -> <li> card
const linkFacts = new Map(); // note id -> [{id, stance, segment}]
const editors = new Map(); // note id -> open editor
const conflicts = new Map(); // note id -> open conflict
const pendingCreates = new Map(); // op_id -> pending card
const cursors = new Map(); // username -> {note, editing}
let presence = [];

const board = document.getElementById("board");
const lists = {};
const sectionCounts = {};
for (const section of board.querySelectorAll("[data-section]")) {
  lists[section.dataset.section] = section.querySelector("[data-notes]");
  sectionCounts[section.dataset.section] = section.querySelector("[data-count]");
}
const announcer = document.getElementById("announcer");
const toasts = document.getElementById("toasts");
const connection = document.getElementById("connection");

function announce(message) {
  announcer.textContent = "";
  requestAnimationFrame(() => {
    announcer.textContent = message;
  });
}

function toast(message, { action, onAction, kind = "info", timeout = 10000 } = {}) {
  const text = el("span", { class: "toast-text" });
  text.textContent = message;
  const item = el("div", { class: `toast toast-${kind}` }, text);
  const remove = () => item.remove();
  if (action) {
    const button = el("button", { type: "button", class: "button button-small" });
    button.textContent = action;
    button.addEventListener("click", () => {
      remove();
      onAction();
    });
    item.append(button);
  }
  const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" });
  close.textContent = "×";
  close.addEventListener("click", remove);
  item.append(close);
  toasts.append(item);
  let timer = setTimeout(remove, timeout);
  item.addEventListener("focusin", () => clearTimeout(timer));
  item.addEventListener("focusout", () => {
    timer = setTimeout(remove, timeout / 2);
  });
  return item;
}

// Ordering and placement ------------------------------------------------------------------

function compareNotes(a, b) {
  return a.position - b.position || a.id - b.id;
}

function sortedCards(section) {
  return Array.from(lists[section].children).filter((card) => card.note && !card.pending);
}

/** Puts a card where its note belongs, keeping the focus inside it if it had it. */
function placeCard(card) {
  const list = lists[card.note.section];
  if (!list) return;
  let before = null;
  for (const other of list.children) {
    if (other === card) continue;
    if (other.pending || compareNotes(other.note, card.note) > 0) {
      before = other;
      break;
    }
  }
  if (card.parentNode === list && card.nextElementSibling === before) return;
  const active = document.activeElement;
  const hadFocus = card.contains(active);
  list.insertBefore(card, before);
  if (hadFocus && document.activeElement !== active) active.focus({ preventScroll: true });
}

// Applying news about notes ------------------------------------------------------------------

/** Shows a note as it now is; `seq` orders news from events, acks and the initial load. */
function upsertNote(note, seq) {
  if (seq !== undefined) {
    if ((noteSeq.get(note.id) ?? -1) > seq) return;
    if ((deletedSeq.get(note.id) ?? -1) > seq) return;
    noteSeq.set(note.id, seq);
  } else {
    const current = notes.get(note.id);
    if (current && current.version > note.version) return;
  }
  if (note.deleted) {
    removeNote(note.id, seq);
    return;
  }
  deletedSeq.delete(note.id);
  notes.set(note.id, note);
  let card = cards.get(note.id);
  if (card) {
    updateCard(card, note, labels);
    card.parts.saving.hidden = !card.saving;
  } else {
    card = createCard(note, labels, me);
    cards.set(note.id, card);
  }
  placeCard(card);
  const editor = editors.get(note.id);
  if (editor && note.version !== editor.baseVersion) {
    editor.hint.hidden = false;
    editor.hint.textContent = "Someone else changed this note since you began; saving will ask which to keep.";
  }
  applyFilterTo(card);
  refreshPeers();
  scheduleCounts();
  panel.noteChanged(note);
}

function removeNote(id, seq) {
  if (seq !== undefined) deletedSeq.set(id, seq);
  const card = cards.get(id);
  notes.delete(id);
  if (!card) return;
  const editor = editors.get(id);
  if (editor) {
    // Someone deleted the note under an open editor: keep what was typed, offer to restore it.
    showDeletedWhileEditing(card, editor);
    return;
  }
  const hadFocus = card.contains(document.activeElement);
  const next = card.nextElementSibling || card.previousElementSibling;
  card.remove();
  cards.delete(id);
  if (hadFocus) focusAfterRemoval(next, card.note.section);
  scheduleCounts();
  panel.noteRemoved(id);
}

function focusAfterRemoval(next, section) {
  const target = next && next.parts ? next.parts.article : addToggleFor(section);
  if (target) target.focus();
}

function applyEvent(event) {
  if (event.kind === "map.updated") {
    if (event.map) applyMap(event.map);
    if (event.map) drafting.mapUpdated(event.map);
    return;
  }
  if (event.kind === "hidden") return drafting.placeholderArrived();
  if (event.kind === "note.hidden") return removeNote(event.note.id, event.seq);
  if (event.link && event.note) applyLinkEvent(event);
  if (event.cause === "evidence" && event.note) applyEvidenceCorrection(event);
  if (event.op_id && pendingCreates.has(event.op_id)) {
    pendingCreates.get(event.op_id).remove();
    pendingCreates.delete(event.op_id);
  }
  if (event.note) upsertNote(event.note, event.seq);
}

function applyLinkEvent(event) {
  const link = event.link;
  const facts = (linkFacts.get(event.note.id) || []).filter((fact) => fact.id !== link.id);
  if (event.kind === "link.created") {
    const evidence = link.evidence || {};
    facts.push({ id: link.id, evidence: evidence.id, stance: link.stance, segment: evidence.segment ?? null });
  }
  linkFacts.set(event.note.id, facts);
  panel.linksChanged(event.note.id);
}

// A researcher corrected the date or segment of evidence this note cites: its status came
// with the event, and so did the evidence's segment, for the segment filter.
function applyEvidenceCorrection(event) {
  const noteId = event.note.id;
  const corrected = event.evidence || {};
  const facts = (linkFacts.get(noteId) || []).map((fact) =>
    fact.evidence === corrected.id ? { ...fact, segment: corrected.segment ?? null } : fact,
  );
  linkFacts.set(noteId, facts);
  panel.linksChanged(noteId);
}

function applyMap(map) {
  const before = data.map;
  data.map = map;
  const title = document.querySelector(".board-title h1");
  if (title) title.textContent = map.title;
  if (map.archived && !before.archived && (me.can_edit || me.can_research)) {
    toast("This map has just been archived; it is now read-only. Reload to see it as it is.", {
      kind: "warn",
      timeout: 30000,
    });
  } else if (map.workspace_archived && !before.workspace_archived && (me.can_edit || me.can_research)) {
    toast("This workspace has just been archived; the map is now read-only. Reload to see it as it is.", {
      kind: "warn",
      timeout: 30000,
    });
  } else if (before.workspace_archived && !map.workspace_archived && !map.archived && me.role !== "viewer") {
    toast("This workspace has been restored. Reload to change the map again.", { timeout: 30000 });
  }
}

// Filters ----------------------------------------------------------------------------------------

const filterForm = document.getElementById("filters");
const filterFields = {
  q: document.getElementById("filter-q"),
  status: document.getElementById("filter-status"),
  team: document.getElementById("filter-team"),
  segment: document.getElementById("filter-segment"),
  review: document.getElementById("filter-review"),
};
const filterSummary = document.getElementById("filter-summary");
let filters = { q: [], status: "", team: "", segment: "", review: "" };

function fillFilterOptions() {
  const statusSelect = filterFields.status;
  const narrowOption = statusSelect.querySelector('option[value="narrow"]');
  for (const [value, label] of data.statuses) {
    statusSelect.insertBefore(el("option", { value, text: label }), narrowOption);
  }
  for (const [value, label] of data.teams) filterFields.team.append(el("option", { value, text: label }));
  for (const segment of data.segments) {
    filterFields.segment.append(el("option", { value: String(segment.id), text: segment.name }));
  }
  filterFields.segment.append(el("option", { value: "none", text: "No segment" }));
  for (const [value, label] of data.review_states) {
    filterFields.review.append(el("option", { value, text: label }));
  }
}

function readFilters() {
  const words = filterFields.q.value.toLowerCase().split(/\s+/).filter(Boolean);
  filters = {
    q: words,
    status: filterFields.status.value,
    team: filterFields.team.value,
    segment: filterFields.segment.value,
    review: filterFields.review.value,
  };
}

function filtering() {
  return Boolean(filters.q.length || filters.status || filters.team || filters.segment || filters.review);
}

function matches(note) {
  if (filters.status === "narrow" ? !note.narrow : filters.status && note.status !== filters.status) return false;
  if (filters.team && note.team !== filters.team) return false;
  if (filters.review && (note.review?.state || "unreviewed") !== filters.review) return false;
  if (filters.segment) {
    const facts = linkFacts.get(note.id) || [];
    if (filters.segment === "none") {
      if (facts.some((fact) => fact.segment !== null)) return false;
    } else if (!facts.some((fact) => String(fact.segment) === filters.segment)) {
      return false;
    }
  }
  if (filters.q.length) {
    const text = note.text.toLowerCase();
    if (!filters.q.every((word) => text.includes(word))) return false;
  }
  return true;
}

function applyFilterTo(card) {
  if (card.deleting) {
    card.hidden = true;
    return;
  }
  const visible = editors.has(card.note.id) || conflicts.has(card.note.id) || matches(card.note);
  if (card.hidden === !visible) return;
  card.hidden = !visible;
}

function applyFilters() {
  readFilters();
  for (const card of cards.values()) applyFilterTo(card);
  scheduleCounts();
}

let countsFrame = 0;
function scheduleCounts() {
  if (countsFrame) return;
  countsFrame = requestAnimationFrame(() => {
    countsFrame = 0;
    refreshCounts();
  });
}

function refreshCounts() {
  const totals = Object.fromEntries(sectionKeys.map((key) => [key, 0]));
  const shown = Object.fromEntries(sectionKeys.map((key) => [key, 0]));
  for (const card of cards.values()) {
    if (!notes.has(card.note.id)) continue;
    totals[card.note.section] += 1;
    if (!card.hidden) shown[card.note.section] += 1;
  }
  let all = 0;
  let visible = 0;
  for (const key of sectionKeys) {
    all += totals[key];
    visible += shown[key];
    const count = sectionCounts[key];
    const label = filtering() ? `${shown[key]} of ${totals[key]}` : String(totals[key]);
    if (count.textContent !== label) count.textContent = label;
    count.setAttribute("aria-label", filtering() ? `${shown[key]} of ${totals[key]} notes shown` : `${totals[key]} notes`);
    lists[key].closest("[data-section]").classList.toggle("is-empty", totals[key] === 0);
  }
  const summary = filtering() ? `Showing ${visible} of ${all} notes` : `${all} notes`;
  if (filterSummary.textContent !== summary) filterSummary.textContent = summary;
}

// The websocket -----------------------------------------------------------------------------------

// Drafting: what this member may see changes with the phase, their team or their role.
const drafting = new DraftingView({
  data,
  teamLabels: labels.teams,
  before: board,
  upsertNote,
  removeNote,
  shownNotes: () => new Map(Array.from(notes.keys(), (id) => [id, noteSeq.get(id) ?? -1])),
});

const socket = new BoardSocket(data.urls.socket, { seq: data.map.seq });
window.boardSocket = socket; // for the browser tests and the benchmark

socket.addEventListener("event", (message) => applyEvent(message.detail));
socket.addEventListener("ack", (message) => {
  const ack = message.detail;
  if (ack.note) upsertNote(ack.note, ack.seq);
});
socket.addEventListener("state", (message) => showConnection(message.detail));
socket.addEventListener("welcome", (message) => {
  setPresence(message.detail.presence || []);
  sendCursor();
});
socket.addEventListener("presence", (message) => setPresence(message.detail.users || []));
socket.addEventListener("visibility", () => drafting.refetch());
socket.addEventListener("cursor", (message) => {
  const cursor = message.detail;
  if (!cursor.user || cursor.user === me.username) return;
  cursors.set(cursor.user, { note: cursor.note ?? null, editing: Boolean(cursor.editing) });
  refreshPeers();
  renderPresence();
});
socket.addEventListener("refused", (message) => {
  const error = message.detail;
  if (!error.op_id) toast(error.detail || "The server refused a change.", { kind: "error" });
});

function showConnection({ state, pending }) {
  const text = connection.querySelector(".connection-text");
  const waiting = pending ? ` · ${pending} ${pending === 1 ? "change" : "changes"} waiting` : "";
  const messages = {
    connecting: "Connecting…",
    online: pending ? `Sending${waiting}` : "Live",
    offline: `Offline, reconnecting${waiting}`,
    "signed-out": "Signed out: log in again to keep editing",
    "no-access": "You no longer have access to this map",
  };
  connection.dataset.state = state;
  const label = messages[state] || state;
  if (text.textContent !== label) text.textContent = label;
  connection.title = state === "online" ? "Changes from others appear as they happen" : "";
  document.body.classList.toggle("is-offline", state !== "online");
}

// Presence ---------------------------------------------------------------------------------------

const presenceList = document.getElementById("presence-list");

function setPresence(users) {
  presence = users.map((user) => (typeof user === "string" ? { username: user } : user));
  const here = new Set(presence.map((user) => user.username));
  for (const name of Array.from(cursors.keys())) if (!here.has(name)) cursors.delete(name);
  refreshPeers();
  renderPresence();
}

function initials(name) {
  return name.slice(0, 2).toUpperCase();
}

function hue(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

function renderPresence() {
  const seen = new Set();
  const others = presence.filter((user) => {
    if (user.username === me.username || seen.has(user.username)) return false;
    seen.add(user.username);
    return true;
  });
  const items = others.map((user) => {
    const cursor = cursors.get(user.username);
    const editing = cursor && cursor.editing && notes.get(cursor.note);
    const avatar = el("span", { class: "avatar", "aria-hidden": "true", style: `--hue:${hue(user.username)}` });
    avatar.textContent = initials(user.username);
    const name = el("span", { class: "presence-name" });
    name.textContent = user.username;
    const item = el("li", { class: "presence-user" }, avatar, name);
    if (editing) {
      const what = el("span", { class: "presence-doing" });
      const excerpt = editing.text.length > 40 ? `${editing.text.slice(0, 40)}…` : editing.text;
      what.textContent = `editing “${excerpt}”`;
      item.append(what);
      item.classList.add("is-editing");
    }
    return item;
  });
  if (!items.length) {
    const alone = el("li", { class: "presence-alone" });
    alone.textContent = "Only you here";
    items.push(alone);
  }
  presenceList.replaceChildren(...items);
}

let peersShown = new Map(); // note id -> usernames
function refreshPeers() {
  const editing = new Map();
  for (const [name, cursor] of cursors) {
    if (!cursor.editing || cursor.note === null) continue;
    if (!editing.has(cursor.note)) editing.set(cursor.note, []);
    editing.get(cursor.note).push(name);
  }
  for (const id of new Set([...peersShown.keys(), ...editing.keys()])) {
    const card = cards.get(id);
    if (card) setPeers(card, editing.get(id) || []);
  }
  peersShown = editing;
}

let focusedNote = null;
function sendCursor() {
  const editingId = editors.size ? editors.keys().next().value : null;
  if (editingId !== null) socket.cursor(editingId, true);
  else socket.cursor(focusedNote, false);
}

board.addEventListener("focusin", (event) => {
  const card = event.target.closest(".note-item");
  focusedNote = card && card.note && !card.pending ? card.note.id : null;
  sendCursor();
});
board.addEventListener("focusout", (event) => {
  if (!board.contains(event.relatedTarget)) {
    focusedNote = null;
    sendCursor();
  }
});

// Adding notes -----------------------------------------------------------------------------------

const TEAM_KEY = "empathymap.team";

function addToggleFor(section) {
  return board.querySelector(`[data-section="${section}"] .add-toggle`);
}

function buildAddForms() {
  if (!me.can_edit) return;
  for (const section of data.sections) {
    const holder = board.querySelector(`[data-section="${section.key}"] [data-add]`);
    const toggle = el("button", { type: "button", class: "add-toggle", "aria-expanded": "false" });
    toggle.append("+ Add a note", el("span", { class: "visually-hidden", text: ` to ${section.label}` }));
    const textId = `add-${section.key}-text`;
    const teamId = `add-${section.key}-team`;
    const textarea = el("textarea", { id: textId, name: "text", rows: "3", maxlength: "1000", required: true });
    const team = el("select", { id: teamId, name: "team" });
    const savedTeam = localStorage.getItem(TEAM_KEY) || me.team || "product";
    for (const [value, label] of data.teams) team.append(el("option", { value, text: label, selected: value === savedTeam }));
    const submit = el("button", { type: "submit", class: "button button-primary button-small", text: "Add note" });
    const cancel = el("button", { type: "button", class: "button button-quiet button-small", text: "Done" });
    const error = el("p", { class: "error", role: "alert", hidden: true });
    const form = el(
      "form",
      { class: "add-form", hidden: true },
      el("label", { for: textId, text: `New note in ${section.label}` }),
      textarea,
      el("p", { class: "help", text: "Enter adds it; Shift+Enter starts a new line." }),
      el("div", { class: "add-row" }, el("label", { for: teamId, class: "inline-label", text: "Team" }), team, submit, cancel),
      error,
    );
    const open = (isOpen) => {
      form.hidden = !isOpen;
      toggle.hidden = isOpen;
      toggle.setAttribute("aria-expanded", String(isOpen));
      if (isOpen) textarea.focus();
      else toggle.focus();
    };
    toggle.addEventListener("click", () => open(true));
    cancel.addEventListener("click", () => open(false));
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === "Escape") {
        open(false);
      }
    });
    team.addEventListener("change", () => localStorage.setItem(TEAM_KEY, team.value));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      error.hidden = true;
      if (!text) {
        error.hidden = false;
        error.textContent = "Write something first.";
        return;
      }
      createNote(section.key, text, team.value, error, textarea);
      textarea.value = "";
      textarea.focus();
    });
    holder.append(toggle, form);
  }
}

function createNote(section, text, team, errorNode, textarea) {
  const { opId, done } = socket.op("note.create", { section, text, team });
  const pending = el("li", { class: "note-item pending" });
  pending.pending = true;
  const body = el("p", { class: "note-text" });
  body.textContent = text;
  pending.append(el("div", { class: "note note-pending" }, body, el("p", { class: "note-meta", text: socket.ready ? "Adding…" : "Waiting to send (offline)" })));
  lists[section].append(pending);
  pendingCreates.set(opId, pending);
  done.then((reply) => {
    const card = pendingCreates.get(opId);
    if (card) card.remove();
    pendingCreates.delete(opId);
    if (reply.type === "ack") {
      if (reply.note && !matches(reply.note)) {
        toast(`Note added to ${labels.sections[section]}. Your filters hide it.`, {
          action: "Clear filters",
          onAction: () => {
            filterForm.reset();
            applyFilters();
            cards.get(reply.note.id)?.parts.article.focus();
          },
        });
      } else {
        // A full section scrolls: bring the new note into sight, the add form keeping focus.
        // Again a frame later: notes off screen are laid out at an estimated height
        // (content-visibility), so the first scroll can fall short once they are drawn.
        const added = cards.get(reply.note.id);
        added?.scrollIntoView({ block: "nearest" });
        requestAnimationFrame(() => added?.scrollIntoView({ block: "nearest" }));
        announce(`Note added to ${labels.sections[section]}.`);
      }
      return;
    }
    errorNode.hidden = false;
    errorNode.textContent = reply.detail || "The note could not be added.";
    if (!textarea.value) textarea.value = text;
  });
}

// Editing in place ---------------------------------------------------------------------------------

function startEdit(card, { text, team, baseVersion } = {}) {
  if (!me.can_edit || editors.has(card.note.id)) {
    editors.get(card.note.id)?.textarea.focus();
    return;
  }
  closeConflict(card.note.id);
  const note = card.note;
  const id = note.id;
  const textId = `edit-${id}-text`;
  const teamId = `edit-${id}-team`;
  const textarea = el("textarea", { id: textId, rows: "4", maxlength: "1000" });
  textarea.value = text ?? note.text;
  const select = el("select", { id: teamId });
  for (const [value, label] of data.teams) select.append(el("option", { value, text: label, selected: value === (team ?? note.team) }));
  const hint = el("p", { class: "editor-hint", role: "status", hidden: true });
  const save = el("button", { type: "submit", class: "button button-primary button-small", text: "Save" });
  const cancel = el("button", { type: "button", class: "button button-quiet button-small", text: "Cancel" });
  const form = el(
    "form",
    { class: "note-editor" },
    el("label", { for: textId, class: "visually-hidden", text: "Note text" }),
    textarea,
    el("div", { class: "add-row" }, el("label", { for: teamId, class: "inline-label", text: "Team" }), select, save, cancel),
    hint,
  );
  const editor = { form, textarea, select, hint, baseVersion: baseVersion ?? note.version, card };
  editors.set(id, editor);
  card.parts.text.hidden = true;
  card.parts.actions.hidden = true;
  card.parts.article.classList.add("is-editing");
  card.draggable = false;
  card.parts.text.after(form);
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      finishEdit(id, { focus: true });
    }
  });
  cancel.addEventListener("click", () => finishEdit(id, { focus: true }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveEdit(id);
  });
  sendCursor();
}

function finishEdit(id, { focus = false } = {}) {
  const editor = editors.get(id);
  if (!editor) return;
  editors.delete(id);
  editor.form.remove();
  const card = editor.card;
  card.parts.text.hidden = false;
  card.parts.actions.hidden = false;
  card.parts.article.classList.remove("is-editing");
  card.draggable = Boolean(me.can_edit);
  if (!notes.has(id) && cards.get(id) === card) {
    cards.delete(id);
    card.remove();
    scheduleCounts();
  } else if (cards.has(id)) applyFilterTo(card);
  if (focus && cards.has(id)) card.parts.article.focus();
  sendCursor();
}

function saveEdit(id) {
  const editor = editors.get(id);
  const card = editor.card;
  const text = editor.textarea.value.trim();
  const team = editor.select.value;
  if (!text) {
    editor.hint.hidden = false;
    editor.hint.textContent = "A note needs some text. To remove it, use Delete.";
    return;
  }
  const current = card.note;
  const changes = {};
  if (text !== current.text) changes.text = text;
  if (team !== current.team) changes.team = team;
  const baseVersion = editor.baseVersion;
  if (editor.deleted) {
    editors.delete(id);
    editor.form.remove();
    restoreNote(id).then((restored) => {
      if (restored) sendUpdate(id, { text, team, version: restored.version }, { text, team });
    });
    return;
  }
  finishEdit(id, { focus: true });
  if (!Object.keys(changes).length && baseVersion === current.version) return;
  if (!Object.keys(changes).length) changes.text = text;
  sendUpdate(id, { ...changes, version: baseVersion }, { text, team });
}

function sendUpdate(id, fields, mine) {
  const card = cards.get(id);
  const { done } = socket.op("note.update", { id, ...fields });
  if (card) {
    card.saving = true;
    card.parts.saving.hidden = false;
    card.parts.saving.textContent = socket.ready ? "Saving…" : "Waiting to send";
    // Show the edit at once; the ack or the conflict settles it.
    updateCard(card, { ...card.note, text: mine.text, team: mine.team }, labels);
  }
  done.then((reply) => {
    const target = cards.get(id);
    if (target) {
      target.saving = false;
      target.parts.saving.hidden = true;
    }
    if (reply.type === "ack") return;
    if (reply.code === "conflict" && reply.current) {
      upsertNote(reply.current);
      if (target) updateCard(target, reply.current, labels);
      showConflict(id, reply.current, mine);
      return;
    }
    if (target && notes.has(id)) updateCard(target, notes.get(id), labels);
    toast(reply.detail || "The change was refused.", { kind: "error" });
  });
}

// Conflicts: theirs and mine side by side, nothing lost ------------------------------------------

function showConflict(id, theirs, mine) {
  const card = cards.get(id);
  if (!card) return;
  closeConflict(id);
  const theirText = el("blockquote", { class: "conflict-text" });
  theirText.textContent = theirs.text;
  const myText = el("blockquote", { class: "conflict-text" });
  myText.textContent = mine.text;
  const heading = el("p", { class: "conflict-title" });
  heading.textContent = "This note was changed by someone else while you edited it.";
  const buttons = {
    theirs: el("button", { type: "button", class: "button button-small", text: "Keep theirs" }),
    mine: el("button", { type: "button", class: "button button-small button-primary", text: "Keep mine" }),
    both: el("button", { type: "button", class: "button button-small", text: "Keep both" }),
    edit: el("button", { type: "button", class: "button button-small button-quiet", text: "Edit mine" }),
  };
  const box = el(
    "div",
    { class: "note-conflict", role: "group", "aria-label": "Edit conflict" },
    heading,
    el("div", { class: "conflict-columns" },
      el("figure", { class: "conflict-side" }, el("figcaption", { text: "Theirs (saved)" }), theirText),
      el("figure", { class: "conflict-side" }, el("figcaption", { text: "Mine (not saved)" }), myText),
    ),
    el("div", { class: "conflict-actions" }, buttons.theirs, buttons.mine, buttons.both, buttons.edit),
  );
  conflicts.set(id, { box, mine });
  card.parts.actions.before(box);
  card.parts.article.classList.add("has-conflict");
  applyFilterTo(card);
  buttons.theirs.addEventListener("click", () => {
    closeConflict(id, true);
    announce("Kept their version.");
  });
  buttons.mine.addEventListener("click", () => {
    const current = notes.get(id);
    closeConflict(id, true);
    if (!current) return;
    const fields = { version: current.version, text: mine.text };
    if (mine.team !== current.team) fields.team = mine.team;
    sendUpdate(id, fields, mine);
  });
  buttons.both.addEventListener("click", () => {
    const current = notes.get(id) || theirs;
    closeConflict(id, true);
    const { done } = socket.op("note.create", { section: current.section, text: mine.text, team: mine.team, position: current.position + 0.001 });
    done.then((reply) => {
      if (reply.type === "ack") announce("Kept both: yours is a new note next to theirs.");
      else toast(reply.detail || "Your version could not be added.", { kind: "error" });
    });
  });
  buttons.edit.addEventListener("click", () => {
    const current = notes.get(id);
    closeConflict(id);
    if (current) startEdit(cards.get(id), { text: mine.text, team: mine.team, baseVersion: current.version });
  });
  buttons.mine.focus();
  announce("Edit conflict: someone else changed this note. Choose which version to keep.");
}

function closeConflict(id, focusCard = false) {
  const conflict = conflicts.get(id);
  if (!conflict) return;
  conflicts.delete(id);
  conflict.box.remove();
  const card = cards.get(id);
  if (!card) return;
  card.parts.article.classList.remove("has-conflict");
  if (focusCard) card.parts.article.focus();
}

function showDeletedWhileEditing(card, editor) {
  editor.hint.hidden = false;
  editor.hint.textContent = "Someone deleted this note while you edited it. Save to bring it back with your text, or Cancel.";
  editor.baseVersion = null;
  editor.deleted = true;
}

// Deleting, with undo -----------------------------------------------------------------------------

function deleteNote(id) {
  const card = cards.get(id);
  if (!card) return;
  const note = card.note;
  const next = card.nextElementSibling || card.previousElementSibling;
  const hadFocus = card.contains(document.activeElement);
  card.deleting = true;
  card.hidden = true;
  if (hadFocus) focusAfterRemoval(next && !next.hidden ? next : null, note.section);
  const { done } = socket.op("note.delete", { id });
  const notice = toast(`Note deleted: “${note.text.length > 50 ? `${note.text.slice(0, 50)}…` : note.text}”`, {
    action: "Undo",
    onAction: () => restoreNote(id),
  });
  done.then((reply) => {
    if (reply.type === "ack" || reply.code === "not_found") return;
    // Refused: the note was never deleted. Take back the notice that said it was.
    notice.remove();
    if (lastDeleted === id) lastDeleted = null;
    card.deleting = false;
    if (cards.get(id) === card) applyFilterTo(card);
    toast(reply.detail || "The note could not be deleted.", { kind: "error" });
    announce(`The note was not deleted. ${reply.detail || ""}`.trim());
  });
  lastDeleted = id;
  announce("Note deleted. Undo is in the notice at the bottom of the page, or press Ctrl+Z.");
}

let lastDeleted = null;

async function restoreNote(id) {
  const result = await api("POST", `${data.urls.api}notes/${id}/restore/`);
  if (!result.ok) {
    toast(errorText(result), { kind: "error" });
    return null;
  }
  lastDeleted = null;
  deletedSeq.delete(id);
  upsertNote(result.data);
  const card = cards.get(id);
  if (card) {
    card.deleting = false;
    applyFilterTo(card);
    card.parts.text.hidden = false;
    card.parts.actions.hidden = false;
    card.parts.article.classList.remove("is-editing");
    card.parts.article.focus();
  }
  announce("Note restored.");
  return result.data;
}

// Moving: drag and drop, the "Move to" menu, and Alt+Arrow keys -------------------------------------

function positionBetween(before, after) {
  if (before && after) return (before.position + after.position) / 2;
  if (before) return before.position + 1;
  if (after) return after.position - 1;
  return 1;
}

function moveNote(id, section, position) {
  const card = cards.get(id);
  if (!card || !me.can_edit) return;
  const fields = { section };
  if (position !== undefined) fields.position = position;
  else {
    const last = sortedCards(section).filter((other) => other !== card).pop();
    fields.position = last ? last.note.position + 1 : 1;
  }
  const before = card.note;
  const moved = { ...before, ...fields };
  notes.set(id, moved);
  updateCard(card, moved, labels);
  placeCard(card);
  scheduleCounts();
  const { done } = socket.op("note.update", { id, ...fields });
  done.then((reply) => {
    if (reply.type === "ack") return;
    // Refused: put the card back where the server has it, unless news of it came meanwhile.
    if (cards.get(id) === card && notes.get(id) === moved) {
      const current = reply.current || before;
      notes.set(id, current);
      updateCard(card, current, labels);
      placeCard(card);
      scheduleCounts();
      announce(`The note was not moved; it is back in ${labels.sections[current.section]}.`);
    }
    toast(reply.detail || "The note could not be moved.", { kind: "error" });
  });
  const inSection = sortedCards(section);
  announce(`Moved to ${labels.sections[section]}, ${inSection.indexOf(card) + 1} of ${inSection.length}.`);
}

function moveBySteps(card, key) {
  const note = card.note;
  const index = sectionKeys.indexOf(note.section);
  if (key === "ArrowLeft" || key === "ArrowRight") {
    const target = sectionKeys[index + (key === "ArrowLeft" ? -1 : 1)];
    if (!target) return announce("No section further that way.");
    moveNote(note.id, target);
    return;
  }
  const siblings = sortedCards(note.section).filter((other) => !other.hidden);
  const at = siblings.indexOf(card);
  if (key === "ArrowUp") {
    if (at <= 0) return announce("Already first in the section.");
    moveNote(note.id, note.section, positionBetween(siblings[at - 2]?.note, siblings[at - 1].note));
  } else {
    if (at === siblings.length - 1) return announce("Already last in the section.");
    moveNote(note.id, note.section, positionBetween(siblings[at + 1].note, siblings[at + 2]?.note));
  }
}

function openMoveMenu(card) {
  closeMoveMenus();
  const button = card.parts.buttons.move;
  const menu = el("div", { class: "move-menu", role: "group", "aria-label": "Move to section" });
  for (const section of data.sections) {
    const here = section.key === card.note.section;
    const option = el("button", { type: "button", class: "move-option", "aria-current": here ? "true" : null, disabled: here });
    option.textContent = section.label;
    option.addEventListener("click", () => {
      closeMoveMenus();
      card.parts.article.focus();
      moveNote(card.note.id, section.key);
    });
    menu.append(option);
  }
  menu.addEventListener("keydown", (event) => {
    const options = Array.from(menu.querySelectorAll("button:not([disabled])"));
    const at = options.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      closeMoveMenus();
      button.focus();
    } else if (event.key === "ArrowDown" || event.key === "ArrowRight") {
      event.preventDefault();
      options[(at + 1) % options.length].focus();
    } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
      event.preventDefault();
      options[(at - 1 + options.length) % options.length].focus();
    }
  });
  button.setAttribute("aria-expanded", "true");
  button.after(menu);
  placeMoveMenu(menu);
  menu.querySelector("button:not([disabled])").focus();
}

// The menu is position: fixed (a section's scroll box would clip it): under its button, its
// right edge at the button's, kept inside the window, and above the button when there is no
// room below.
function placeMoveMenu(menu) {
  const button = menu.previousElementSibling;
  if (!button) return;
  const margin = 8;
  const rect = button.getBoundingClientRect();
  const { offsetWidth: width, offsetHeight: height } = menu;
  const left = Math.min(Math.max(margin, rect.right - width), window.innerWidth - width - margin);
  let top = rect.bottom + 4;
  if (top + height > window.innerHeight - margin) top = Math.max(margin, rect.top - height - 4);
  menu.style.left = `${Math.max(margin, left)}px`;
  menu.style.top = `${top}px`;
}

function placeMoveMenus() {
  for (const menu of board.querySelectorAll(".move-menu")) placeMoveMenu(menu);
}

window.addEventListener("scroll", placeMoveMenus, { capture: true, passive: true });
window.addEventListener("resize", placeMoveMenus, { passive: true });

function closeMoveMenus() {
  for (const menu of board.querySelectorAll(".move-menu")) {
    menu.previousElementSibling?.setAttribute("aria-expanded", "false");
    menu.remove();
  }
}

document.addEventListener("click", (event) => {
  if (!event.target.closest(".move-menu, .note-move")) closeMoveMenus();
});

let dragged = null;
const dropMarker = el("li", { class: "drop-marker", "aria-hidden": "true" });

board.addEventListener("dragstart", (event) => {
  const card = event.target.closest?.(".note-item");
  if (!card || card.pending || !me.can_edit) return;
  dragged = card;
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", String(card.note.id));
  requestAnimationFrame(() => card.classList.add("is-dragging"));
});

board.addEventListener("dragend", () => {
  dragged?.classList.remove("is-dragging");
  dragged = null;
  dropMarker.remove();
});

function dropTarget(event) {
  const section = event.target.closest?.("[data-section]");
  if (!section) return null;
  const list = lists[section.dataset.section];
  const siblings = sortedCards(section.dataset.section).filter((card) => card !== dragged && !card.hidden);
  let index = siblings.length;
  for (let i = 0; i < siblings.length; i += 1) {
    const box = siblings[i].getBoundingClientRect();
    if (event.clientY < box.top + box.height / 2) {
      index = i;
      break;
    }
  }
  return { section: section.dataset.section, list, siblings, index };
}

board.addEventListener("dragover", (event) => {
  if (!dragged) return;
  const target = dropTarget(event);
  if (!target) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  const before = target.siblings[target.index] || null;
  if (dropMarker.parentNode !== target.list || dropMarker.nextElementSibling !== before) {
    target.list.insertBefore(dropMarker, before);
  }
});

board.addEventListener("drop", (event) => {
  if (!dragged) return;
  const target = dropTarget(event);
  dropMarker.remove();
  if (!target) return;
  event.preventDefault();
  const before = target.siblings[target.index - 1]?.note;
  const after = target.siblings[target.index]?.note;
  moveNote(dragged.note.id, target.section, positionBetween(before, after));
});

// Keyboard and buttons on cards ---------------------------------------------------------------

board.addEventListener("click", (event) => {
  const button = event.target.closest(".note-button");
  if (!button) return;
  const card = button.closest(".note-item");
  if (!card || !card.note) return;
  const id = card.note.id;
  if (button.classList.contains("note-edit")) startEdit(card);
  else if (button.classList.contains("note-evidence")) panel.open(id, { trigger: button });
  else if (button.classList.contains("note-review")) panel.open(id, { trigger: button, focus: "review" });
  else if (button.classList.contains("note-delete")) deleteNote(id);
  else if (button.classList.contains("note-move")) {
    if (button.getAttribute("aria-expanded") === "true") closeMoveMenus();
    else openMoveMenu(card);
  }
});

board.addEventListener("dblclick", (event) => {
  const card = event.target.closest(".note-item");
  if (card && card.note && !card.pending && !event.target.closest("button, textarea, select, .note-conflict")) startEdit(card);
});

board.addEventListener("keydown", (event) => {
  const article = event.target.closest?.(".note");
  if (!article || event.target.closest("textarea, select, input, .move-menu")) return;
  const card = article.closest(".note-item");
  if (!card || !card.note || card.pending) return;
  if (event.altKey && ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.key)) {
    event.preventDefault();
    if (!me.can_edit) return announce("You can read this map but not move notes.");
    article.focus();
    moveBySteps(card, event.key);
    return;
  }
  if (event.target !== article) return;
  if (event.key === "Enter" || event.key === "F2") {
    event.preventDefault();
    if (me.can_edit) startEdit(card);
    else panel.open(card.note.id, { trigger: article });
  } else if (event.key === "Delete" && me.can_edit) {
    event.preventDefault();
    deleteNote(card.note.id);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const siblings = sortedCards(card.note.section).filter((other) => !other.hidden);
    const next = siblings[siblings.indexOf(card) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.parts.article.focus();
    }
  }
});

document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z" && lastDeleted !== null && !event.target.closest("textarea, input")) {
    event.preventDefault();
    restoreNote(lastDeleted);
  }
});

// The rest of the page -----------------------------------------------------------------------------

const panel = new EvidencePanel({
  root: document.getElementById("panel"),
  data,
  labels,
  getNote: (id) => notes.get(id),
  onNote: (note) => upsertNote(note),
  announce,
  toast,
});

filterForm.addEventListener("submit", (event) => event.preventDefault());
filterForm.addEventListener("input", () => applyFilters());
filterForm.addEventListener("change", () => applyFilters());
filterForm.addEventListener("reset", () => setTimeout(applyFilters));
document.getElementById("print-board").addEventListener("click", () => window.print());
window.addEventListener("beforeunload", (event) => {
  if (socket.pending.size || editors.size) event.preventDefault();
});

function firstRender() {
  const started = performance.now();
  for (const [noteId, facts] of Object.entries(data.links || {})) linkFacts.set(Number(noteId), facts);
  const bySection = Object.fromEntries(sectionKeys.map((key) => [key, []]));
  for (const note of data.notes) {
    notes.set(note.id, note);
    noteSeq.set(note.id, data.map.seq);
    if (bySection[note.section]) bySection[note.section].push(note);
  }
  for (const key of sectionKeys) {
    const fragment = document.createDocumentFragment();
    for (const note of bySection[key].sort(compareNotes)) {
      const card = createCard(note, labels, me);
      cards.set(note.id, card);
      fragment.append(card);
    }
    lists[key].append(fragment);
  }
  fillFilterOptions();
  buildAddForms();
  refreshCounts();
  renderPresence();
  document.body.dataset.boardReady = "true";
  focusNoteFromHash();
  window.boardTimings = { firstRender: performance.now() - started };
  requestAnimationFrame(() => setTimeout(() => {
    window.boardTimings.painted = performance.now();
  }, 0));
}

/** A link such as /maps/1/#note-12 (from the review dashboard) lands on that note. */
function focusNoteFromHash() {
  const match = /^#note-(\d+)$/.exec(location.hash);
  const card = match && cards.get(Number(match[1]));
  if (!card) return;
  card.hidden = false;
  card.parts.article.focus({ preventScroll: true });
  card.parts.article.scrollIntoView({ block: "center" });
  card.parts.article.classList.add("is-target");
}

window.addEventListener("hashchange", focusNoteFromHash);
firstRender();
socket.connect();
