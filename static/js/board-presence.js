// Who else is on the board, and which note each of them is editing.

import { avatarColors } from "./avatar-color.js";
import { el, setPeers } from "./board-view.js";

export function createPresence(ctx) {
  const { store, me, socket, labels } = ctx;
  const list = document.getElementById("presence-list");
  const cursors = new Map(); // username -> {note, editing}
  let presence = [];
  let peersShown = new Map(); // note id -> usernames
  let focusedNote = null;

  function setPresence(users) {
    presence = users.map((user) => (typeof user === "string" ? { username: user } : user));
    const here = new Set(presence.map((user) => user.username));
    for (const name of Array.from(cursors.keys())) if (!here.has(name)) cursors.delete(name);
    refreshPeers();
    render();
  }

  function setCursor(cursor) {
    if (!cursor.user || cursor.user === me.username) return;
    cursors.set(cursor.user, { note: cursor.note ?? null, editing: Boolean(cursor.editing) });
    refreshPeers();
    render();
  }

  function initials(name) {
    return name.slice(0, 2).toUpperCase();
  }

  function render() {
    const seen = new Set();
    const others = presence.filter((user) => {
      if (user.username === me.username || seen.has(user.username)) return false;
      seen.add(user.username);
      return true;
    });
    const items = others.map((user) => {
      const cursor = cursors.get(user.username);
      const editing = cursor && cursor.editing && store.get(cursor.note);
      // Each person's hue, dark enough for white initials at 4.5:1 (avatar-color.js).
      const colors = avatarColors(user.username);
      const avatar = el("span", {
        class: "avatar",
        "aria-hidden": "true",
        style: `background-color:${colors.background};color:${colors.text}`,
      });
      avatar.textContent = initials(user.username);
      const name = el("span", { class: "presence-name" });
      name.textContent = user.username;
      const item = el("li", { class: "presence-user" }, avatar, name);
      if (user.team) {
        // Whose view of the customer this is: the member's team in this workspace.
        const team = el("span", { class: "presence-team" });
        team.textContent = labels.teams[user.team] || user.team;
        item.append(team);
      }
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
    list.replaceChildren(...items);
  }

  function refreshPeers() {
    const editing = new Map();
    for (const [name, cursor] of cursors) {
      if (!cursor.editing || cursor.note === null) continue;
      if (!editing.has(cursor.note)) editing.set(cursor.note, []);
      editing.get(cursor.note).push(name);
    }
    for (const id of new Set([...peersShown.keys(), ...editing.keys()])) {
      const card = ctx.render.cards.get(id);
      if (card) setPeers(card, editing.get(id) || []);
    }
    peersShown = editing;
  }

  function sendCursor() {
    const editingId = ctx.editing.editingId();
    if (editingId !== null) socket.cursor(editingId, true);
    else socket.cursor(focusedNote, false);
  }

  const board = ctx.render.board;
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

  return { setPresence, setCursor, render, refreshPeers, sendCursor };
}
