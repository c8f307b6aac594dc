// Progressive enhancement of the key page: while the wait between two keys
// runs, the issue button counts down and turns usable when it ends. Without
// script the page says until when, and reloading it does the same.
(function () {
  "use strict";
  var button = document.getElementById("issue-button");
  if (!button || !button.hasAttribute("data-wait")) { return; }
  var end = Date.now() + 1000 * parseInt(button.getAttribute("data-wait"), 10);
  var label = button.getAttribute("data-label");
  var waiting = button.getAttribute("data-label-wait");

  function tick() {
    var left = Math.ceil((end - Date.now()) / 1000);
    if (left <= 0) {
      button.textContent = label;
      button.disabled = false;
      var note = document.getElementById("issue-wait");
      if (note) { note.hidden = true; }
      button.removeAttribute("aria-describedby");
      return;
    }
    button.textContent = waiting.replace("{n}", String(left));
    setTimeout(tick, ((end - Date.now()) % 1000) || 1000);
  }
  tick();
})();
