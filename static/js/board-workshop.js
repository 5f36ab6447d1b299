// The workshop bar over the board (README, "Workshop"): everyone sees the step, the countdown
// and the vote; a lead opens "Workshop" for the facilitation panel: phase (Start drafting /
// Reveal), step, timer and vote, through the REST API. The countdown runs against the timer's
// `ends_at` on the server's clock: the offset comes from each map.updated event's `at`, and on
// load (the map JSON carries `timer`) from the Date header of one HEAD request.

import { api, errorText } from "./api.js";
import { el } from "./board-view.js";
import { STEPS, clockOffset, formatCountdown, remainingMs } from "./workshop-logic.js";

const TICK_MS = 250;

export function createWorkshop(ctx) {
  const { store, ui, me, data } = ctx;
  const isLead = me.role === "lead" && me.can_review;
  const mapUrl = `${data.urls.api}maps/${data.map.id}/`;
  let map = store.map;
  let offset = 0;
  let ticker = null;
  let wasRunning = false;

  const stepText = el("p", { class: "workshop-step", id: "workshop-step" });
  const countdown = el("p", { class: "workshop-timer", id: "workshop-timer", role: "timer", "aria-live": "off", hidden: true });
  const timesUp = el("p", { class: "workshop-times-up", role: "status" });
  const voteText = el("p", { class: "workshop-vote", id: "workshop-vote" });
  const bar = el("section", { class: "workshop-bar", id: "workshop-bar", "aria-label": "Workshop" }, stepText, countdown, timesUp, voteText);
  document.getElementById("filters").before(bar);

  // The lead's panel ------------------------------------------------------------------------------
  let panel = null;
  const controls = {};
  if (isLead) {
    const toggle = el("button", { type: "button", class: "button button-small workshop-toggle", "aria-expanded": "false", "aria-controls": "workshop-panel", text: "Workshop" });
    panel = el("div", { class: "workshop-panel", id: "workshop-panel", hidden: true });
    toggle.addEventListener("click", () => {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) panel.querySelector("button, select, input")?.focus();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        panel.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
    bar.prepend(toggle);
    bar.after(panel);
    buildPanel();
  }

  function group(title, ...children) {
    const id = `workshop-${title.toLowerCase()}-heading`;
    return el("fieldset", { class: "workshop-group" }, el("legend", { id, text: title }), ...children);
  }

  function field(id, label, input) {
    input.id = id;
    return el("span", { class: "workshop-field" }, el("label", { for: id, text: label }), input);
  }

  function button(label, onClick) {
    const node = el("button", { type: "button", class: "button button-small", text: label });
    node.addEventListener("click", onClick);
    return node;
  }

  function buildPanel() {
    controls.draft = button("Start drafting", () => patch({ phase: "drafting" }, { step: "draft" }, "Drafting started: each team sees only its own notes."));
    controls.reveal = button("Reveal", () => patch({ phase: "open" }, { step: "reveal" }, "Revealed: everyone sees every note."));
    controls.phase = el("p", { class: "workshop-phase" });
    controls.step = el("select", {});
    controls.step.append(el("option", { value: "", text: "No step" }));
    for (const [key, label] of STEPS) controls.step.append(el("option", { value: key, text: label }));
    controls.step.addEventListener("change", () => patch({ step: controls.step.value || null }, null, "Step changed."));
    controls.minutes = el("input", { type: "number", min: "1", max: "120", step: "1", value: "5", inputmode: "numeric" });
    controls.startTimer = button("Start timer", startTimer);
    controls.stopTimer = button("Stop timer", stopTimer);
    controls.perPerson = el("input", { type: "number", min: "1", max: "50", step: "1", value: "3", inputmode: "numeric" });
    controls.blind = el("input", { type: "checkbox" });
    controls.openVote = button("Open vote", () => openVote(true));
    controls.closeVote = button("Close vote", () => openVote(false));
    const blindField = el("span", { class: "workshop-field workshop-check" }, controls.blind, el("label", { for: "workshop-blind", text: "Blind vote" }));
    controls.blind.id = "workshop-blind";
    panel.append(
      el("h2", { class: "workshop-panel-title", text: "Run the workshop" }),
      el("div", { class: "workshop-groups" },
        group("Phase", controls.phase, controls.draft, controls.reveal),
        group("Step", field("workshop-step-select", "Current step", controls.step)),
        group("Timer", field("workshop-minutes", "Minutes", controls.minutes), controls.startTimer, controls.stopTimer),
        group("Vote", field("workshop-per-person", "Votes per person", controls.perPerson), blindField, controls.openVote, controls.closeVote),
      ),
    );
  }

  async function patch(fields, then, message) {
    const result = await api("PATCH", mapUrl, fields);
    if (!result.ok) {
      ui.toast(fieldError(result), { kind: "error" });
      return false;
    }
    if (then) await api("PATCH", mapUrl, then);
    ui.announce(message);
    return true;
  }

  function fieldError(result) {
    const body = result.data || {};
    for (const value of Object.values(body)) {
      if (Array.isArray(value) && typeof value[0] === "string") return value[0];
      if (value && typeof value === "object") {
        for (const inner of Object.values(value)) if (Array.isArray(inner) && typeof inner[0] === "string") return inner[0];
      }
    }
    return errorText(result);
  }

  async function startTimer() {
    const minutes = Number(controls.minutes.value);
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 120) {
      ui.toast("Give the timer between 1 and 120 minutes.", { kind: "error" });
      controls.minutes.focus();
      return;
    }
    const result = await api("POST", `${mapUrl}timer/`, { seconds: Math.round(minutes * 60) });
    if (!result.ok) ui.toast(fieldError(result), { kind: "error" });
    else ui.announce(`Timer started: ${minutes} minutes.`);
  }

  async function stopTimer() {
    const result = await api("DELETE", `${mapUrl}timer/`);
    if (!result.ok) ui.toast(fieldError(result), { kind: "error" });
    else ui.announce("Timer stopped.");
  }

  async function openVote(open) {
    const vote = { open };
    if (open) {
      vote.per_person = Number(controls.perPerson.value) || 3;
      vote.blind = controls.blind.checked;
    }
    await patch({ vote }, open ? { step: "vote" } : null, open ? "Vote opened." : "Vote closed.");
  }

  // What everyone sees -----------------------------------------------------------------------------

  function render() {
    const step = STEPS.find(([key]) => key === map.step);
    const phase = map.phase === "drafting" ? "Drafting" : "Open";
    stepText.textContent = step ? `Step: ${step[1]}` : `Phase: ${phase}`;
    if (step && map.phase === "drafting") stepText.textContent += " (drafting)";
    const vote = map.vote;
    if (vote && vote.open) voteText.textContent = `Vote open: ${vote.per_person} per person${vote.blind ? ", blind" : ""}`;
    else if (vote) voteText.textContent = "Vote closed";
    else voteText.textContent = "";
    voteText.hidden = !vote;
    if (panel) {
      controls.phase.textContent = map.phase === "drafting" ? "Teams are drafting privately." : "Everyone sees every note.";
      controls.draft.hidden = map.phase === "drafting";
      controls.reveal.hidden = map.phase !== "drafting";
      if (document.activeElement !== controls.step) controls.step.value = map.step || "";
      controls.stopTimer.disabled = !map.timer;
      controls.openVote.hidden = Boolean(vote && vote.open);
      controls.closeVote.hidden = !(vote && vote.open);
    }
    tick();
    clearInterval(ticker);
    ticker = map.timer ? setInterval(tick, TICK_MS) : null;
  }

  function tick() {
    const left = remainingMs(map.timer, Date.now(), offset);
    countdown.hidden = left === null;
    if (left === null) {
      timesUp.textContent = "";
      wasRunning = false;
      return;
    }
    if (left > 0) {
      const text = `Time left: ${formatCountdown(left)}`;
      if (countdown.textContent !== text) countdown.textContent = text;
      countdown.classList.remove("is-up");
      if (timesUp.textContent) timesUp.textContent = "";
      wasRunning = true;
      return;
    }
    if (countdown.textContent !== "Time's up") countdown.textContent = "Time's up";
    countdown.classList.add("is-up");
    clearInterval(ticker);
    ticker = null;
    // Said once to screen readers, when it happens in front of them.
    if (wasRunning) timesUp.textContent = "Time's up.";
    wasRunning = false;
  }

  store.subscribe((change) => {
    if (change.type === "event" && change.event.kind === "map.updated") {
      if (change.event.at) offset = clockOffset(change.event.at, Date.now());
      map = store.map;
      render();
    } else if (change.type === "map") {
      map = change.map;
    }
  });

  async function syncClock() {
    try {
      const started = Date.now();
      const response = await fetch(mapUrl, { method: "HEAD", credentials: "same-origin" });
      const header = response.headers.get("Date");
      // The Date header counts whole seconds: take the middle of that second and of the trip.
      if (header) offset = clockOffset(header, (started + Date.now()) / 2) + 500;
    } catch {
      offset = 0;
    }
    tick();
  }

  render();
  if (map.timer) syncClock();

  return { bar, render, panel };
}
