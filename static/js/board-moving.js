// Moving notes: drag and drop, the "Move to" menu, and Alt+Arrow keys. A move shows at once
// (a local change in the store) and is taken back if the server refuses it.

import { el } from "./board-view.js";

export function positionBetween(before, after) {
  if (before && after) return (before.position + after.position) / 2;
  if (before) return before.position + 1;
  if (after) return after.position - 1;
  return 1;
}

export function createMoving(ctx) {
  const { store, socket, me, labels, ui } = ctx;
  const { board, cards, sortedCards } = ctx.render;

  function moveNote(id, section, position) {
    const card = cards.get(id);
    if (!card || !me.can_edit) return;
    const fields = { section };
    if (position !== undefined) fields.position = position;
    else {
      // Last in the section's own order, whatever order the screen shows (sort by votes).
      const positions = sortedCards(section).filter((other) => other !== card).map((other) => other.note.position);
      fields.position = positions.length ? Math.max(...positions) + 1 : 1;
    }
    const before = store.get(id);
    const moved = store.changeLocally(id, fields);
    const { done } = socket.op("note.update", { id, ...fields });
    done.then((reply) => {
      if (reply.type === "ack") return;
      if (cards.get(id) === card && store.applyRefusal(reply, { id, optimistic: moved, before })) {
        announce(`The note was not moved; it is back in ${labels.sections[store.get(id).section]}.`);
      }
      ui.toast(reply.detail || "The note could not be moved.", { kind: "error" });
    });
    const inSection = sortedCards(section);
    announce(`Moved to ${labels.sections[section]}, ${inSection.indexOf(card) + 1} of ${inSection.length}.`);
  }

  const announce = (message) => ui.announce(message);

  function moveBySteps(card, key) {
    const note = card.note;
    const keys = ctx.layoutSections();
    const index = keys.indexOf(note.section);
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const target = index === -1 ? keys[0] : keys[index + (key === "ArrowLeft" ? -1 : 1)];
      if (!target) return announce("No section further that way.");
      moveNote(note.id, target);
      return;
    }
    // Sorted by votes (board-stances.js), the order on screen is not the notes' own.
    if (ctx.noteOrder) return announce("Sorted by votes: turn off Sort by votes to reorder notes.");
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

  // The "Move to" menu ---------------------------------------------------------------------------

  function openMoveMenu(card) {
    closeMoveMenus();
    const button = card.parts.buttons.move;
    const menu = el("div", { class: "move-menu", role: "group", "aria-label": "Move to section" });
    for (const section of ctx.sectionsInLayout()) {
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

  // Menus (move, colour) share one look and placement, and close together.
  function toggleMoveMenu(card) {
    if (card.parts.buttons.move.getAttribute("aria-expanded") === "true") closeMoveMenus();
    else openMoveMenu(card);
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
    for (const menu of document.querySelectorAll(".move-menu")) placeMoveMenu(menu);
  }

  function closeMoveMenus() {
    for (const menu of document.querySelectorAll(".move-menu")) {
      menu.previousElementSibling?.setAttribute("aria-expanded", "false");
      menu.remove();
    }
  }

  window.addEventListener("scroll", placeMoveMenus, { capture: true, passive: true });
  window.addEventListener("resize", placeMoveMenus, { passive: true });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".move-menu, .note-move, .note-color")) closeMoveMenus();
  });

  // Drag and drop ----------------------------------------------------------------------------------

  let dragged = null;
  const dropMarker = el("li", { class: "drop-marker", "aria-hidden": "true" });

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.(".note-item");
    if (!card || card.pending || !me.can_edit) return;
    dragged = card;
    if (ctx.noteOrder) announce("Sorted by votes: drop on another section to move the note there; turn off Sort by votes to reorder.");
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
    if (!section || !ctx.layoutSections().includes(section.dataset.section)) return null;
    // Sorted by votes, the order on screen is not the notes' own: no reordering in place.
    if (ctx.noteOrder && section.dataset.section === dragged.note.section) return null;
    const list = ctx.render.lists[section.dataset.section];
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
    if (!target) return dropMarker.remove();
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
    if (ctx.noteOrder) return moveNote(dragged.note.id, target.section); // to its end
    const before = target.siblings[target.index - 1]?.note;
    const after = target.siblings[target.index]?.note;
    moveNote(dragged.note.id, target.section, positionBetween(before, after));
  });

  return { moveNote, moveBySteps, toggleMoveMenu, closeMoveMenus, placeMenu: placeMoveMenu };
}
