// The "+ Add a note" form under each section, and sending the new note.

import { el } from "./board-view.js";
import { limitText } from "./text-limit.js";

const TEAM_KEY = "empathymap.team";

export function createAdding(ctx) {
  const { store, socket, data, me, labels, ui } = ctx;

  function buildForms() {
    if (!me.can_edit) return;
    for (const section of ctx.allSections) {
      const holder = document.querySelector(`[data-section="${section.key}"] [data-add]`);
      if (holder) holder.append(...buildForm(section));
    }
  }

  function buildForm(section) {
    const toggle = el("button", { type: "button", class: "add-toggle", "aria-expanded": "false" });
    toggle.append("+ Add a note", el("span", { class: "visually-hidden", text: ` to ${section.label}` }));
    const textId = `add-${section.key}-text`;
    const teamId = `add-${section.key}-team`;
    const textarea = el("textarea", { id: textId, name: "text", rows: "3", required: true });
    const limit = limitText(textarea, data.note_text_max, { id: `${textId}-count`, noun: "note" });
    const team = el("select", { id: teamId, name: "team" });
    const savedTeam = localStorage.getItem(TEAM_KEY) || ctx.me.team || "product";
    for (const [value, label] of data.teams) team.append(el("option", { value, text: label, selected: value === savedTeam }));
    const submit = el("button", { type: "submit", class: "button button-primary button-small", text: "Add note" });
    const cancel = el("button", { type: "button", class: "button button-quiet button-small", text: "Done" });
    const error = el("p", { class: "error", role: "alert", hidden: true });
    const form = el(
      "form",
      { class: "add-form", hidden: true },
      el("label", { for: textId, text: `New note in ${section.label}` }),
      textarea,
      limit.counter,
      el("p", { class: "help", text: "Enter adds it; Shift+Enter starts a new line." }),
      el("div", { class: "add-row" }, el("label", { for: teamId, class: "inline-label", text: "Team" }), team, submit, cancel),
      error,
    );
    const open = (isOpen) => {
      form.hidden = !isOpen;
      toggle.hidden = isOpen;
      toggle.setAttribute("aria-expanded", String(isOpen));
      if (isOpen) textarea.focus();
      else toggle.focus();
    };
    toggle.addEventListener("click", () => open(true));
    cancel.addEventListener("click", () => open(false));
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === "Escape") {
        open(false);
      }
    });
    team.addEventListener("change", () => localStorage.setItem(TEAM_KEY, team.value));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      error.hidden = true;
      if (!text) {
        error.hidden = false;
        error.textContent = "Write something first.";
        return;
      }
      if (!limit.check()) return;
      createNote(section.key, text, team.value, error, textarea);
      textarea.value = "";
      limit.update();
      textarea.focus();
    });
    return [toggle, form];
  }

  function createNote(section, text, team, errorNode, textarea) {
    const { opId, done } = socket.op("note.create", { section, text, team });
    store.pendingCreate(opId, { section, text, team });
    done.then((reply) => {
      store.settlePending(opId);
      if (reply.type === "ack") {
        if (reply.note && !ctx.filters.matches(reply.note)) {
          ui.toast(`Note added to ${labels.sections[section]}. Your filters hide it.`, {
            action: "Clear filters",
            onAction: () => {
              ctx.filters.clear();
              ctx.render.cards.get(reply.note.id)?.parts.article.focus();
            },
          });
        } else {
          // A full section scrolls: bring the new note into sight, the add form keeping focus.
          // Again a frame later: notes off screen are laid out at an estimated height
          // (content-visibility), so the first scroll can fall short once they are drawn.
          const added = ctx.render.cards.get(reply.note.id);
          added?.scrollIntoView({ block: "nearest" });
          requestAnimationFrame(() => added?.scrollIntoView({ block: "nearest" }));
          ui.announce(`Note added to ${labels.sections[section]}.`);
        }
        return;
      }
      errorNode.hidden = false;
      errorNode.textContent = reply.detail || "The note could not be added.";
      if (!textarea.value) textarea.value = text;
    });
  }

  return { buildForms };
}
