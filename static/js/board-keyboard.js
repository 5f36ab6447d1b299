// The buttons on cards, double-click to edit, and the board's keys: Enter/F2 edits, Delete
// deletes, arrows move the focus, Alt+arrows move the note, Ctrl+Z undoes a delete.

export function installKeyboard(ctx) {
  const { me, ui } = ctx;
  const { board } = ctx.render;
  const { editing, moving } = ctx;

  board.addEventListener("click", (event) => {
    const button = event.target.closest(".note-button");
    if (!button) return;
    const card = button.closest(".note-item");
    if (!card || !card.note) return;
    const id = card.note.id;
    if (button.classList.contains("note-edit")) editing.startEdit(card);
    else if (button.classList.contains("note-evidence")) ctx.panel.open(id, { trigger: button });
    else if (button.classList.contains("note-review")) ctx.panel.open(id, { trigger: button, focus: "review" });
    else if (button.classList.contains("note-delete")) editing.deleteNote(id);
    else if (button.classList.contains("note-move")) moving.toggleMoveMenu(card);
    else if (button.classList.contains("note-color")) ctx.colors.toggleMenu(card);
  });

  board.addEventListener("dblclick", (event) => {
    const card = event.target.closest(".note-item");
    if (card && card.note && !card.pending && !event.target.closest("button, textarea, select, .note-conflict")) editing.startEdit(card);
  });

  board.addEventListener("keydown", (event) => {
    const article = event.target.closest?.(".note");
    if (!article || event.target.closest("textarea, select, input, .move-menu")) return;
    const card = article.closest(".note-item");
    if (!card || !card.note || card.pending) return;
    if (event.altKey && ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.key)) {
      event.preventDefault();
      if (!me.can_edit) return ui.announce("You can read this map but not move notes.");
      article.focus();
      moving.moveBySteps(card, event.key);
      return;
    }
    if (event.target !== article) return;
    if (event.key === "Enter" || event.key === "F2") {
      event.preventDefault();
      if (me.can_edit) editing.startEdit(card);
      else ctx.panel.open(card.note.id, { trigger: article });
    } else if (event.key === "Delete" && me.can_edit) {
      event.preventDefault();
      editing.deleteNote(card.note.id);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const siblings = ctx.render.sortedCards(card.note.section).filter((other) => !other.hidden);
      const next = siblings[siblings.indexOf(card) + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.parts.article.focus();
      }
    }
  });

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "z" && editing.canUndo() && !event.target.closest("textarea, input")) {
      event.preventDefault();
      editing.undoDelete();
    }
  });
}
