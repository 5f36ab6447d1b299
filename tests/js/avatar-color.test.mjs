// Avatar colours keep white initials readable (WCAG AA, 4.5:1) for every username.
import assert from "node:assert/strict";
import { test } from "node:test";

import { avatarColors, contrast, hslToRgb, hue, personaInitials, toHex } from "../../static/js/avatar-color.js";

function usernames(count) {
  // Deterministic, distinct, varied names: letters, digits, dots, accents and other scripts.
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._-éøßçλжあ";
  const names = new Set();
  let seed = 12345;
  while (names.size < count) {
    let name = "";
    const length = 2 + (names.size % 14);
    for (let j = 0; j < length; j += 1) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      name += alphabet[seed % alphabet.length];
    }
    names.add(name);
  }
  return Array.from(names);
}

test("white initials reach 4.5:1 on the avatar of each of 1,000 usernames", () => {
  const names = usernames(1000);
  assert.equal(new Set(names).size, 1000);
  for (const name of names) {
    const { background, text } = avatarColors(name);
    assert.ok(contrast(background, text) >= 4.5, `${name}: ${text} on ${background} is ${contrast(background, text).toFixed(2)}:1`);
  }
});

test("every hue passes, including the green that failed before", () => {
  // The old avatar: hsl(h 45% 38%) with white text gave #358d6b, 4.05:1.
  const oldGreen = toHex(hslToRgb(157, 0.45, 0.38));
  assert.equal(oldGreen, "#358d6b");
  assert.ok(contrast(oldGreen, "#ffffff") < 4.5);
  const name = usernames(5000).find((candidate) => hue(candidate) === 157);
  assert.ok(name, "some username has that hue");
  assert.ok(contrast(avatarColors(name).background, "#ffffff") >= 4.5);
});

test("the hue stays the user's own, so people keep their colour", () => {
  assert.equal(avatarColors("bob").background, avatarColors("bob").background);
  assert.notEqual(avatarColors("bob").background, avatarColors("alice").background);
});

test("contrast follows WCAG", () => {
  assert.equal(Math.round(contrast("#000000", "#ffffff")), 21);
  assert.equal(contrast("#777777", "#777777"), 1);
});

test("a persona's initials come from the first two words", () => {
  assert.equal(personaInitials("Maya Okafor"), "MO");
  assert.equal(personaInitials("  priya "), "P");
  assert.equal(personaInitials("Finance lead, small agency"), "FL");
  assert.equal(personaInitials(""), "?");
});
