// Forms marked data-confirm ask before they submit: removing a member, archiving a map or a
// workspace. Without JavaScript they submit at once, as plain forms do.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
