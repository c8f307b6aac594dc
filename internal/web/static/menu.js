// The console's menu on a phone is a <details>: it opens and closes with a
// click, Enter or Space without script. This adds what a menu is expected
// to do besides: Escape closes it and gives the focus back to its button,
// and a click elsewhere on the page closes it.
(function () {
  "use strict";
  var menu = document.querySelector("details.menu");
  if (!menu) { return; }
  var button = menu.querySelector("summary");
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !menu.open) { return; }
    menu.open = false;
    button.focus();
  });
  document.addEventListener("click", function (e) {
    if (menu.open && !menu.contains(e.target)) { menu.open = false; }
  });
})();
