// Choosing a note's colour: a small menu of the palette under the note's "Colour…" button.
// The colour shows at once (a local change in the store) and is taken back if refused.

import { el } from "./board-view.js";
import { NOTE_COLORS, colorLabel } from "./note-colors.js";

export function createColors(ctx) {
  const { store, socket, me, ui } = ctx;

  function toggleMenu(card) {
    const button = card.parts.buttons.color;
    if (button.getAttribute("aria-expanded") === "true") {
      ctx.moving.closeMoveMenus();
      return;
    }
    ctx.moving.closeMoveMenus();
    const menu = el("div", { class: "move-menu color-menu", role: "group", "aria-label": "Note colour" });
    for (const color of NOTE_COLORS) {
      const here = color.key === card.note.color;
      const option = el(
        "button",
        { type: "button", class: "move-option color-option", "aria-pressed": String(here) },
        el("span", { class: "color-swatch", style: `background:${color.paper}`, "aria-hidden": "true" }),
        color.label,
      );
      option.addEventListener("click", () => {
        ctx.moving.closeMoveMenus();
        card.parts.article.focus();
        if (!here) setColor(card.note.id, color.key);
      });
      menu.append(option);
    }
    menu.addEventListener("keydown", (event) => {
      const options = Array.from(menu.querySelectorAll("button"));
      const at = options.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        ctx.moving.closeMoveMenus();
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
    ctx.moving.placeMenu(menu);
    (menu.querySelector('[aria-pressed="true"]') || menu.querySelector("button")).focus();
  }

  /** Sends a new colour; a conflict (someone edited the text) is retried once on their version. */
  function setColor(id, color, { retry = true } = {}) {
    const before = store.get(id);
    if (!before || !me.can_edit) return;
    const shown = store.changeLocally(id, { color });
    const { done } = socket.op("note.update", { id, color, version: before.version });
    done.then((reply) => {
      if (reply.type === "ack") {
        ui.announce(`Colour: ${colorLabel(color)}.`);
        return;
      }
      store.applyRefusal(reply, { id, optimistic: shown, before });
      if (reply.code === "conflict" && retry && store.get(id)?.color !== color) {
        setColor(id, color, { retry: false });
        return;
      }
      ui.toast(reply.detail || "The colour could not be changed.", { kind: "error" });
    });
  }

  return { toggleMenu, setColor };
}
