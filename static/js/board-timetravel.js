// Time travel on the board (README, "History, time travel, drift, portability"): a bar with a
// slider over the map's events and a day picker; choosing a moment fetches
// `GET /api/v1/maps/{id}/?as_of=` and shows the map as it was, read-only, in place of the live
// board (always as a grid, also from the canvas view). The store keeps applying live events
// underneath, so "Back to now" shows the live board at once. User text only via textContent.

import { api } from "./api.js";
import { createCard, el } from "./board-view.js";

const READ_ONLY = { can_edit: false, can_review: false };

function dayOf(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "";
  return date.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function localDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function createTimeTravel(ctx) {
  const { data, labels, store, ui } = ctx;
  const toggle = document.getElementById("time-travel-toggle");
  const bar = document.getElementById("time-bar");
  const slider = document.getElementById("time-slider");
  const output = document.getElementById("time-output");
  const total = document.getElementById("time-total");
  const moment = document.getElementById("time-moment");
  const day = document.getElementById("time-day");
  const close = document.getElementById("time-close");
  const banner = document.getElementById("time-banner");
  const bannerText = document.getElementById("time-banner-text");
  const back = document.getElementById("time-back");
  const past = document.getElementById("past-board");
  const live = [document.getElementById("filters"), document.querySelector(".board-wrap")];
  if (!toggle || !bar || !slider || !past) return { inPast: () => false };

  let shown = null; // the as_of of the moment on screen, or null at "now"
  let timer = null;
  let asked = 0; // the latest request: older answers are dropped

  function openBar() {
    slider.max = String(store.seq);
    if (!shown) slider.value = String(store.seq);
    output.textContent = slider.value;
    total.textContent = String(store.seq);
    day.max = localDay(new Date());
    if (data.map.created_at) day.min = localDay(new Date(data.map.created_at));
    bar.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    slider.focus();
  }

  function closeBar() {
    bar.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
  }

  async function show(asOf) {
    const request = ++asked;
    moment.textContent = "Loading…";
    const reply = await api("GET", `${data.urls.api}maps/${data.map.id}/?as_of=${encodeURIComponent(asOf)}`);
    if (request !== asked) return;
    if (!reply.ok) {
      const detail = (reply.data && (reply.data.as_of || reply.data.detail)) || "That moment could not be shown.";
      moment.textContent = "";
      ui.toast(Array.isArray(detail) ? detail.join(" ") : String(detail), { kind: "error" });
      return;
    }
    drawPast(reply.data);
  }

  function drawPast(map) {
    const when = map.as_of;
    shown = when;
    slider.value = String(when.seq);
    output.textContent = String(when.seq);
    moment.textContent = dayOf(when.at);
    day.value = localDay(new Date(when.at));
    bannerText.textContent = `As of ${dayOf(when.at)} (seq ${when.seq}) — read-only, live changes are paused in this view.`;
    const bySection = new Map();
    for (const note of map.notes || []) {
      if (!bySection.has(note.section)) bySection.set(note.section, []);
      bySection.get(note.section).push(note);
    }
    const inLayout = new Set(ctx.layoutSections());
    const sections = data.all_sections.filter((s) => inLayout.has(s.key) || bySection.has(s.key));
    const parts = sections.map((section) => {
      const notes = bySection.get(section.key) || [];
      const titleId = `past-section-${section.key}`;
      const list = el("ol", { class: "notes past-notes-list", "aria-labelledby": titleId });
      for (const note of notes) list.append(readOnlyCard(note));
      if (!notes.length) list.append(el("li", { class: "past-empty", text: "No notes then." }));
      return el(
        "section",
        { class: `section section-${section.key}`, "aria-labelledby": titleId },
        el("header", { class: "section-head" },
          el("h2", { id: titleId }, section.label, " ", el("span", { class: "section-count", text: String(notes.length) }))),
        list,
      );
    });
    past.replaceChildren(...parts);
    for (const node of live) if (node) node.hidden = true;
    banner.hidden = false;
    past.hidden = false;
    document.body.classList.add("in-past");
    ui.announce(`Showing the map as of ${dayOf(when.at)}, read-only.`);
  }

  function readOnlyCard(note) {
    const card = createCard(note, labels, READ_ONLY);
    const { article, text, buttons, actions } = card.parts;
    // Ids apart from the live card's, which stays in the page underneath.
    text.id = `past-note-${note.id}-text`;
    const meta = article.querySelector(".note-meta");
    meta.id = `past-note-${note.id}-meta`;
    article.setAttribute("aria-labelledby", text.id);
    article.setAttribute("aria-describedby", meta.id);
    article.classList.add("note-past");
    if (buttons.evidence) buttons.evidence.remove();
    actions.remove();
    card.draggable = false;
    return card;
  }

  function backToNow() {
    asked += 1;
    shown = null;
    for (const node of live) if (node) node.hidden = false;
    banner.hidden = true;
    past.hidden = true;
    past.replaceChildren();
    document.body.classList.remove("in-past");
    closeBar();
    toggle.focus();
    ui.announce("Back to the live map.");
  }

  toggle.addEventListener("click", () => {
    if (bar.hidden) openBar();
    else if (shown) backToNow();
    else closeBar();
  });
  slider.addEventListener("input", () => {
    output.textContent = slider.value;
    clearTimeout(timer);
    timer = setTimeout(() => show(slider.value), 250);
  });
  slider.addEventListener("change", () => {
    clearTimeout(timer);
    show(slider.value);
  });
  day.addEventListener("change", () => {
    if (!day.value) return;
    // The end of the chosen day in the reader's time, never in the future.
    // A day before the map was created shows the map as created.
    const end = new Date(`${day.value}T23:59:59`);
    const now = new Date();
    const created = new Date(data.map.created_at);
    if (Number.isNaN(end.getTime())) return;
    if (end < created) show("0");
    else show((end > now ? now : end).toISOString());
  });
  close.addEventListener("click", backToNow);
  back.addEventListener("click", backToNow);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (shown) {
      event.preventDefault();
      backToNow();
    } else if (!bar.hidden && bar.contains(event.target)) {
      event.preventDefault();
      closeBar();
      toggle.focus();
    }
  });
  // Live events move "now" on: the slider's end follows them.
  store.subscribe(() => {
    if (bar.hidden) return;
    slider.max = String(store.seq);
    total.textContent = String(store.seq);
  });
  // Undo (Ctrl+Z) and other board keys write: not while showing the past.
  document.addEventListener("keydown", (event) => {
    if (shown && (event.ctrlKey || event.metaKey) && event.key === "z") event.stopImmediatePropagation();
  }, true);

  return { inPast: () => Boolean(shown), show, backToNow };
}
