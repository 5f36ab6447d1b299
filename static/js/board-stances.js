// Stances and dot votes on the note cards (README, "Workshop"): "I see this too" / "Not what I
// see" (one stance per person, click again to clear), agreement by team, and while a vote is
// open "Vote" / "Take back a vote" with the note's total and the member's own votes. Ops go over
// the websocket (note.stance, note.vote, note.unvote); their acks carry this member's `mine`,
// which events never do (the store keeps it). Also the "Sort by votes" toggle.

import { api } from "./api.js";
import { el } from "./board-view.js";
import { compareNotes } from "./board-render.js";
import {
  agreementText,
  compareByVotes,
  votesAfterMapUpdate,
  votesLeft,
  votesText,
  voteRefusalText,
} from "./workshop-logic.js";

const LEAD_REFRESH_MS = 1500;

export function createStances(ctx) {
  const { store, socket, ui, me, labels } = ctx;
  const isLead = me.role === "lead";
  let map = store.map;
  let sorted = false;
  let leadRefresh = null;

  // The bar's part: votes left and the sort toggle.
  const left = el("p", { class: "votes-left", id: "votes-left", role: "status", hidden: true });
  const sortButton = el("button", { type: "button", class: "button button-small", "aria-pressed": "false", text: "Sort by votes" });
  sortButton.addEventListener("click", () => setSorted(!sorted));
  ctx.workshop.bar.append(left, sortButton);

  function decorate(card) {
    if (card.parts.workshop) return;
    const agreement = el("p", { class: "note-agreement" });
    const agree = el("button", { type: "button", class: "stance-button stance-agree", "aria-pressed": "false", text: "I see this too" });
    const disagree = el("button", { type: "button", class: "stance-button stance-disagree", "aria-pressed": "false", text: "Not what I see" });
    const voteButton = el("button", { type: "button", class: "vote-button", text: "Vote" });
    const unvoteButton = el("button", { type: "button", class: "vote-button vote-take-back", text: "Take back a vote" });
    const votes = el("span", { class: "note-votes" });
    const comments = el("button", { type: "button", class: "comments-button", text: "Comments" });
    agree.dataset.stance = "agree";
    disagree.dataset.stance = "disagree";
    const voting = el("span", { class: "note-voting" }, voteButton, unvoteButton, votes);
    const box = el("div", { class: "note-workshop" }, agreement, el("div", { class: "note-workshop-controls" }, agree, disagree, voting, comments));
    card.parts.actions.before(box);
    card.parts.workshop = { box, agreement, agree, disagree, voteButton, unvoteButton, votes, voting, comments };
    update(card);
  }

  function update(card) {
    const parts = card.parts.workshop;
    if (!parts) return decorate(card);
    const note = card.note;
    const agreement = note.agreement || { agree: {}, disagree: {}, mine: null };
    const said = agreementText(agreement, labels.teams);
    if (parts.agreement.textContent !== said) parts.agreement.textContent = said;
    parts.agreement.hidden = !said;
    parts.agree.setAttribute("aria-pressed", String(agreement.mine === "agree"));
    parts.disagree.setAttribute("aria-pressed", String(agreement.mine === "disagree"));
    const open = Boolean(map.vote && map.vote.open);
    const votes = note.votes || { total: 0, mine: 0 };
    parts.voteButton.hidden = !open;
    if (ctx.render.board.classList.contains("no-votes-left")) parts.voteButton.setAttribute("aria-disabled", "true");
    parts.unvoteButton.hidden = !open || !votes.mine;
    const words = votesText(votes, map.vote);
    parts.votes.textContent = words;
    parts.votes.hidden = !words;
    parts.voting.hidden = !open && !words;
    const count = note.comments || 0;
    const commentsText = count ? `Comments (${count})` : "Comments";
    if (parts.comments.textContent !== commentsText) parts.comments.textContent = commentsText;
    card.parts.article.classList.toggle("has-votes", Boolean(votes.total));
  }

  function drawAll() {
    for (const card of ctx.render.cards.values()) decorate(card);
    showLeft();
  }

  let leftFrame = 0;
  function showLeft() {
    if (leftFrame) return;
    leftFrame = requestAnimationFrame(() => {
      leftFrame = 0;
      const count = votesLeft(store.all(), map.vote);
      left.hidden = count === null;
      // No votes left: the Vote buttons go quiet and say why when pressed (aria-disabled, so
      // they stay in the tab order with their reason), and send nothing.
      ctx.render.board.classList.toggle("no-votes-left", count === 0);
      for (const button of ctx.render.board.querySelectorAll(".vote-button:not(.vote-take-back)")) {
        if (count === 0) button.setAttribute("aria-disabled", "true");
        else button.removeAttribute("aria-disabled");
      }
      const text = count === null ? "" : `${count} ${count === 1 ? "vote" : "votes"} left`;
      if (left.textContent !== text) left.textContent = text;
    });
  }

  // Ops ---------------------------------------------------------------------------------------

  /** The ack of this member's op: the note with their own `mine`. */
  function takeAck(reply) {
    if (!reply.note) return;
    if (store.upsert(reply.note, reply.seq, { mine: true })) return;
    // Newer news of the note came first: keep it, with this member's own stance and votes.
    const held = store.get(reply.note.id);
    if (!held) return;
    const changed = {
      ...held,
      agreement: { ...(held.agreement || { agree: {}, disagree: {} }), mine: reply.note.agreement?.mine ?? null },
      votes: { ...(held.votes || { total: 0 }), mine: reply.note.votes?.mine ?? 0 },
    };
    store.notes.set(held.id, changed);
    store.notify({ type: "note", note: changed, previous: held });
  }

  function setStance(id, stance) {
    const note = store.get(id);
    if (!note) return;
    const next = note.agreement && note.agreement.mine === stance ? null : stance;
    const { done } = socket.op("note.stance", { id, stance: next });
    done.then((reply) => {
      if (reply.type === "ack") {
        takeAck(reply);
        ui.announce(next === "agree" ? "You see this too." : next === "disagree" ? "Not what you see." : "Stance cleared.");
      } else {
        ui.toast(reply.detail || "Your stance was not recorded.", { kind: "error" });
      }
    });
  }

  function vote(id, action) {
    const { done } = socket.op(action, { id });
    done.then((reply) => {
      if (reply.type === "ack") {
        takeAck(reply);
        ui.announce(action === "note.vote" ? "Vote counted." : "Vote taken back.");
      } else {
        ui.toast(voteRefusalText(reply.reason, reply.detail), { kind: "error" });
      }
    });
  }

  ctx.render.board.addEventListener("click", (event) => {
    const button = event.target.closest(".stance-button, .vote-button, .comments-button");
    const card = button && button.closest(".note-item");
    if (!card || !card.note) return;
    const id = card.note.id;
    if (button.dataset.stance) setStance(id, button.dataset.stance);
    else if (button.classList.contains("vote-take-back")) vote(id, "note.unvote");
    else if (button.getAttribute("aria-disabled") === "true") ui.toast(voteRefusalText("no_votes_left"));
    else if (button.classList.contains("vote-button")) vote(id, "note.vote");
    else ctx.panel.open(id, { trigger: button, focus: "comments" });
  });

  // News --------------------------------------------------------------------------------------

  function setNoteVotes(note, votes) {
    const changed = { ...note, votes };
    store.notes.set(note.id, changed);
    store.notify({ type: "note", note: changed, previous: note });
  }

  /** A map.updated: new vote settings and maybe `vote_totals` (closing reveals a blind vote). */
  function mapUpdated(event) {
    const before = map;
    map = event.map || map;
    const voteChanged = JSON.stringify(before.vote) !== JSON.stringify(map.vote);
    if (voteChanged || event.vote_totals) {
      for (const note of store.all()) {
        const votes = votesAfterMapUpdate(note.id, note.votes, { map, before, totals: event.vote_totals, isLead });
        if (votes) setNoteVotes(note, votes);
      }
      for (const card of ctx.render.cards.values()) update(card);
      if (sorted) resort();
    }
    showLeft();
  }

  /** A blind vote's event names no note: a lead reads the totals again, shortly. */
  function blindVote() {
    if (!isLead || leadRefresh) return;
    leadRefresh = setTimeout(async () => {
      leadRefresh = null;
      const result = await api("GET", `${ctx.data.urls.api}maps/${map.id}/notes/`);
      if (!result.ok) return;
      const notes = Array.isArray(result.data) ? result.data : result.data.results || result.data.notes || [];
      for (const fresh of notes) {
        const held = store.get(fresh.id);
        if (held && fresh.votes && held.votes && fresh.votes.total !== held.votes.total) {
          setNoteVotes(held, { ...held.votes, total: fresh.votes.total });
        }
      }
    }, LEAD_REFRESH_MS);
  }

  store.subscribe((change) => {
    if (change.type === "note") {
      const card = ctx.render.cards.get(change.note.id);
      if (card) update(card);
      showLeft();
      if (sorted && (change.previous?.votes?.total ?? 0) !== (change.note.votes?.total ?? 0) && card) ctx.render.placeCard(card);
    } else if (change.type === "removed") {
      showLeft();
    } else if (change.type === "event") {
      if (change.event.kind === "map.updated") mapUpdated(change.event);
      else if (change.event.kind === "note.voted" && change.event.blind) blindVote();
    }
  });

  // Sorting -----------------------------------------------------------------------------------

  function resort() {
    for (const card of ctx.render.cards.values()) ctx.render.placeCard(card);
  }

  function setSorted(on) {
    sorted = on;
    ctx.noteOrder = on ? compareByVotes : null;
    sortButton.setAttribute("aria-pressed", String(on));
    ctx.render.board.classList.toggle("sorted-by-votes", on);
    resort();
    ui.announce(on ? "Notes sorted by votes, most first." : "Notes in their own order.");
  }

  return { drawAll, update, setSorted, compare: () => (sorted ? compareByVotes : compareNotes) };
}
