// Progressive enhancement of the key page: while a message is queued or
// sent, ask /login/key/status every few seconds and update the delivery
// table in place. Without script the "送信状況を更新" link does the same.
(function () {
  "use strict";
  var table = document.getElementById("deliveries");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-status-url");
  var body = table.tBodies[0];
  var polls = 0, maxPolls = 200, every = 3000;

  function render(rows) {
    var fresh = document.createElement("tbody");
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = r.to;
      var td = document.createElement("td");
      td.className = "status-" + r.status.replace(/[^a-z]/g, "");
      td.textContent = r.label;
      if (r.advice) {
        var advice = document.createElement("span");
        advice.className = "advice";
        advice.textContent = r.advice;
        td.appendChild(document.createElement("br"));
        td.appendChild(advice);
      }
      tr.appendChild(th);
      tr.appendChild(td);
      fresh.appendChild(tr);
    });
    if (fresh.innerHTML !== body.innerHTML) {
      table.replaceChild(fresh, body);
      body = fresh;
    }
  }

  function poll() {
    polls++;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (st) {
        if (!st) { return; }
        render(st.deliveries || []);
        if (st.pending && polls < maxPolls) { setTimeout(poll, every); }
      })
      .catch(function () {
        if (polls < maxPolls) { setTimeout(poll, every * 2); }
      });
  }
  setTimeout(poll, 1000);
})();
