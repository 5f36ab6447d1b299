// A character count for a textarea that never cuts what was typed. A `maxlength` attribute
// silently drops whatever is pasted past it; this counts instead (in code points, as the
// server does, after trimming), says how far over the limit the text is, and lets the form
// refuse to send it, so the writer shortens it with nothing lost.

import { el } from "./board-view.js";

/** Characters as the server counts them: code points of the trimmed text. */
export function countCharacters(text) {
  return [...text.trim()].length;
}

/** The counter's words for `count` of `max`, or "" while well under the limit. */
export function limitMessage(count, max, { noun = "text" } = {}) {
  if (count > max) {
    const over = count - max;
    return `${count.toLocaleString("en")} characters: ${over.toLocaleString("en")} over the limit of ${max.toLocaleString("en")}. Shorten the ${noun} to save it.`;
  }
  if (count >= Math.floor(max * 0.9)) return `${count.toLocaleString("en")} of ${max.toLocaleString("en")} characters`;
  return "";
}

/**
 * Attach a counter to `textarea`; returns `{ counter, check }`. Put `counter` in the form;
 * `check()` is true when the text fits, and otherwise shows the message and focuses the box.
 */
export function limitText(textarea, max, { id, noun } = {}) {
  textarea.removeAttribute("maxlength");
  const counter = el("p", { class: "char-count", id, "aria-live": "polite", hidden: true });
  const described = (textarea.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  textarea.setAttribute("aria-describedby", [...described, id].join(" "));

  function update() {
    const count = countCharacters(textarea.value);
    const message = limitMessage(count, max, { noun });
    const over = count > max;
    counter.textContent = message;
    counter.hidden = !message;
    counter.classList.toggle("is-over", over);
    if (over) textarea.setAttribute("aria-invalid", "true");
    else textarea.removeAttribute("aria-invalid");
    return !over;
  }

  textarea.addEventListener("input", update);
  return {
    counter,
    update,
    check() {
      if (update()) return true;
      textarea.focus();
      return false;
    },
  };
}

/**
 * Every `maxlength` field of the page's forms counted instead of cut: a browser drops what is
 * pasted past `maxlength` without a word (a 250-character map title became 200). The form
 * refuses to send while a field is over; the server's own check stays behind it.
 */
export function limitForms(root = document) {
  for (const form of root.querySelectorAll("form")) {
    const limits = [];
    for (const field of form.querySelectorAll("input[maxlength], textarea[maxlength]")) {
      const max = Number(field.getAttribute("maxlength"));
      if (!field.id || !Number.isFinite(max) || max <= 0) continue;
      const limit = limitText(field, max, { id: `${field.id}-count` });
      field.after(limit.counter);
      limit.update();
      limits.push(limit);
    }
    if (!limits.length) continue;
    form.addEventListener("submit", (event) => {
      // Check every field (each shows its count), then stop at the first one over.
      const over = limits.map((limit) => limit.update()).indexOf(false);
      if (over === -1) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      limits[over].check();
    });
  }
}
