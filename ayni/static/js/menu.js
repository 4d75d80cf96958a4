// The header menu (includes/site_header.html) is a <details>: on a phone it opens and closes by
// itself, without this script. This script keeps it open on wide screens (where its button is
// hidden), closes it when the screen becomes narrow, and on a phone closes it with Escape (focus
// back on the button) or when the visitor taps or tabs outside it.
(function () {
  "use strict";
  var menu = document.getElementById("menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 64rem)");
  var button = menu.querySelector("summary");

  function sync() { menu.open = wide.matches; }
  sync();
  if (wide.addEventListener) wide.addEventListener("change", sync);
  else if (wide.addListener) wide.addListener(sync);

  function close(focusButton) {
    if (wide.matches || !menu.open) return;
    menu.open = false;
    if (focusButton && button) button.focus();
  }
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close(true);
  });
  document.addEventListener("click", function (event) {
    if (!menu.contains(event.target)) close(false);
  });
  document.addEventListener("focusin", function (event) {
    if (!menu.contains(event.target)) close(false);
  });
})();
