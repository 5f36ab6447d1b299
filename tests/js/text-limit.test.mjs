// The note and comment boxes count characters as the server does and never cut the text.
import assert from "node:assert/strict";
import { test } from "node:test";

import { countCharacters, limitMessage } from "../../static/js/text-limit.js";

test("characters are counted as code points of the trimmed text, as the server counts them", () => {
  assert.equal(countCharacters("  hello \n"), 5);
  assert.equal(countCharacters("😀".repeat(1000)), 1000); // 2,000 UTF-16 units
  assert.equal(countCharacters(""), 0);
});

test("the counter is quiet well under the limit, counts near it, and says how far over", () => {
  assert.equal(limitMessage(899, 1000), "");
  assert.equal(limitMessage(900, 1000), "900 of 1,000 characters");
  assert.equal(limitMessage(1000, 1000), "1,000 of 1,000 characters");
  assert.equal(
    limitMessage(3000, 1000, { noun: "note" }),
    "3,000 characters: 2,000 over the limit of 1,000. Shorten the note to save it.",
  );
});
