// The filter bar: which notes the board shows. It reads notes and their link facts from the
// store; a card being edited or in conflict always stays in sight.

import { el } from "./board-view.js";

export function createFilters(ctx) {
  const { store, data } = ctx;
  const form = document.getElementById("filters");
  const fields = {
    q: document.getElementById("filter-q"),
    status: document.getElementById("filter-status"),
    team: document.getElementById("filter-team"),
    segment: document.getElementById("filter-segment"),
    review: document.getElementById("filter-review"),
  };
  const summary = document.getElementById("filter-summary");
  let filters = { q: [], status: "", team: "", segment: "", review: "" };

  function fillOptions() {
    const narrowOption = fields.status.querySelector('option[value="narrow"]');
    for (const [value, label] of data.statuses) {
      fields.status.insertBefore(el("option", { value, text: label }), narrowOption);
    }
    for (const [value, label] of data.teams) fields.team.append(el("option", { value, text: label }));
    for (const segment of data.segments) {
      fields.segment.append(el("option", { value: String(segment.id), text: segment.name }));
    }
    fields.segment.append(el("option", { value: "none", text: "No segment" }));
    for (const [value, label] of data.review_states) {
      fields.review.append(el("option", { value, text: label }));
    }
  }

  function read() {
    const words = fields.q.value.toLowerCase().split(/\s+/).filter(Boolean);
    filters = {
      q: words,
      status: fields.status.value,
      team: fields.team.value,
      segment: fields.segment.value,
      review: fields.review.value,
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
      const facts = store.links(note.id);
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

  function applyTo(card) {
    if (card.deleting) {
      card.hidden = true;
      return;
    }
    const visible = ctx.editing.isOpen(card.note.id) || matches(card.note);
    if (card.hidden === !visible) return;
    card.hidden = !visible;
  }

  function apply() {
    read();
    for (const card of ctx.render.cards.values()) applyTo(card);
    ctx.render.scheduleCounts();
  }

  function showSummary(visible, all) {
    const text = filtering() ? `Showing ${visible} of ${all} notes` : `${all} notes`;
    if (summary.textContent !== text) summary.textContent = text;
  }

  function clear() {
    form.reset();
    apply();
  }

  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("input", () => apply());
  form.addEventListener("change", () => apply());
  form.addEventListener("reset", () => setTimeout(apply));

  return { fillOptions, filtering, matches, applyTo, apply, showSummary, clear };
}
