// Colours and initials for avatars. Pure functions, no DOM: node's tests run them as they are.
//
// A user's avatar keeps one hue (from their username) and white initials; its lightness goes
// down until the white text has a contrast of at least 4.5:1 (WCAG AA), whatever the hue.

const SATURATION = 0.45;
const START_LIGHTNESS = 0.38;
export const MIN_CONTRAST = 4.5;

export function hue(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

/** [r, g, b] in 0..255 for a hue in degrees and saturation and lightness in 0..1. */
export function hslToRgb(h, s, l) {
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)].map((value) => Math.round(value * 255));
}

export function toHex([r, g, b]) {
  return `#${[r, g, b].map((value) => value.toString(16).padStart(2, "0")).join("")}`;
}

function fromHex(hex) {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

export function luminance(hex) {
  const [r, g, b] = fromHex(hex).map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(first, second) {
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

/** {background, text} for a username's avatar: its hue, dark enough for white text. */
export function avatarColors(name) {
  const h = hue(name);
  let lightness = START_LIGHTNESS;
  let background = toHex(hslToRgb(h, SATURATION, lightness));
  while (contrast(background, "#ffffff") < MIN_CONTRAST && lightness > 0) {
    lightness = Math.max(0, lightness - 0.01);
    background = toHex(hslToRgb(h, SATURATION, lightness));
  }
  return { background, text: "#ffffff" };
}

/** Up to two initials of a persona's name ("Maya Okafor" -> "MO"), or "?" without one. */
export function personaInitials(name) {
  const words = name.trim().split(/[\s,;:/()-]+/).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0].toUpperCase());
  return letters.join("") || "?";
}
