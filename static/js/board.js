// The board page, wired together. The store (board-store.js) holds the notes and alone applies
// what the server says; the modules around it draw, filter, edit, move and show presence.
// Text from users only goes in via textContent.

import { BoardSocket } from "./board-socket.js";
import { BoardStore } from "./board-store.js";
import { createAdding } from "./board-adding.js";
import { createCanvas } from "./board-canvas.js";
import { createColors } from "./board-colors.js";
import { createComments } from "./board-comments.js";
import { DraftingView } from "./board-drafting.js";
import { createHistory } from "./board-history.js";
import { createEditing } from "./board-editing.js";
import { createFilters } from "./board-filters.js";
import { installKeyboard } from "./board-keyboard.js";
import { createLayout } from "./board-layout.js";
import { createMoving } from "./board-moving.js";
import { createPresence } from "./board-presence.js";
import { createRender } from "./board-render.js";
import { createStances } from "./board-stances.js";
import { createTimeTravel } from "./board-timetravel.js";
import { createUi } from "./board-ui.js";
import { createWorkshop } from "./board-workshop.js";
import { EvidencePanel } from "./evidence-panel.js";

const data = JSON.parse(document.getElementById("board-data").textContent);
const labels = {
  sections: Object.fromEntries(data.all_sections.map((s) => [s.key, s.label])),
  teams: Object.fromEntries(data.teams),
  statuses: Object.fromEntries(data.statuses),
  reviews: Object.fromEntries(data.review_states),
  kinds: Object.fromEntries(data.source_kinds),
};

const store = new BoardStore({ map: data.map, notes: data.notes, links: data.links || {}, seq: data.map.seq });
const socket = new BoardSocket(data.urls.socket, { seq: data.map.seq });
window.boardSocket = socket; // for the browser tests and the benchmark
window.boardStore = store;

// Every module reads the others through ctx, at call time: they are created in order below.
const ctx = {
  data,
  me: data.me,
  labels,
  store,
  socket,
  ui: createUi(),
  allSections: data.all_sections, // all nine: notes outside the layout are kept in a tray
  sectionsInLayout: () => ctx.layout.sectionsInLayout(),
  layoutSections: () => ctx.layout.layoutSections(),
  onCounts: (totals) => ctx.layout.countsChanged(totals),
};
ctx.render = createRender(ctx);
ctx.layout = createLayout(ctx);
ctx.canvas = createCanvas(ctx);
ctx.filters = createFilters(ctx);
ctx.editing = createEditing(ctx);
ctx.presence = createPresence(ctx);
ctx.adding = createAdding(ctx);
ctx.moving = createMoving(ctx);
ctx.colors = createColors(ctx);
installKeyboard(ctx);
// The workshop (README, "Workshop"): the bar and lead's panel, stances and votes, comments.
ctx.workshop = createWorkshop(ctx);
ctx.stances = createStances(ctx);
ctx.comments = createComments(ctx);
ctx.history = createHistory(ctx);
// Time travel (README, "History, time travel, drift, portability"): the past, read-only.
ctx.timeTravel = createTimeTravel(ctx);
ctx.panel = new EvidencePanel({
  root: document.getElementById("panel"),
  data,
  labels,
  getNote: (id) => store.get(id),
  onNote: (note) => store.upsert(note),
  announce: ctx.ui.announce,
  toast: ctx.ui.toast,
  addons: [ctx.comments, ctx.history],
});

// Drafting: what this member may see changes with the phase, their team or their role.
const drafting = new DraftingView({
  data,
  teamLabels: labels.teams,
  before: ctx.render.board,
  upsertNote: (note, seq) => store.upsert(note, seq),
  removeNote: (id, seq) => store.remove(id, seq),
  shownNotes: () => new Map(store.all().map((note) => [note.id, store.noteSeq.get(note.id) ?? -1])),
});
// A lead moved a note out of this member's team while drafting: only its id comes, to drop it.
store.registerKind("note.hidden", (event, held) => held.remove(event.note.id, event.seq));
store.subscribe((change) => {
  if (change.type === "map") drafting.mapUpdated(change.map);
  else if (change.type === "event" && change.event.kind === "hidden") drafting.placeholderArrived();
});

socket.addEventListener("event", (message) => store.applyEvent(message.detail));
socket.addEventListener("visibility", () => drafting.refetch());
socket.addEventListener("ack", (message) => store.applyAck(message.detail));
socket.addEventListener("state", (message) => ctx.ui.showConnection(message.detail));
socket.addEventListener("welcome", (message) => {
  ctx.presence.setPresence(message.detail.presence || []);
  ctx.presence.sendCursor();
});
socket.addEventListener("presence", (message) => ctx.presence.setPresence(message.detail.users || []));
socket.addEventListener("cursor", (message) => ctx.presence.setCursor(message.detail));
socket.addEventListener("refused", (message) => {
  const error = message.detail;
  if (!error.op_id) ctx.ui.toast(error.detail || "The server refused a change.", { kind: "error" });
});

document.getElementById("print-board").addEventListener("click", () => window.print());

// The header's "More" menu closes on Escape (focus back on it), on a choice, or a click elsewhere.
const moreMenu = document.querySelector(".board-menu");
if (moreMenu) {
  moreMenu.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !moreMenu.open) return;
    moreMenu.open = false;
    moreMenu.querySelector("summary").focus();
  });
  moreMenu.addEventListener("click", (event) => {
    if (event.target.closest("a, button")) moreMenu.open = false;
  });
  document.addEventListener("click", (event) => {
    if (moreMenu.open && !moreMenu.contains(event.target)) moreMenu.open = false;
  });
}
window.addEventListener("beforeunload", (event) => {
  if (socket.pending.size || ctx.editing.hasUnsaved()) event.preventDefault();
});

function firstRender() {
  const started = performance.now();
  ctx.render.drawAll();
  ctx.stances.drawAll();
  ctx.filters.fillOptions();
  ctx.adding.buildForms();
  ctx.render.refreshCounts();
  ctx.presence.render();
  document.body.dataset.boardReady = "true";
  ctx.render.focusNoteFromHash();
  window.boardTimings = { firstRender: performance.now() - started };
  requestAnimationFrame(() => setTimeout(() => {
    window.boardTimings.painted = performance.now();
  }, 0));
}

window.addEventListener("hashchange", () => ctx.render.focusNoteFromHash());
firstRender();
socket.connect();
