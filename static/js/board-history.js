// A note's history in its side panel (README, "History, time travel, drift, portability"):
// every event about the note, oldest first, read from GET /api/v1/notes/{id}/history/ when the
// reader opens the section; an earlier text can be brought back (a normal edit, so it is in the
// history too). Text from users only goes in via textContent.

import { api, errorText } from "./api.js";
import { el } from "./board-view.js";

const KIND_LABELS = {
  "note.created": "Created",
  "note.updated": "Edited",
  "note.moved": "Moved",
  "note.deleted": "Deleted",
  "note.restored": "Restored",
  "note.reviewed": "Reviewed",
  "note.stance": "Stance",
  "note.voted": "Vote",
  "link.created": "Evidence linked",
  "link.deleted": "Evidence unlinked",
  "comment.created": "Commented",
};

/** One line of what an event changed: "Text: “old” → “new”", without the position noise. */
export function changeLines(changes, labels = {}) {
  const lines = [];
  for (const [field, [before, after]] of Object.entries(changes || {})) {
    if (field === "position") continue;
    const name = labels[field] || field.replace("_", " ");
    lines.push(`${name}: “${before ?? "—"}” → “${after ?? "—"}”`);
  }
  return lines;
}

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function createHistory(ctx) {
  const { data, me, ui } = ctx;
  let current = null; // {noteId, list}
  const labels = { text: "Text", team: "Team", color: "Colour", section: "Section", status: "Status" };

  async function load(noteId, list) {
    list.replaceChildren(el("li", { class: "muted", text: "Loading…" }));
    const result = await api("GET", `${data.urls.api}notes/${noteId}/history/`);
    if (current?.noteId !== noteId) return; // the panel moved on to another note
    if (!result.ok) {
      list.replaceChildren(el("li", { class: "muted", text: errorText(result) }));
      return;
    }
    const events = result.data.events || [];
    // An edit's earlier text is the text after the note's event before it.
    list.replaceChildren(...events.map((event, index) => item(noteId, event, events[index - 1])));
    if (!events.length) list.replaceChildren(el("li", { class: "muted", text: "No history yet." }));
  }

  function item(noteId, event, previous) {
    const head = el("p", { class: "history-head" });
    head.textContent = `${KIND_LABELS[event.kind] || event.kind} · ${event.actor || "someone"} · ${when(event.at)}`;
    const entry = el("li", { class: "history-event" }, head);
    for (const line of changeLines(event.changes, labels)) {
      entry.append(el("p", { class: "history-change", text: line }));
    }
    const text = event.changes?.text;
    if (text && previous && me.can_edit) {
      const restore = el("button", {
        type: "button",
        class: "button button-quiet button-small",
        text: "Bring back the earlier text",
      });
      restore.setAttribute("aria-label", `Bring back the earlier text “${text[0] ?? ""}”`);
      restore.addEventListener("click", () => bringBack(noteId, previous.seq, restore));
      entry.append(restore);
    }
    return entry;
  }

  async function bringBack(noteId, seq, button) {
    button.disabled = true;
    const result = await api("POST", `${data.urls.api}notes/${noteId}/history/restore/`, { seq });
    button.disabled = false;
    if (!result.ok) {
      ui.toast(errorText(result), { kind: "error" });
      return;
    }
    ui.announce("The earlier text is back.");
    if (current?.noteId === noteId) load(noteId, current.list);
  }

  return {
    build(note) {
      const list = el("ol", { class: "history-list", "aria-label": "History of this note" });
      const details = el(
        "details",
        { class: "panel-section panel-history" },
        el("summary", { text: "History" }),
        list,
        el("a", { href: `/notes/${note.id}/history/`, text: "Open the full history" }),
      );
      current = { noteId: note.id, list };
      details.addEventListener("toggle", () => {
        if (details.open) load(note.id, list);
      });
      return details;
    },
    closed() {
      current = null;
    },
  };
}
