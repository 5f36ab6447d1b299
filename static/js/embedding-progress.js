// The library's "Embedding 340 of 1,200 evidence items" line: polls the workspace's embedding
// progress while a worker embeds imported evidence in the background, and says when it is done.

import { api } from "./api.js";

const POLL_MS = 2000;
// No item embedded for this long while some wait: the worker is probably not running.
const STALLED_MS = 60000;

const box = document.getElementById("embedding-progress");
if (box) {
  const bar = box.querySelector("progress");
  const text = document.getElementById("embedding-progress-text");
  const help = box.querySelector("[data-embedding-help]");
  let lastEmbedded = Number(bar.value);
  let lastChange = Date.now();

  const show = ({ total, embedded, pending }) => {
    bar.max = Math.max(total, 1);
    bar.value = embedded;
    if (pending === 0) {
      bar.hidden = true;
      text.textContent = `All ${total.toLocaleString("en-US")} evidence items are embedded: suggestions use their meaning too.`;
      help.hidden = true;
      return false;
    }
    text.textContent = `Embedding ${embedded.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} evidence items for suggestions by meaning.`;
    if (embedded !== lastEmbedded) {
      lastEmbedded = embedded;
      lastChange = Date.now();
    }
    help.textContent =
      Date.now() - lastChange > STALLED_MS
        ? "No progress for a minute: the background worker (manage.py db_worker) may not be running."
        : "Until an item is embedded, suggestions find it by its words only.";
    return true;
  };

  const poll = async () => {
    const result = await api("GET", box.dataset.url);
    if (result.ok && !show(result.data)) return;
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
