// The evidence panel beside the board: a note's linked evidence, linking from the library and
// from suggestions (researchers), and the lead's review. Non-modal: the board stays usable.

import { api, errorText } from "./api.js";
import { STATUS_HELP, el, evidenceSummary, freshnessText, icon } from "./board-view.js";

const STANCE_LABELS = { supports: "Supports", contradicts: "Contradicts" };

// How long an undo stays offered after unlinking.
const UNDO_MS = 8000;

function formatDate(iso) {
  if (!iso) return "no date";
  const date = new Date(`${iso.slice(0, 10)}T00:00:00`);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

function shortText(text, length = 50) {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

export class EvidencePanel {
  constructor({ root, data, labels, getNote, onNote, announce, toast, addons = [] }) {
    this.root = root;
    // Sections other modules add to the panel (comments): {build(note), focus(which), closed()}.
    this.addons = addons;
    this.data = data;
    this.labels = labels;
    this.getNote = getNote;
    this.onNote = onNote;
    this.announce = announce;
    this.toast = toast;
    this.noteId = null;
    this.trigger = null;
    this.links = [];
    this.suggestionsAvailable = true; // until the endpoint answers 404
    this.formCount = 0;
    this.refreshTimer = null;
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.target.closest("select")) {
        event.preventDefault();
        this.close();
      }
    });
  }

  get me() {
    return this.data.me;
  }

  async open(noteId, { trigger = null, focus = "heading" } = {}) {
    const note = this.getNote(noteId);
    if (!note) return;
    this.noteId = noteId;
    this.trigger = trigger;
    this.build(note);
    this.root.hidden = false;
    document.body.classList.add("panel-open");
    if (focus === "review" && this.reviewSelect) this.reviewSelect.focus();
    else if (!this.addons.some((addon) => addon.focus?.(focus))) this.title.focus();
    await this.loadLinks();
    if (this.me.can_research) this.loadSuggestions();
  }

  close() {
    if (this.root.hidden) return;
    this.root.hidden = true;
    this.root.replaceChildren();
    for (const addon of this.addons) addon.closed?.();
    document.body.classList.remove("panel-open");
    const trigger = this.trigger;
    this.noteId = null;
    if (trigger && document.contains(trigger)) trigger.focus();
  }

  build(note) {
    const closeButton = el("button", { type: "button", class: "panel-close button button-quiet button-small", text: "Close" });
    closeButton.setAttribute("aria-label", "Close evidence panel");
    closeButton.addEventListener("click", () => this.close());
    this.title = el("h2", { id: "panel-title", tabindex: "-1", text: "Evidence" });
    this.noteText = el("blockquote", { class: "panel-note" });
    this.statusLine = el("p", { class: "panel-status" });
    this.freshLine = el("p", { class: "panel-freshness", hidden: true });
    this.linksList = el("ul", { class: "evidence-list", "aria-labelledby": "panel-linked-heading" });
    this.linksEmpty = el("p", { class: "muted", hidden: true, text: "No evidence is linked yet: this note is an assumption." });
    const linked = el(
      "section",
      { class: "panel-section", "aria-labelledby": "panel-linked-heading" },
      el("h3", { id: "panel-linked-heading", text: "Linked evidence" }),
      this.linksEmpty,
      this.linksList,
    );
    const children = [
      el("div", { class: "panel-head" }, this.title, closeButton),
      this.noteText,
      this.statusLine,
      this.freshLine,
      linked,
      ...this.addons.map((addon) => addon.build(note)),
    ];
    if (this.me.can_review) children.push(this.buildReview(note));
    if (this.me.can_research) {
      children.push(this.buildSearch());
      this.suggestionsSection = el(
        "section",
        { class: "panel-section", "aria-labelledby": "panel-suggest-heading", hidden: true },
        el("h3", { id: "panel-suggest-heading", text: "Suggested evidence" }),
        el("p", { class: "help", text: "Unlinked evidence whose words or meaning match this note. Read each in full before you link it." }),
      );
      this.suggestionsPendingText = el("span");
      const checkAgain = el("button", { type: "button", class: "button button-quiet button-small", text: "Check again" });
      checkAgain.addEventListener("click", () => this.loadSuggestions());
      this.suggestionsPending = el("p", { class: "suggestions-pending", role: "status", hidden: true }, this.suggestionsPendingText, " ", checkAgain);
      this.suggestionsList = el("ul", { class: "evidence-list", "aria-labelledby": "panel-suggest-heading" });
      this.suggestionsSection.append(this.suggestionsPending, this.suggestionsList);
      children.push(this.suggestionsSection);
    } else {
      const library = el("a", { href: this.data.urls.library, text: "Browse the evidence library" });
      children.push(el("p", { class: "help" }, "Researchers link evidence to notes. ", library, "."));
    }
    this.root.replaceChildren(...children);
    this.showNote(note);
  }

  showNote(note) {
    this.noteText.textContent = note.text;
    const status = this.labels.statuses[note.status] || note.status;
    this.statusLine.replaceChildren(
      el("span", { class: `status status-${note.status}` }, icon(note.status), status),
      ` ${STATUS_HELP[note.status] || ""}.`,
      // "No evidence" would repeat the help of an assumption without any links.
      note.evidence?.supports || note.evidence?.contradicts ? ` ${evidenceSummary(note)}.` : "",
    );
    const freshness = freshnessText(note);
    this.freshLine.textContent = freshness ? `${freshness}.` : "";
    this.freshLine.hidden = !freshness;
    this.freshLine.classList.toggle("is-stale", note.status === "stale");
    if (note.narrow) {
      this.statusLine.append(" ", el("span", { class: "narrow" }, icon("narrow"), "Narrow"), " all support comes from one segment and one kind of source.");
    }
    if (this.reviewSelect && document.activeElement !== this.reviewSelect && !this.reviewDirty) {
      this.fillReview(note);
    }
    if (this.reviewInfo) {
      const review = note.review || {};
      const research = note.research || {};
      let info = review.by
        ? `Last reviewed by ${review.by}${review.at ? ` on ${formatDate(review.at)}` : ""}.`
        : "Not reviewed yet.";
      if (review.state === "needs_research") {
        info += research.assignee ? ` Research assigned to ${research.assignee}` : " Research not assigned yet";
        info += research.due ? `, due ${formatDate(research.due)}.` : ".";
      }
      this.reviewInfo.textContent = info;
    }
  }

  // Linked evidence -------------------------------------------------------------------------

  async loadLinks() {
    const noteId = this.noteId;
    const result = await api("GET", `${this.data.urls.api}notes/${noteId}/links/`);
    if (noteId !== this.noteId) return;
    if (!result.ok) {
      this.linksEmpty.hidden = false;
      this.linksEmpty.textContent = errorText(result);
      return;
    }
    this.links = result.data;
    this.renderLinks();
  }

  renderLinks() {
    this.linksEmpty.hidden = this.links.length > 0;
    this.linksList.replaceChildren(...this.links.map((link) => this.linkItem(link)));
    this.markLinkedResults();
  }

  evidenceBody(evidence) {
    const quote = el("p", { class: "evidence-text" });
    quote.textContent = evidence.text;
    const meta = el("p", { class: "evidence-meta" });
    const kind = this.labels.kinds[evidence.kind] || evidence.kind;
    const source = el("span", { class: "evidence-source" });
    source.textContent = `${kind}: ${evidence.source_title}`;
    meta.append(source, ` · ${formatDate(evidence.collected_on)}`);
    if (evidence.segment_name) meta.append(` · ${evidence.segment_name}`);
    if (evidence.participant) meta.append(` · ${evidence.participant}`);
    if (evidence.locator) meta.append(` · ${evidence.locator}`);
    const links = el("p", { class: "evidence-links" });
    const detail = el("a", { href: `${this.data.urls.library}${evidence.id}/` });
    detail.append("In the library", el("span", { class: "visually-hidden", text: `: ${evidence.text.slice(0, 60)}` }));
    links.append(detail);
    if (evidence.url && /^https?:\/\//i.test(evidence.url)) {
      const origin = el("a", { href: evidence.url, rel: "noopener noreferrer", target: "_blank" });
      origin.append("Original", el("span", { class: "visually-hidden", text: " (opens in a new tab)" }));
      links.append(" · ", origin);
    }
    return [quote, meta, links];
  }

  /** Where a candidate comes from, every field named, before anyone links it. */
  evidenceFacts(evidence) {
    const facts = [
      ["Source", evidence.source_title],
      ["Kind", this.labels.kinds[evidence.kind] || evidence.kind],
      ["Participant", evidence.participant || "not recorded"],
      ["Where", evidence.locator || "not recorded"],
      ["Collected", formatDate(evidence.collected_on)],
      ["Segment", evidence.segment_name || "none"],
    ];
    const list = el("dl", { class: "evidence-facts" });
    for (const [term, value] of facts) list.append(el("dt", { text: term }), el("dd", { text: value }));
    return list;
  }

  linkItem(link) {
    const stance = el("span", { class: `stance stance-${link.stance}` });
    stance.append(icon(link.stance === "supports" ? "supported" : "contested"), STANCE_LABELS[link.stance] || link.stance);
    const item = el("li", { class: `evidence-item stance-item-${link.stance}`, "data-link": link.id }, stance, ...this.evidenceBody(link.evidence));
    if (link.comment) {
      item.append(el("p", { class: "link-reason" }, el("strong", { text: "Reason: " }), link.comment));
    }
    if (link.created_by) item.append(el("p", { class: "evidence-meta", text: `Linked by ${link.created_by}` }));
    if (this.me.can_research) {
      const unlink = el("button", { type: "button", class: "button button-small button-danger" });
      unlink.append("Unlink", el("span", { class: "visually-hidden", text: ` evidence: ${link.evidence.text.slice(0, 60)}` }));
      unlink.addEventListener("click", () => this.unlink(link, unlink));
      item.append(unlink);
    }
    return item;
  }

  async unlink(link, button) {
    button.disabled = true;
    const result = await api("DELETE", `${this.data.urls.api}links/${link.id}/`);
    if (!result.ok && result.status !== 404) {
      button.disabled = false;
      this.toast(errorText(result), { kind: "error" });
      return;
    }
    this.links = this.links.filter((other) => other.id !== link.id);
    this.renderLinks();
    this.title.focus();
    this.toast(`Evidence unlinked: “${shortText(link.evidence.text)}”`, {
      action: "Undo",
      onAction: () => this.relink(link),
      timeout: UNDO_MS,
    });
    this.announce("Evidence unlinked. Undo is in the notice at the bottom of the page.");
    this.refreshNote();
    if (this.me.can_research) this.loadSuggestions(); // the unlinked item may be suggested again
  }

  /** Undo of an unlink: the same evidence, stance and reason, linked again. */
  async relink(link) {
    const body = { evidence: link.evidence.id, stance: link.stance, comment: link.comment || "" };
    const result = await api("POST", `${this.data.urls.api}notes/${link.note}/links/`, body);
    if (!result.ok) {
      this.toast(errorText(result), { kind: "error" });
      return;
    }
    if (link.note === this.noteId && !this.root.hidden) {
      this.links.push(result.data);
      this.renderLinks();
      this.removeSuggestion(link.evidence.id);
    }
    this.announce("Link restored.");
    const note = await api("GET", `${this.data.urls.api}notes/${link.note}/`);
    if (note.ok) this.onNote(note.data);
  }

  async link(evidence, stance, button, comment = "") {
    button.disabled = true;
    const body = { evidence: evidence.id, stance };
    if (comment) body.comment = comment;
    const result = await api("POST", `${this.data.urls.api}notes/${this.noteId}/links/`, body);
    if (!result.ok) {
      button.disabled = false;
      this.toast(errorText(result), { kind: "error" });
      return;
    }
    this.links.push(result.data);
    this.renderLinks();
    this.announce(`Linked as ${stance === "supports" ? "supporting" : "contradicting"} evidence.`);
    this.refreshNote();
    this.removeSuggestion(evidence.id);
  }

  removeSuggestion(evidenceId) {
    if (!this.suggestionsList) return;
    for (const item of this.suggestionsList.querySelectorAll(`[data-evidence="${evidenceId}"]`)) item.remove();
  }

  async refreshNote() {
    const result = await api("GET", `${this.data.urls.api}notes/${this.noteId}/`);
    if (result.ok) this.onNote(result.data);
  }

  // Library search and suggestions ---------------------------------------------------------

  buildSearch() {
    const input = el("input", { type: "search", id: "panel-search", name: "q", autocomplete: "off" });
    const button = el("button", { type: "submit", class: "button button-small", text: "Search" });
    this.results = el("ul", { class: "evidence-list", "aria-label": "Search results" });
    this.resultsNote = el("p", { class: "help", role: "status" });
    const form = el(
      "form",
      { class: "panel-search", role: "search" },
      el("label", { for: "panel-search", text: "Search the evidence library" }),
      el("div", { class: "search-row" }, input, button),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(input.value.trim());
    });
    return el(
      "section",
      { class: "panel-section", "aria-labelledby": "panel-search-heading" },
      el("h3", { id: "panel-search-heading", text: "Link evidence" }),
      form,
      this.resultsNote,
      this.results,
    );
  }

  async search(q) {
    const params = new URLSearchParams({ workspace: this.data.map.workspace });
    if (q) params.set("q", q);
    this.resultsNote.textContent = "Searching…";
    const result = await api("GET", `${this.data.urls.api}evidence/?${params}`);
    if (!result.ok) {
      this.resultsNote.textContent = errorText(result);
      return;
    }
    const items = (Array.isArray(result.data) ? result.data : result.data.results || []).slice(0, 30);
    this.resultsNote.textContent = items.length ? `${items.length} found${items.length === 30 ? " (first 30)" : ""}.` : "Nothing found. Try fewer words.";
    this.results.replaceChildren(...items.map((evidence) => this.candidateItem(evidence)));
    this.markLinkedResults();
  }

  candidateItem(evidence, matched = [], reason = "") {
    const [quote, , links] = this.evidenceBody(evidence);
    const item = el("li", { class: "evidence-item", "data-evidence": evidence.id }, quote, this.evidenceFacts(evidence), links);
    if (matched.length) item.append(el("p", { class: "help", text: `Matches: ${matched.join(", ")}` }));
    else if (reason) item.append(el("p", { class: "help", text: `Why suggested: ${reason}` }));
    const actions = el("div", { class: "evidence-actions" });
    for (const stance of ["supports", "contradicts"]) {
      const button = el("button", { type: "button", class: `button button-small link-${stance}`, "aria-expanded": "false" });
      button.append(
        stance === "supports" ? "Link as supporting…" : "Link as contradicting…",
        el("span", { class: "visually-hidden", text: `: ${evidence.text.slice(0, 60)}` }),
      );
      button.addEventListener("click", () => this.openLinkForm(item, evidence, stance, actions, button));
      actions.append(button);
    }
    const linkedNote = el("p", { class: "linked-note", hidden: true, text: "Linked to this note." });
    item.append(actions, linkedNote);
    return item;
  }

  /** The second step of linking: an optional reason, then the link itself (or cancel). */
  openLinkForm(item, evidence, stance, actions, opener) {
    item.querySelector(".link-form")?.remove();
    const id = `panel-link-reason-${(this.formCount += 1)}`;
    const supporting = stance === "supports";
    const reason = el("textarea", { id, name: "comment", rows: "2", maxlength: "2000" });
    const save = el("button", { type: "submit", class: "button button-primary button-small" });
    save.append(supporting ? "Link as supporting" : "Link as contradicting", el("span", { class: "visually-hidden", text: `: ${evidence.text.slice(0, 60)}` }));
    const cancel = el("button", { type: "button", class: "button button-quiet button-small", text: "Cancel" });
    const form = el(
      "form",
      { class: `link-form link-form-${stance}` },
      el("label", { for: id, text: supporting ? "Why does this support the note? (optional)" : "Why does this contradict the note? (optional)" }),
      reason,
      el("div", { class: "evidence-actions" }, save, cancel),
    );
    const close = () => {
      form.remove();
      actions.hidden = false;
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    };
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await this.link(evidence, stance, save, reason.value.trim());
      if (save.disabled) form.remove(); // linked: the item now says so
    });
    opener.setAttribute("aria-expanded", "true");
    actions.hidden = true;
    actions.after(form);
    reason.focus();
  }

  markLinkedResults() {
    if (!this.results) return;
    const linked = new Set(this.links.map((link) => link.evidence.id));
    for (const item of this.results.querySelectorAll("[data-evidence]")) {
      const isLinked = linked.has(Number(item.dataset.evidence));
      if (isLinked) item.querySelector(".link-form")?.remove();
      item.querySelector(".evidence-actions").hidden = isLinked || Boolean(item.querySelector(".link-form"));
      item.querySelector(".linked-note").hidden = !isLinked;
    }
  }

  async loadSuggestions() {
    if (!this.suggestionsAvailable || !this.suggestionsSection) return;
    const noteId = this.noteId;
    const result = await api("GET", `${this.data.urls.api}notes/${noteId}/suggestions/`);
    if (noteId !== this.noteId) return;
    if (result.status === 404 || result.status === 405) {
      // The endpoint is not there (yet) on this server: no section rather than an error.
      // A route that does not exist answers with Django's HTML page, not the API's JSON.
      if (result.status === 405 || result.data === null) this.suggestionsAvailable = false;
      return;
    }
    if (!result.ok) return;
    // An answer computed before a link made meanwhile (an undo, say) may still list its item.
    const linked = new Set(this.links.map((link) => link.evidence.id));
    const suggestions = (result.data.results || []).filter((suggestion) => !linked.has(suggestion.evidence.id));
    this.suggestionsSection.hidden = false;
    const incomplete = result.data.complete === false;
    this.suggestionsPending.hidden = !incomplete;
    if (incomplete) {
      const pending = result.data.pending;
      this.suggestionsPendingText.textContent = `Suggestions are not complete yet: ${pending} evidence item${pending === 1 ? " is" : "s are"} still being embedded, and until then found by their words only.`;
    }
    if (!suggestions.length) {
      this.suggestionsList.replaceChildren(el("li", { class: "muted", text: "No suggestions: no unlinked evidence shares this note's words." }));
      return;
    }
    this.suggestionsList.replaceChildren(
      ...suggestions.map((suggestion) => this.candidateItem(suggestion.evidence, suggestion.matched || [], suggestion.reason || "")),
    );
  }

  // Review (leads) ---------------------------------------------------------------------------

  buildReview(note) {
    this.reviewSelect = el("select", { id: "panel-review-state", name: "state" });
    for (const [value, label] of this.data.review_states) this.reviewSelect.append(el("option", { value, text: label }));
    this.reviewComment = el("textarea", { id: "panel-review-comment", name: "comment", rows: "2", maxlength: "2000" });
    // A research request: who looks into it, and by when (needs research only).
    this.reviewAssignee = el("select", { id: "panel-review-assignee", name: "assignee" });
    this.reviewAssignee.append(el("option", { value: "", text: "Nobody yet" }));
    for (const username of this.data.researchers || []) this.reviewAssignee.append(el("option", { value: username, text: username }));
    this.reviewDue = el("input", { id: "panel-review-due", name: "due", type: "date" });
    this.researchFields = el(
      "div",
      { class: "panel-research-fields" },
      el("div", { class: "field" }, el("label", { for: "panel-review-assignee", text: "Researcher" }), this.reviewAssignee),
      el("div", { class: "field" }, el("label", { for: "panel-review-due", text: "Due" }), this.reviewDue),
    );
    this.reviewSelect.addEventListener("change", () => this.showResearchFields());
    this.reviewInfo = el("p", { class: "help" });
    this.reviewDirty = false;
    const save = el("button", { type: "submit", class: "button button-primary button-small", text: "Save review" });
    const form = el(
      "form",
      { class: "panel-review" },
      el("div", { class: "field" }, el("label", { for: "panel-review-state", text: "Review state" }), this.reviewSelect),
      this.researchFields,
      el("div", { class: "field" }, el("label", { for: "panel-review-comment", text: "Comment" }), this.reviewComment),
      save,
      this.reviewInfo,
    );
    form.addEventListener("input", () => {
      this.reviewDirty = true;
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      const body = { state: this.reviewSelect.value, comment: this.reviewComment.value };
      if (body.state === "needs_research") {
        if (this.reviewAssignee.value) body.assignee = this.reviewAssignee.value;
        if (this.reviewDue.value) body.due = this.reviewDue.value;
      }
      const result = await api("POST", `${this.data.urls.api}notes/${this.noteId}/review/`, body);
      save.disabled = false;
      if (!result.ok) {
        this.toast(errorText(result), { kind: "error" });
        return;
      }
      this.reviewDirty = false;
      this.onNote(result.data);
      this.announce(`Review saved: ${this.labels.reviews[result.data.review.state]}.`);
    });
    const section = el(
      "section",
      { class: "panel-section", "aria-labelledby": "panel-review-heading" },
      el("h3", { id: "panel-review-heading", text: "Review" }),
      form,
    );
    this.fillReview(note);
    return section;
  }

  fillReview(note) {
    this.reviewSelect.value = note.review?.state || "unreviewed";
    this.reviewComment.value = note.review?.comment || "";
    const assignee = note.research?.assignee || "";
    if (assignee && !Array.from(this.reviewAssignee.options).some((option) => option.value === assignee)) {
      this.reviewAssignee.append(el("option", { value: assignee, text: assignee }));
    }
    this.reviewAssignee.value = assignee;
    this.reviewDue.value = note.research?.due || "";
    this.showResearchFields();
  }

  showResearchFields() {
    this.researchFields.hidden = this.reviewSelect.value !== "needs_research";
  }

  // News from the board ---------------------------------------------------------------------

  noteChanged(note) {
    if (note.id === this.noteId && !this.root.hidden) this.showNote(note);
  }

  noteRemoved(id) {
    if (id === this.noteId) {
      this.toast("The note in the evidence panel was deleted.", { kind: "warn" });
      this.close();
    }
  }

  linksChanged(noteId) {
    if (noteId !== this.noteId || this.root.hidden) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.loadLinks(), 150);
  }
}
