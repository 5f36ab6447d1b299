// Drawing the store's notes as cards in their sections: one card per live note, kept in
// order, with the section counts. It only reads the store, through its changes.

import { createCard, el, updateCard } from "./board-view.js";

export function compareNotes(a, b) {
  return a.position - b.position || a.id - b.id;
}

export function createRender(ctx) {
  const { store, labels, me, ui } = ctx;
  const board = document.getElementById("board");
  const lists = {};
  const sectionCounts = {};
  for (const section of document.querySelectorAll("[data-section]")) {
    lists[section.dataset.section] = section.querySelector("[data-notes]");
    sectionCounts[section.dataset.section] = section.querySelector("[data-count]");
  }
  const cards = new Map(); // id -> <li> card
  const pendingCards = new Map(); // op_id -> <li> of a note being added

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
      if (other.pending || (ctx.noteOrder || compareNotes)(other.note, card.note) > 0) {
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

  function addToggleFor(section) {
    return document.querySelector(`[data-section="${section}"] .add-toggle`);
  }

  function focusAfterRemoval(next, section) {
    const target = next && next.parts ? next.parts.article : addToggleFor(section);
    if (target) target.focus();
  }

  function showNote(note, local) {
    let card = cards.get(note.id);
    if (card) {
      updateCard(card, note, labels);
      card.parts.saving.hidden = !card.saving;
    } else {
      card = createCard(note, labels, me);
      cards.set(note.id, card);
    }
    placeCard(card);
    if (local) {
      scheduleCounts();
      return;
    }
    ctx.editing.noteChanged(note);
    ctx.filters.applyTo(card);
    ctx.presence.refreshPeers();
    scheduleCounts();
    ctx.panel.noteChanged(note);
  }

  function dropNote(id) {
    const card = cards.get(id);
    if (!card) return;
    if (ctx.editing.isEditing(id)) {
      // Someone deleted the note under an open editor: keep what was typed, offer to restore it.
      ctx.editing.deletedWhileEditing(id);
      return;
    }
    const hadFocus = card.contains(document.activeElement);
    const next = card.nextElementSibling || card.previousElementSibling;
    card.remove();
    cards.delete(id);
    if (hadFocus) focusAfterRemoval(next, card.note.section);
    scheduleCounts();
    ctx.panel.noteRemoved(id);
  }

  /** A card whose note is gone (its editor just closed) leaves the board. */
  function forget(id) {
    const card = cards.get(id);
    if (!card) return;
    cards.delete(id);
    card.remove();
    scheduleCounts();
  }

  function showPending(opId, { section, text }) {
    const pending = el("li", { class: "note-item pending" });
    pending.pending = true;
    const body = el("p", { class: "note-text" });
    body.textContent = text;
    const state = ctx.socket.ready ? "Adding…" : "Waiting to send (offline)";
    pending.append(el("div", { class: "note note-pending" }, body, el("p", { class: "note-meta", text: state })));
    lists[section].append(pending);
    pendingCards.set(opId, pending);
  }

  function dropPending(opId) {
    pendingCards.get(opId)?.remove();
    pendingCards.delete(opId);
  }

  function showMap(map, before) {
    const title = document.querySelector(".board-title h1");
    if (title) title.textContent = map.title;
    if (map.archived && !before.archived && (me.can_edit || me.can_research)) {
      ui.toast("This map has just been archived; it is now read-only. Reload to see it as it is.", {
        kind: "warn",
        timeout: 30000,
      });
    } else if (map.workspace_archived && !before.workspace_archived && (me.can_edit || me.can_research)) {
      ui.toast("This workspace has just been archived; the map is now read-only. Reload to see it as it is.", {
        kind: "warn",
        timeout: 30000,
      });
    } else if (before.workspace_archived && !map.workspace_archived && !map.archived && me.role !== "viewer") {
      ui.toast("This workspace has been restored. Reload to change the map again.", { timeout: 30000 });
    }
  }

  store.subscribe((change) => {
    if (change.type === "note") showNote(change.note, change.local);
    else if (change.type === "removed") dropNote(change.id);
    else if (change.type === "links") ctx.panel.linksChanged(change.id);
    else if (change.type === "map") showMap(change.map, change.before);
    else if (change.type === "pending") showPending(change.opId, change.fields);
    else if (change.type === "pending-done") dropPending(change.opId);
  });

  let countsFrame = 0;
  function scheduleCounts() {
    if (countsFrame) return;
    countsFrame = requestAnimationFrame(() => {
      countsFrame = 0;
      refreshCounts();
    });
  }

  function refreshCounts() {
    const keys = Object.keys(lists);
    const totals = Object.fromEntries(keys.map((key) => [key, 0]));
    const shown = Object.fromEntries(keys.map((key) => [key, 0]));
    for (const card of cards.values()) {
      if (!store.has(card.note.id) || !(card.note.section in totals)) continue;
      totals[card.note.section] += 1;
      if (!card.hidden) shown[card.note.section] += 1;
    }
    let all = 0;
    let visible = 0;
    const filtering = ctx.filters.filtering();
    for (const key of keys) {
      all += totals[key];
      visible += shown[key];
      const count = sectionCounts[key];
      const label = filtering ? `${shown[key]} of ${totals[key]}` : String(totals[key]);
      if (count.textContent !== label) count.textContent = label;
      count.setAttribute("aria-label", filtering ? `${shown[key]} of ${totals[key]} notes shown` : `${totals[key]} notes`);
      lists[key].closest("[data-section]").classList.toggle("is-empty", totals[key] === 0);
    }
    ctx.filters.showSummary(visible, all);
    ctx.onCounts?.(totals);
  }

  /** Draws every note of the first load at once, a section at a time. */
  function drawAll() {
    const bySection = Object.fromEntries(Object.keys(lists).map((key) => [key, []]));
    for (const note of store.all()) if (bySection[note.section]) bySection[note.section].push(note);
    for (const [key, notes] of Object.entries(bySection)) {
      const fragment = document.createDocumentFragment();
      for (const note of notes.sort(compareNotes)) {
        const card = createCard(note, labels, me);
        cards.set(note.id, card);
        fragment.append(card);
      }
      lists[key].append(fragment);
    }
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

  return {
    board,
    lists,
    cards,
    sortedCards,
    placeCard,
    addToggleFor,
    focusAfterRemoval,
    forget,
    scheduleCounts,
    refreshCounts,
    drawAll,
    focusNoteFromHash,
  };
}
