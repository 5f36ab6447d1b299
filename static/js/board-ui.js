// Notices for the board: the screen-reader announcer, toasts and the connection badge.

import { el } from "./board-view.js";

export function createUi() {
  const announcer = document.getElementById("announcer");
  const toasts = document.getElementById("toasts");
  const connection = document.getElementById("connection");

  function announce(message) {
    announcer.textContent = "";
    requestAnimationFrame(() => {
      announcer.textContent = message;
    });
  }

  function toast(message, { action, onAction, kind = "info", timeout = 10000 } = {}) {
    const text = el("span", { class: "toast-text" });
    text.textContent = message;
    const item = el("div", { class: `toast toast-${kind}` }, text);
    const remove = () => item.remove();
    if (action) {
      const button = el("button", { type: "button", class: "button button-small" });
      button.textContent = action;
      button.addEventListener("click", () => {
        remove();
        onAction();
      });
      item.append(button);
    }
    const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" });
    close.textContent = "×";
    close.addEventListener("click", remove);
    item.append(close);
    toasts.append(item);
    let timer = setTimeout(remove, timeout);
    item.addEventListener("focusin", () => clearTimeout(timer));
    item.addEventListener("focusout", () => {
      timer = setTimeout(remove, timeout / 2);
    });
    return item;
  }

  function showConnection({ state, pending }) {
    const text = connection.querySelector(".connection-text");
    const waiting = pending ? ` · ${pending} ${pending === 1 ? "change" : "changes"} waiting` : "";
    const messages = {
      connecting: "Connecting…",
      online: pending ? `Sending${waiting}` : "Live",
      offline: `Offline, reconnecting${waiting}`,
      "signed-out": "Signed out: log in again to keep editing",
      "no-access": "You no longer have access to this map",
    };
    connection.dataset.state = state;
    const label = messages[state] || state;
    if (text.textContent !== label) text.textContent = label;
    connection.title = state === "online" ? "Changes from others appear as they happen" : "";
    document.body.classList.toggle("is-offline", state !== "online");
  }

  return { announce, toast, showConnection };
}
