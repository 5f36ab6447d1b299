// The workshop's pure rules on the board (no DOM, loaded as is by node's tests in tests/js/):
// what a note's agreement and votes say in words, how many votes a member has left, how a
// map.updated changes the vote totals one holds, and the countdown against the server's clock.

export const STEPS = [
  ["draft", "Draft"],
  ["reveal", "Reveal"],
  ["vote", "Vote"],
  ["discuss", "Discuss"],
];

const EMPTY_AGREEMENT = { agree: {}, disagree: {}, mine: null };
const EMPTY_VOTES = { total: 0, mine: 0 };

/**
 * Events carry `mine: null` (they go to everyone): keep the `mine` of the note one holds.
 * Returns `incoming` with the held values of agreement.mine and votes.mine.
 */
export function keepMine(held, incoming) {
  if (!held || !incoming) return incoming;
  const out = { ...incoming };
  if (incoming.agreement && held.agreement) out.agreement = { ...incoming.agreement, mine: held.agreement.mine ?? null };
  if (incoming.votes && held.votes) out.votes = { ...incoming.votes, mine: held.votes.mine ?? 0 };
  return out;
}

function teamsText(counts, teamLabels) {
  return Object.entries(counts || {})
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([team, count]) => `${teamLabels[team] || team} ${count}`)
    .join(", ");
}

/** "Agree: Product 2, Design 1 · Disagree: Sales 1", or "" when nobody took a stance. */
export function agreementText(agreement, teamLabels = {}) {
  const { agree, disagree } = agreement || EMPTY_AGREEMENT;
  const parts = [];
  const agreeing = teamsText(agree, teamLabels);
  const disagreeing = teamsText(disagree, teamLabels);
  if (agreeing) parts.push(`Agree: ${agreeing}`);
  if (disagreeing) parts.push(`Disagree: ${disagreeing}`);
  return parts.join(" · ");
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

/** "5 votes · 2 mine", "Votes hidden · 1 mine" (blind), "" for a note without votes. */
export function votesText(votes, vote) {
  const { total, mine } = votes || EMPTY_VOTES;
  const parts = [];
  if (total === null || total === undefined) {
    if (vote && vote.open) parts.push("Votes hidden");
  } else if (total > 0) {
    parts.push(plural(total, "vote", "votes"));
  }
  if (mine) parts.push(`${mine} mine`);
  return parts.join(" · ");
}

/** The votes this member has left in the open vote (null when no vote is open). */
export function votesLeft(notes, vote) {
  if (!vote || !vote.open) return null;
  let used = 0;
  for (const note of notes) used += (note.votes && note.votes.mine) || 0;
  return Math.max(0, vote.per_person - used);
}

/**
 * A note's votes after a map.updated: `vote_totals` (when present) gives every total; a vote
 * opened blind hides them from non-leads; a new round starts everyone at 0.
 * Returns the new votes object, or null when nothing changes.
 */
export function votesAfterMapUpdate(noteId, votes, { map, before, totals, isLead }) {
  const current = votes || EMPTY_VOTES;
  let next = { ...current };
  const round = map.vote && map.vote.round;
  const beforeRound = before && before.vote && before.vote.round;
  if (round && round !== beforeRound) next.mine = 0;
  if (totals) next.total = totals[String(noteId)] || 0;
  else if (round && round !== beforeRound) next.total = 0;
  if (map.vote && map.vote.open && map.vote.blind && !isLead) next.total = null;
  if (next.total === current.total && next.mine === current.mine) return null;
  return next;
}

/** Notes by votes, most first, then by their place on the board. Hidden totals count as 0. */
export function compareByVotes(a, b) {
  const votesA = (a.votes && a.votes.total) || 0;
  const votesB = (b.votes && b.votes.total) || 0;
  return votesB - votesA || a.position - b.position || a.id - b.id;
}

// The countdown -------------------------------------------------------------------------------

/** How far the server's clock is ahead of ours, from a time the server just stated. */
export function clockOffset(serverIso, localNow) {
  const server = Date.parse(serverIso);
  return Number.isNaN(server) ? 0 : server - localNow;
}

/** Milliseconds left on a timer, by the server's clock (never below 0). */
export function remainingMs(timer, localNow, offset = 0) {
  if (!timer || !timer.ends_at) return null;
  const ends = Date.parse(timer.ends_at);
  if (Number.isNaN(ends)) return null;
  return Math.max(0, ends - (localNow + offset));
}

/** "4:05", "0:09", "1:02:03" for a number of milliseconds (rounded up to the second). */
export function formatCountdown(ms) {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  if (hours) return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
  return `${minutes}:${seconds}`;
}

/** Words for a refused vote ("reason" of the websocket's invalid error). */
export function voteRefusalText(reason, detail) {
  if (reason === "no_votes_left") return "You have no votes left in this vote. Take one back to vote elsewhere.";
  if (reason === "vote_closed") return "The vote is closed: votes are not counted now.";
  if (reason === "no_vote") return "You have no vote on this note to take back.";
  return detail || "The vote was not counted.";
}
