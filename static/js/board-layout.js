// The map's layout on the board: which sections it holds, and the "Outside this layout" tray
// for notes of sections a lead's switch to classic left out. A layout change (map.updated)
// moves sections between the board and the tray live; no note is ever dropped.

export function createLayout(ctx) {
  const { store, labels, ui } = ctx;
  const board = ctx.render.board;
  const tray = document.getElementById("outside-tray");
  const trayHolder = tray.querySelector("[data-outside]");
  const sectionNodes = Object.fromEntries(
    Array.from(document.querySelectorAll("[data-section]"), (node) => [node.dataset.section, node]),
  );
  let totals = {};

  function layoutSections() {
    return store.map.sections || [];
  }

  function sectionsInLayout() {
    return layoutSections().map((key) => ({ key, label: labels.sections[key] || key }));
  }

  /** Puts each section on the board (in layout order) or in the tray. */
  function apply() {
    const keys = layoutSections();
    board.classList.toggle("board-classic", store.map.layout === "classic");
    board.classList.toggle("board-extended", store.map.layout !== "classic");
    document.body.classList.toggle("layout-classic", store.map.layout === "classic");
    document.body.classList.toggle("layout-extended", store.map.layout !== "classic");
    for (const key of keys) {
      const node = sectionNodes[key];
      if (node && (node.parentNode !== board || node.nextElementSibling !== nextOnBoard(key))) {
        board.insertBefore(node, nextOnBoard(key));
      }
      if (node) node.hidden = false;
    }
    for (const section of ctx.allSections) {
      if (keys.includes(section.key)) continue;
      const node = sectionNodes[section.key];
      if (node && node.parentNode !== trayHolder) trayHolder.append(node);
    }
    showTray();
  }

  function nextOnBoard(key) {
    const keys = layoutSections();
    const later = keys.slice(keys.indexOf(key) + 1).map((other) => sectionNodes[other]);
    return later.find((node) => node && node.parentNode === board) || tray;
  }

  /** The tray shows only sections that still hold notes, and only when there are some. */
  function showTray() {
    const keys = layoutSections();
    let outside = 0;
    for (const section of ctx.allSections) {
      if (keys.includes(section.key)) continue;
      const count = totals[section.key] || 0;
      sectionNodes[section.key].hidden = count === 0;
      outside += count;
    }
    tray.hidden = outside === 0;
  }

  function countsChanged(newTotals) {
    totals = newTotals;
    showTray();
  }

  store.subscribe((change) => {
    if (change.type !== "map" || change.map.layout === change.before.layout) return;
    apply();
    const left = ctx.allSections.filter((section) => !layoutSections().includes(section.key) && totals[section.key]);
    const kept = left.length ? ` Notes of ${left.map((section) => section.label).join(", ")} are kept outside this layout.` : "";
    ui.announce(`The map now uses the ${change.map.layout} layout.${kept}`);
  });

  return { apply, countsChanged, layoutSections, sectionsInLayout };
}
