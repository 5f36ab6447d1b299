// Comments in the note's side panel (README, "Workshop"): the thread, oldest first, with author
// and time, and a form (editors and up) that sends the websocket op `comment.create`. Comments
// arrive live for everyone through `comment.created` events, which also carry the note's new
// `comments` count for its card. `@username` mentions are the server's business.
// An add-on of the evidence panel: it builds one section of the panel for the open note.

import { api } from "./api.js";
import { el } from "./board-view.js";
import { limitText } from "./text-limit.js";

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function createComments(ctx) {
  const { store, socket, me, data } = ctx;
  let noteId = null;
  let list = null;
  let empty = null;
  let textarea = null;
  let limit = null;
  let heading = null;
  const shown = new Set(); // comment ids in the open thread

  function item(comment) {
    const author = el("span", { class: "comment-author" });
    author.textContent = comment.author || "Someone who left";
    const time = el("time", { class: "comment-time", datetime: comment.created_at });
    time.textContent = formatTime(comment.created_at);
    const text = el("p", { class: "comment-text" });
    text.textContent = comment.text;
    const node = el("li", { class: "comment", "data-id": comment.id }, el("p", { class: "comment-head" }, author, " · ", time), text);
    if (comment.parent) node.classList.add("comment-reply");
    return node;
  }

  function add(comment) {
    if (!list || comment.note !== noteId || shown.has(comment.id)) return;
    shown.add(comment.id);
    // Oldest first: a comment goes after every comment older than it.
    const later = Array.from(list.children).find((other) => Number(other.dataset.id) > comment.id);
    list.insertBefore(item(comment), later || null);
    empty.hidden = true;
  }

  async function load(id) {
    const result = await api("GET", `${data.urls.api}notes/${id}/comments/`);
    if (id !== noteId || !result.ok) return;
    const comments = Array.isArray(result.data) ? result.data : result.data.results || [];
    for (const comment of comments) add(comment);
    empty.hidden = shown.size > 0;
  }

  function submit(event) {
    event.preventDefault();
    const text = textarea.value.trim();
    if (!text) {
      ctx.ui.toast("Write a comment first.", { kind: "error" });
      textarea.focus();
      return;
    }
    if (!limit.check()) return;
    const id = noteId;
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    const { done } = socket.op("comment.create", { note: id, text });
    done.then((reply) => {
      button.disabled = false;
      if (reply.type === "ack") {
        if (reply.comment) add(reply.comment);
        if (reply.note) store.upsert(reply.note, reply.seq);
        if (id === noteId) {
          textarea.value = "";
          limit.update();
        }
        ctx.ui.announce("Comment posted.");
      } else {
        ctx.ui.toast(reply.detail || "The comment was not posted.", { kind: "error" });
      }
    });
  }

  /** The panel's comments section for a note. */
  function build(note) {
    noteId = note.id;
    shown.clear();
    heading = el("h3", { id: "panel-comments-heading", tabindex: "-1", text: "Comments" });
    list = el("ol", { class: "comment-list", "aria-labelledby": "panel-comments-heading" });
    empty = el("p", { class: "muted", text: "No comments yet." });
    const section = el("section", { class: "panel-section panel-comments", "aria-labelledby": "panel-comments-heading" }, heading, empty, list);
    if (me.can_edit) {
      textarea = el("textarea", { id: "comment-text", rows: "3", required: true, "aria-describedby": "comment-help" });
      limit = limitText(textarea, data.comment_text_max, { id: "comment-count", noun: "comment" });
      const form = el(
        "form",
        { class: "comment-form" },
        el("label", { for: "comment-text", text: "Add a comment" }),
        textarea,
        limit.counter,
        el("p", { class: "help", id: "comment-help", text: "Plain text. Mention a member with @username to notify them." }),
        el("button", { type: "submit", class: "button button-small", text: "Post comment" }),
      );
      form.addEventListener("submit", submit);
      textarea.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
      });
      section.append(form);
    } else {
      textarea = null;
    }
    load(note.id);
    return section;
  }

  function focus(which) {
    if (which !== "comments" || !heading) return false;
    (textarea || heading).focus();
    return true;
  }

  function closed() {
    noteId = null;
    list = null;
  }

  /** One more unread mention in the header's "Mentions (N)", as the next page load would show. */
  function countMention(comment) {
    const holder = document.querySelector("[data-unread-mentions]");
    if (holder) {
      const unread = Number(holder.dataset.unreadMentions || 0) + 1;
      holder.dataset.unreadMentions = String(unread);
      holder.replaceChildren(" ", el("strong", { text: `(${unread})` }), el("span", { class: "visually-hidden", text: " unread" }));
    }
    ctx.ui.announce(`${comment.author || "Someone"} mentioned you in a comment.`);
  }

  // A comment on any note: the card's count comes with the note; the thread if it is open.
  store.registerKind("comment.created", (event, held) => {
    if (event.note) held.upsert(event.note, event.seq);
    if (event.comment) add(event.comment);
    if (event.comment && (event.mentioned || []).includes(me.username)) countMention(event.comment);
  });

  return { build, focus, closed };
}
