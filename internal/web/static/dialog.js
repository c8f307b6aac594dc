// Progressive enhancement of the CLOMO dialog: shown as a true modal, it
// keeps the focus inside, closes on Escape and gives the focus back to the
// page. Without script it is an open dialog with two links.
(function () {
  "use strict";
  var dialog = document.querySelector("dialog.modal");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var backdrop = document.querySelector(".backdrop");
  // The dialog opened with the page, not from a control: the focus goes
  // back to the page's content.
  var back = document.getElementById("main");
  dialog.removeAttribute("open");
  dialog.showModal();
  if (backdrop) { backdrop.hidden = true; }
  var first = dialog.querySelector("[autofocus]");
  if (first) { first.focus({ focusVisible: true }); }
  // showModal makes the page inert; Tab still leaves for the browser's
  // own controls, so wrap it between the first and last link.
  dialog.addEventListener("keydown", function (e) {
    if (e.key !== "Tab") { return; }
    var items = dialog.querySelectorAll("a[href], button:not([disabled])");
    if (!items.length) { return; }
    var a = items[0], z = items[items.length - 1];
    if (e.shiftKey && document.activeElement === a) { z.focus(); e.preventDefault(); }
    else if (!e.shiftKey && document.activeElement === z) { a.focus(); e.preventDefault(); }
  });
  dialog.addEventListener("close", function () {
    if (back && back.focus) { back.focus(); }
  });
})();
