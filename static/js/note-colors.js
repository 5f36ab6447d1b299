// The colours a note may take (the server accepts exactly these keys, maps/services.py
// NOTE_COLORS), with the paper each is drawn on; board.css has the same papers. Every text
// colour used on a note keeps 4.5:1 or more on each paper (tests/js/note-colors.test.mjs).

export const NOTE_COLORS = [
  { key: "yellow", label: "Yellow", paper: "#fff7cf" },
  { key: "pink", label: "Pink", paper: "#fde8f0" },
  { key: "blue", label: "Blue", paper: "#e6f0ff" },
  { key: "green", label: "Green", paper: "#e5f6ea" },
  { key: "orange", label: "Orange", paper: "#ffecd9" },
  { key: "purple", label: "Purple", paper: "#efe8fd" },
];

// Text drawn straight on a note's paper: the note, its meta line, review states, peers.
export const NOTE_TEXT_COLORS = {
  ink: "#1d2330",
  "ink-soft": "#4a5366",
  muted: "#5f6878",
  validated: "#145c2a",
  "needs-research": "#7a4d00",
  "brand-dark": "#2b3899",
};

export function colorLabel(key) {
  return NOTE_COLORS.find((color) => color.key === key)?.label || "Custom";
}
