// Note colours: the palette the server accepts, drawn on papers that keep text readable.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { contrast } from "../../static/js/avatar-color.js";
import { NOTE_COLORS, NOTE_TEXT_COLORS } from "../../static/js/note-colors.js";

const root = new URL("../../", import.meta.url);

test("every text colour on every note paper reaches 4.5:1", () => {
  for (const { key, paper } of NOTE_COLORS) {
    for (const [name, ink] of Object.entries(NOTE_TEXT_COLORS)) {
      const ratio = contrast(paper, ink);
      assert.ok(ratio >= 4.5, `${name} ${ink} on ${key} ${paper}: ${ratio.toFixed(2)}:1`);
    }
  }
});

test("board.css draws each colour on the paper the palette names", () => {
  const css = readFileSync(new URL("static/css/board.css", root), "utf8");
  for (const { key, paper } of NOTE_COLORS) {
    const rule = new RegExp(`\\.note-color-${key} \\{ --paper: (#[0-9a-f]{6}); \\}`);
    const match = rule.exec(css);
    assert.ok(match, `a rule for ${key}`);
    assert.equal(match[1], paper);
  }
});

test("the palette is the server's", () => {
  const services = readFileSync(new URL("maps/services.py", root), "utf8");
  const match = /NOTE_COLORS = \(([^)]*)\)/.exec(services);
  const server = match[1].split(",").map((part) => part.trim().replaceAll('"', "")).filter(Boolean);
  assert.deepEqual(NOTE_COLORS.map((color) => color.key), server);
});
