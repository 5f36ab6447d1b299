// Private drafting on the board (README, "Workshop: teams, drafting, reveal").
//
// While a map drafts, a member who is not a lead receives other teams' notes' events only as
// placeholders ({kind: "hidden"}), which cannot rebuild a note. So whenever what this member
// may see changes (the phase switches either way, or their team or role changes), the board
// fetches the map again and applies it at the snapshot's seq: a note in the snapshot is shown
// unless an event newer than the snapshot already changed it; a shown note missing from the
// snapshot is removed unless an event newer than the snapshot brought it. Events keep flowing
// meanwhile, and the per-note seqs in board.js keep the newest news winning.
//
// The banner says what the member sees, with the counts of notes each other team has drafted
// (the map's `hidden`), refreshed a few seconds after placeholders arrive. Text only, via
// textContent.

import { api } from "./api.js";

const COUNTS_REFRESH_MS = 3000;

export class DraftingView {
  /**
   * @param {object} options
   * @param {object} options.data the board's state (data.map, data.me, data.urls)
   * @param {object} options.teamLabels team key -> label
   * @param {Element} options.before the element the banner goes before
   * @param {(note: object, seq: number) => void} options.upsertNote
   * @param {(id: number, seq: number) => void} options.removeNote
   * @param {() => Map<number, number>} options.shownNotes id -> seq of each note on the board
   */
  constructor({ data, teamLabels, before, upsertNote, removeNote, shownNotes }) {
    this.data = data;
    this.teamLabels = teamLabels;
    this.upsertNote = upsertNote;
    this.removeNote = removeNote;
    this.shownNotes = shownNotes;
    this.phase = data.map.phase || "open";
    this.hidden = data.map.hidden || {};
    this.fetching = 0;
    this.countsTimer = null;
    this.banner = document.createElement("p");
    this.banner.className = "banner drafting-banner";
    this.banner.id = "drafting-banner";
    this.banner.setAttribute("role", "status");
    before.before(this.banner);
    this.render();
  }

  /** A `map.updated` event: a new phase changes what this member may see. */
  mapUpdated(map) {
    if (!map.phase || map.phase === this.phase) return;
    this.phase = map.phase;
    this.render();
    this.refetch();
  }

  /** A placeholder arrived: some team drafted; refresh the counts shortly. */
  placeholderArrived() {
    if (this.countsTimer) return;
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null;
      this.refetch({ countsOnly: true });
    }, COUNTS_REFRESH_MS);
  }

  async refetch({ countsOnly = false } = {}) {
    const ticket = ++this.fetching;
    const result = await api("GET", `${this.data.urls.api}maps/${this.data.map.id}/`);
    if (!result.ok || ticket !== this.fetching) return; // a newer fetch is on its way
    const snapshot = result.data;
    this.hidden = snapshot.hidden || {};
    this.phase = snapshot.phase;
    if (!countsOnly) this.applySnapshot(snapshot);
    this.render();
  }

  applySnapshot(snapshot) {
    const seq = snapshot.seq;
    const present = new Set(snapshot.notes.map((note) => note.id));
    for (const note of snapshot.notes) this.upsertNote(note, seq);
    for (const [id, shownAt] of this.shownNotes()) {
      if (!present.has(id) && shownAt <= seq) this.removeNote(id, seq);
    }
  }

  render() {
    const me = this.data.me;
    this.banner.hidden = this.phase !== "drafting";
    if (this.banner.hidden) return;
    if (me.role === "lead") {
      this.banner.textContent =
        "Drafting: each team sees only its own notes. As a lead you see them all; open the map to reveal them.";
      return;
    }
    const counts = Object.entries(this.hidden)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([team, count]) => `${this.teamLabels[team] || team} ${count}`);
    const others = counts.length ? counts.join(", ") : "no other team has drafted yet";
    this.banner.textContent = `Drafting: you see your team's notes only — ${others}`;
  }
}
