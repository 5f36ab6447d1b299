// Bar lengths from data-share (a percentage), set through the CSSOM: the page's
// Content-Security-Policy refuses inline style attributes.
for (const bar of document.querySelectorAll(".bar[data-share]")) {
  const share = Number(bar.dataset.share);
  if (Number.isFinite(share)) bar.style.setProperty("--share", `${Math.min(100, Math.max(0, share))}%`);
}
