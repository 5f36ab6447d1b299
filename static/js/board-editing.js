// Editing a note in place, the conflict box when someone else saved first, and deleting with
// undo. What the server says goes through the store; this module keeps the open editors.

import { api, errorText } from "./api.js";
import { el, updateCard } from "./board-view.js";
import { limitText } from "./text-limit.js";

export function createEditing(ctx) {
  const { store, socket, data, me, labels, ui } = ctx;
  const editors = new Map(); // note id -> open editor
  const conflicts = new Map(); // note id -> open conflict
  let lastDeleted = null;

  const cards = () => ctx.render.cards;

  function isEditing(id) {
    return editors.has(id);
  }

  /** An editor or a conflict is open on the note: filters must not hide it. */
  function isOpen(id) {
    return editors.has(id) || conflicts.has(id);
  }

  function editingId() {
    return editors.size ? editors.keys().next().value : null;
  }

  function noteChanged(note) {
    const editor = editors.get(note.id);
    if (editor && note.version !== editor.baseVersion) {
      editor.hint.hidden = false;
      editor.hint.textContent = "Someone else changed this note since you began; saving will ask which to keep.";
    }
  }

  function deletedWhileEditing(id) {
    const editor = editors.get(id);
    editor.hint.hidden = false;
    editor.hint.textContent = "Someone deleted this note while you edited it. Save to bring it back with your text, or Cancel.";
    editor.baseVersion = null;
    editor.deleted = true;
  }

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
    const textarea = el("textarea", { id: textId, rows: "4" });
    textarea.value = text ?? note.text;
    const limit = limitText(textarea, data.note_text_max, { id: `${textId}-count`, noun: "note" });
    limit.update();
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
      limit.counter,
      el("div", { class: "add-row" }, el("label", { for: teamId, class: "inline-label", text: "Team" }), select, save, cancel),
      hint,
    );
    const editor = { form, textarea, select, hint, limit, baseVersion: baseVersion ?? note.version, card };
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
    ctx.presence.sendCursor();
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
    if (!store.has(id) && cards().get(id) === card) ctx.render.forget(id);
    else if (cards().has(id)) ctx.filters.applyTo(card);
    if (focus && cards().has(id)) card.parts.article.focus();
    ctx.presence.sendCursor();
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
    if (!editor.limit.check()) return;
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
    const card = cards().get(id);
    const { done } = socket.op("note.update", { id, ...fields });
    if (card) {
      card.saving = true;
      card.parts.saving.hidden = false;
      card.parts.saving.textContent = socket.ready ? "Saving…" : "Waiting to send";
    }
    // Show the edit at once (a local change in the store); the ack or the refusal settles it.
    const before = store.get(id);
    const shown = before ? store.changeLocally(id, { text: mine.text, team: mine.team }) : null;
    done.then((reply) => {
      const target = cards().get(id);
      if (target) {
        target.saving = false;
        target.parts.saving.hidden = true;
      }
      if (reply.type === "ack") return;
      store.applyRefusal(reply, { id, optimistic: shown, before });
      if (reply.code === "conflict" && reply.current) {
        if (target) updateCard(target, reply.current, labels);
        showConflict(id, reply.current, mine);
        return;
      }
      if (target && store.has(id)) updateCard(target, store.get(id), labels);
      ui.toast(reply.detail || "The change was refused.", { kind: "error" });
    });
  }

  // Conflicts: theirs and mine side by side, nothing lost ------------------------------------

  function showConflict(id, theirs, mine) {
    const card = cards().get(id);
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
    ctx.filters.applyTo(card);
    buttons.theirs.addEventListener("click", () => {
      closeConflict(id, true);
      ui.announce("Kept their version.");
    });
    buttons.mine.addEventListener("click", () => {
      const current = store.get(id);
      closeConflict(id, true);
      if (!current) return;
      const fields = { version: current.version, text: mine.text };
      if (mine.team !== current.team) fields.team = mine.team;
      sendUpdate(id, fields, mine);
    });
    buttons.both.addEventListener("click", () => {
      const current = store.get(id) || theirs;
      closeConflict(id, true);
      const { done } = socket.op("note.create", { section: current.section, text: mine.text, team: mine.team, position: current.position + 0.001 });
      done.then((reply) => {
        if (reply.type === "ack") ui.announce("Kept both: yours is a new note next to theirs.");
        else ui.toast(reply.detail || "Your version could not be added.", { kind: "error" });
      });
    });
    buttons.edit.addEventListener("click", () => {
      const current = store.get(id);
      closeConflict(id);
      if (current) startEdit(cards().get(id), { text: mine.text, team: mine.team, baseVersion: current.version });
    });
    buttons.mine.focus();
    ui.announce("Edit conflict: someone else changed this note. Choose which version to keep.");
  }

  function closeConflict(id, focusCard = false) {
    const conflict = conflicts.get(id);
    if (!conflict) return;
    conflicts.delete(id);
    conflict.box.remove();
    const card = cards().get(id);
    if (!card) return;
    card.parts.article.classList.remove("has-conflict");
    if (focusCard) card.parts.article.focus();
  }

  // Deleting, with undo --------------------------------------------------------------------------

  function deleteNote(id) {
    const card = cards().get(id);
    if (!card) return;
    const note = card.note;
    const next = card.nextElementSibling || card.previousElementSibling;
    const hadFocus = card.contains(document.activeElement);
    card.deleting = true;
    card.hidden = true;
    if (hadFocus) ctx.render.focusAfterRemoval(next && !next.hidden ? next : null, note.section);
    const { done } = socket.op("note.delete", { id });
    const notice = ui.toast(`Note deleted: “${note.text.length > 50 ? `${note.text.slice(0, 50)}…` : note.text}”`, {
      action: "Undo",
      onAction: () => restoreNote(id),
    });
    done.then((reply) => {
      if (reply.type === "ack" || reply.code === "not_found") return;
      // Refused: the note was never deleted. Take back the notice that said it was.
      notice.remove();
      if (lastDeleted === id) lastDeleted = null;
      card.deleting = false;
      if (cards().get(id) === card) ctx.filters.applyTo(card);
      ui.toast(reply.detail || "The note could not be deleted.", { kind: "error" });
      ui.announce(`The note was not deleted. ${reply.detail || ""}`.trim());
    });
    lastDeleted = id;
    ui.announce("Note deleted. Undo is in the notice at the bottom of the page, or press Ctrl+Z.");
  }

  async function restoreNote(id) {
    const result = await api("POST", `${data.urls.api}notes/${id}/restore/`);
    if (!result.ok) {
      ui.toast(errorText(result), { kind: "error" });
      return null;
    }
    lastDeleted = null;
    store.restored(result.data);
    const card = cards().get(id);
    if (card) {
      card.deleting = false;
      ctx.filters.applyTo(card);
      card.parts.text.hidden = false;
      card.parts.actions.hidden = false;
      card.parts.article.classList.remove("is-editing");
      card.parts.article.focus();
    }
    ui.announce("Note restored.");
    return result.data;
  }

  /** Ctrl+Z: brings back the note deleted last, if any. Returns whether there was one. */
  function undoDelete() {
    if (lastDeleted === null) return false;
    restoreNote(lastDeleted);
    return true;
  }

  function hasUnsaved() {
    return editors.size > 0;
  }

  return {
    isEditing,
    isOpen,
    editingId,
    noteChanged,
    deletedWhileEditing,
    startEdit,
    deleteNote,
    undoDelete,
    canUndo: () => lastDeleted !== null,
    hasUnsaved,
  };
}
