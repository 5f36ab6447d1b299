// The workshop's pure rules on the board; run with `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BoardStore } from "../../static/js/board-store.js";
import {
  agreementText,
  clockOffset,
  compareByVotes,
  formatCountdown,
  keepMine,
  remainingMs,
  votesAfterMapUpdate,
  votesLeft,
  votesText,
  voteRefusalText,
} from "../../static/js/workshop-logic.js";

const teams = { product: "Product", design: "Design", sales: "Sales" };

test("agreement reads by team, most first, and says nothing without stances", () => {
  const agreement = { agree: { design: 1, product: 2 }, disagree: { sales: 1 }, mine: null };
  assert.equal(agreementText(agreement, teams), "Agree: Product 2, Design 1 · Disagree: Sales 1");
  assert.equal(agreementText({ agree: {}, disagree: {}, mine: null }, teams), "");
  assert.equal(agreementText(undefined, teams), "");
});

test("an event's null mine keeps the stance and votes one holds", () => {
  const held = { id: 1, agreement: { agree: { product: 1 }, disagree: {}, mine: "agree" }, votes: { total: 2, mine: 2 } };
  const incoming = { id: 1, agreement: { agree: { product: 2 }, disagree: {}, mine: null }, votes: { total: 3, mine: null } };
  const kept = keepMine(held, incoming);
  assert.deepEqual(kept.agreement, { agree: { product: 2 }, disagree: {}, mine: "agree" });
  assert.deepEqual(kept.votes, { total: 3, mine: 2 });
  assert.equal(keepMine(undefined, incoming), incoming);
});

test("the store keeps mine from events but takes it from the reader's own ack", () => {
  const note = { id: 1, section: "says", text: "A", position: 1, version: 1, agreement: { agree: {}, disagree: {}, mine: "agree" }, votes: { total: 1, mine: 1 } };
  const store = new BoardStore({ map: { id: 1, seq: 1 }, notes: [note], seq: 1 });
  store.applyEvent({ seq: 2, kind: "note.voted", note: { ...note, votes: { total: 2, mine: null } }, delta: 1 });
  assert.deepEqual(store.get(1).votes, { total: 2, mine: 1 });
  store.upsert({ ...note, agreement: { agree: {}, disagree: {}, mine: null }, votes: { total: 2, mine: 0 } }, 3, { mine: true });
  assert.equal(store.get(1).agreement.mine, null);
  assert.equal(store.get(1).votes.mine, 0);
});

test("votes left count the member's own votes in the open vote only", () => {
  const notes = [{ votes: { total: 4, mine: 2 } }, { votes: { total: 1, mine: 0 } }, {}];
  assert.equal(votesLeft(notes, { open: true, per_person: 3 }), 1);
  assert.equal(votesLeft(notes, { open: false, per_person: 3 }), null);
  assert.equal(votesLeft(notes, null), null);
});

test("a note's votes read as a total, hidden during a blind vote, and mine", () => {
  assert.equal(votesText({ total: 5, mine: 2 }, { open: true }), "5 votes · 2 mine");
  assert.equal(votesText({ total: null, mine: 1 }, { open: true, blind: true }), "Votes hidden · 1 mine");
  assert.equal(votesText({ total: 0, mine: 0 }, { open: true }), "");
  assert.equal(votesText({ total: 1, mine: 0 }, null), "1 vote");
});

test("closing a blind vote reveals the totals; a new round starts at zero; blind hides them", () => {
  const before = { vote: { open: true, blind: true, per_person: 3, round: 1 } };
  const closed = { vote: { open: false, blind: true, per_person: 3, round: 1 } };
  assert.deepEqual(votesAfterMapUpdate(7, { total: null, mine: 1 }, { map: closed, before, totals: { 7: 4 }, isLead: false }), { total: 4, mine: 1 });
  assert.deepEqual(votesAfterMapUpdate(8, { total: null, mine: 0 }, { map: closed, before, totals: { 7: 4 }, isLead: false }), { total: 0, mine: 0 });
  const reopened = { vote: { open: true, blind: true, per_person: 3, round: 2 } };
  assert.deepEqual(votesAfterMapUpdate(7, { total: 4, mine: 1 }, { map: reopened, before: closed, totals: null, isLead: false }), { total: null, mine: 0 });
  assert.deepEqual(votesAfterMapUpdate(7, { total: 4, mine: 1 }, { map: reopened, before: closed, totals: null, isLead: true }), { total: 0, mine: 0 });
  assert.equal(votesAfterMapUpdate(7, { total: 4, mine: 1 }, { map: closed, before: closed, totals: null, isLead: false }), null);
});

test("sorting by votes puts the most voted first, then the board's order", () => {
  const notes = [
    { id: 1, position: 1, votes: { total: 1 } },
    { id: 2, position: 2, votes: { total: 3 } },
    { id: 3, position: 3, votes: { total: null } },
    { id: 4, position: 0, votes: { total: 1 } },
  ];
  assert.deepEqual(notes.sort(compareByVotes).map((note) => note.id), [2, 4, 1, 3]);
});

test("the countdown runs on the server's clock, corrected for a skewed local clock", () => {
  const timer = { ends_at: "2026-12-06T10:05:00Z", seconds: 300 };
  const serverNow = Date.parse("2026-12-06T10:00:00Z");
  const localNow = serverNow - 90_000; // this computer is 90 s slow
  const offset = clockOffset("2026-12-06T10:00:00Z", localNow);
  assert.equal(offset, 90_000);
  assert.equal(remainingMs(timer, localNow, offset), 300_000);
  assert.equal(remainingMs(timer, localNow + 400_000, offset), 0);
  assert.equal(remainingMs(null, localNow, offset), null);
  assert.equal(formatCountdown(300_000), "5:00");
  assert.equal(formatCountdown(8_200), "0:09");
  assert.equal(formatCountdown(3_723_000), "1:02:03");
});

test("refused votes read as sentences", () => {
  assert.match(voteRefusalText("no_votes_left"), /no votes left/);
  assert.match(voteRefusalText("vote_closed"), /vote is closed/);
  assert.equal(voteRefusalText("other", "Detail."), "Detail.");
});
