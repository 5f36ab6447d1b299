// The board's two views: the grid of sections, and the empathy-map canvas with the persona in
// the middle and the sections around it. The choice is remembered per user on this browser.

import { personaInitials } from "./avatar-color.js";

const VIEWS = ["grid", "canvas"];

export function createCanvas(ctx) {
  const { store, me, ui } = ctx;
  const board = ctx.render.board;
  const key = `empathymap.view.${me.username}`;
  const buttons = Array.from(document.querySelectorAll(".view-option"));
  const name = document.getElementById("persona-card-name");
  const description = document.getElementById("persona-card-description");
  const avatar = document.getElementById("persona-avatar");

  function saved() {
    try {
      const view = localStorage.getItem(key);
      return VIEWS.includes(view) ? view : "grid";
    } catch {
      return "grid";
    }
  }

  function show(view, { remember = false } = {}) {
    for (const other of VIEWS) board.classList.toggle(`view-${other}`, other === view);
    document.body.dataset.view = view;
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.view === view));
    if (remember) {
      try {
        localStorage.setItem(key, view);
      } catch {
        // Private windows may refuse storage: the view still changes, it is just not kept.
      }
    }
  }

  // The picture replaces the initials when the map has one; its URL carries a version, so a
  // new picture is fetched and an unchanged one is left alone.
  function showPicture(map) {
    const url = map.persona_picture || null;
    const img = avatar.querySelector("img");
    const alt = `Picture of ${map.persona || map.title || "the persona"}`;
    avatar.classList.toggle("has-picture", Boolean(url));
    if (!url) {
      avatar.textContent = personaInitials(map.persona || "");
      avatar.setAttribute("aria-hidden", "true");
      return;
    }
    avatar.removeAttribute("aria-hidden");
    if (img && img.getAttribute("src") === url) {
      img.alt = alt;
      return;
    }
    const picture = document.createElement("img");
    picture.className = "persona-picture";
    picture.src = url;
    picture.alt = alt;
    picture.width = 72;
    picture.height = 72;
    avatar.replaceChildren(picture);
  }

  function showPersona(map) {
    name.textContent = map.persona || "Not named yet";
    name.classList.toggle("is-unnamed", !map.persona);
    description.textContent = map.description || "";
    description.hidden = !map.description;
    showPicture(map);
    const header = document.querySelector(".board-title .persona");
    if (header) header.textContent = map.persona;
  }

  for (const button of buttons) {
    button.addEventListener("click", () => {
      show(button.dataset.view, { remember: true });
      ui.announce(button.dataset.view === "canvas" ? "Canvas view: the persona in the middle, the sections around it." : "Grid view.");
    });
  }
  store.subscribe((change) => {
    if (change.type === "map") showPersona(change.map);
  });
  showPersona(store.map);
  show(saved());

  return { show };
}
