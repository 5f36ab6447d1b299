// Drawing note cards. User text only ever goes in through textContent.

import { colorLabel } from "./note-colors.js";

// Icons are CSS masks (static/css/icons.css): one empty, hidden element each, so that a board
// of 1,000 cards stays light. Status is never shown by colour or icon alone: text goes with it.
export function icon(name) {
  const node = document.createElement("span");
  node.className = `icon icon-${name}`;
  node.setAttribute("aria-hidden", "true");
  return node;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "hidden") node.hidden = Boolean(value);
    // Through the CSSOM: the Content-Security-Policy refuses style attributes in markup.
    else if (name === "style") node.style.cssText = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

export const STATUS_HELP = {
  assumption: "No supporting evidence yet",
  supported: "Backed by fresh evidence",
  stale: "Its evidence is older than the map's freshness window",
  contested: "Fresh evidence contradicts it",
};

/** A day such as "2026-12-17" in the reader's own words ("Dec 17, 2026", "17 Dec 2026"). */
export function formatDay(iso) {
  if (!iso) return "";
  const date = new Date(`${iso.slice(0, 10)}T00:00:00`);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** When the note's support stops being fresh, or when it did: "" when neither applies. */
export function freshnessText(note) {
  if (note.status === "stale" && note.stale_since) return `Went stale on ${formatDay(note.stale_since)}`;
  if (note.fresh_until) return `Fresh until ${formatDay(note.fresh_until)}`;
  return "";
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

export function evidenceSummary(note) {
  const { supports, contradicts } = note.evidence || { supports: 0, contradicts: 0 };
  if (!supports && !contradicts) return "No evidence";
  const parts = [];
  if (supports) parts.push(`${supports} supporting`);
  if (contradicts) parts.push(`${contradicts} contradicting`);
  return parts.join(" · ");
}

/**
 * A card for one note. Its parts are kept on `card.parts` so that updates change text in
 * place: focus, an open editor and anything typed in it survive every live update.
 */
export function createCard(note, labels, permissions) {
  const id = note.id;
  const textId = `note-${id}-text`;
  const metaId = `note-${id}-meta`;
  const status = el("span", { class: "status" });
  const statusIcon = icon(note.status);
  const statusLabel = el("span", { class: "status-label" });
  status.append(statusIcon, statusLabel);
  const narrow = el("span", { class: "narrow", hidden: true }, icon("narrow"), "Narrow");
  const team = el("span", { class: "team" });
  const text = el("p", { class: "note-text", id: textId });
  const counts = el("span", { class: "counts" });
  const review = el("span", { class: "review" });
  const peers = el("p", { class: "note-peers", hidden: true });
  const saving = el("span", { class: "note-saving", hidden: true, text: "Saving…" });
  const actions = el("div", { class: "note-actions" });
  const buttons = {};
  const addButton = (name, label, extra = {}) => {
    buttons[name] = el(
      "button",
      { type: "button", class: `note-button note-${name} icon-${name}`, title: label, ...extra },
      label,
    );
    actions.append(buttons[name]);
  };
  if (permissions.can_edit) addButton("edit", "Edit");
  addButton("evidence", "Evidence");
  if (permissions.can_review) addButton("review", "Review");
  if (permissions.can_edit) {
    addButton("move", "Move to…", { "aria-expanded": "false", "aria-haspopup": "true" });
    addButton("color", "Colour…", { "aria-expanded": "false", "aria-haspopup": "true" });
    addButton("delete", "Delete");
  }
  const article = el(
    "article",
    {
      class: "note",
      tabindex: "0",
      "data-id": id,
      "aria-labelledby": textId,
      "aria-describedby": metaId,
    },
    el("div", { class: "note-top" }, status, narrow, team),
    text,
    el("p", { class: "note-meta", id: metaId }, counts, review, saving),
    peers,
    actions,
  );
  const card = el("li", { class: "note-item", "data-id": id }, article);
  card.draggable = Boolean(permissions.can_edit);
  card.parts = {
    article, status, statusIcon, statusLabel, narrow, team, text, counts, review, peers, saving,
    actions, buttons,
  };
  updateCard(card, note, labels);
  return card;
}

export function updateCard(card, note, labels) {
  const parts = card.parts;
  const previous = card.note;
  card.note = note;
  if (!previous || previous.text !== note.text) parts.text.textContent = note.text;
  if (!previous || previous.status !== note.status) {
    parts.statusIcon.className = `icon icon-${note.status}`;
    parts.statusLabel.textContent = labels.statuses[note.status] || note.status;
    parts.status.className = `status status-${note.status}`;
    parts.article.dataset.status = note.status;
  }
  const freshness = freshnessText(note);
  const help = STATUS_HELP[note.status] || "";
  const tooltip = freshness ? `${help}. ${freshness}.` : help;
  if (parts.status.title !== tooltip) parts.status.title = tooltip;
  parts.narrow.hidden = !note.narrow;
  parts.narrow.title = note.narrow ? "All its support comes from one segment and one kind of source" : "";
  if (!previous || previous.team !== note.team) {
    parts.team.textContent = labels.teams[note.team] || note.team;
    parts.team.className = `team team-${note.team}`;
  }
  parts.counts.replaceChildren(icon("evidence"), evidenceSummary(note));
  const state = (note.review && note.review.state) || "unreviewed";
  parts.review.className = `review review-${state}`;
  const reviewText = state === "unreviewed" ? "Not reviewed" : labels.reviews[state] || state;
  if (state === "unreviewed") parts.review.replaceChildren(reviewText);
  else parts.review.replaceChildren(icon(state), reviewText);
  if (note.review && note.review.comment) parts.review.title = `${note.review.by || ""}: ${note.review.comment}`;
  else parts.review.removeAttribute("title");
  if (!previous || previous.color !== note.color) {
    if (previous) parts.article.classList.remove(`note-color-${safeClass(previous.color)}`);
    parts.article.classList.add(`note-color-${safeClass(note.color)}`);
    parts.article.dataset.color = note.color;
    if (parts.buttons.color) parts.buttons.color.title = `Colour: ${colorLabel(note.color)}`;
  }
}

function safeClass(value) {
  return /^[a-z]{3,16}$/.test(value || "") ? value : "custom";
}

export function setPeers(card, usernames) {
  const peers = card.parts.peers;
  if (!usernames.length) {
    peers.hidden = true;
    peers.textContent = "";
    card.parts.article.classList.remove("has-peers");
    return;
  }
  peers.hidden = false;
  peers.textContent = `${usernames.join(", ")} ${usernames.length === 1 ? "is" : "are"} editing`;
  card.parts.article.classList.add("has-peers");
}

export { plural };
