// The console's menu on a phone is a <details>: it opens and closes with a
// click, Enter or Space without script. This adds what a menu is expected
// to do besides: Escape closes it and gives the focus back to its button;
// a click elsewhere, or Tab past its last item, closes it, so that the open
// menu never hides what has the focus.
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
  menu.addEventListener("focusout", function (e) {
    if (menu.open && e.relatedTarget && !menu.contains(e.relatedTarget)) { menu.open = false; }
  });
})();
