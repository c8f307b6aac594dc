// The passkey ceremonies (SPEC §2, Passkeys): sign in at the key step,
// パスキーでログイン on the login page, and adding a passkey in the console.
// The WebAuthn API needs script; without it the page says so and the
// one-time key works as before. Buttons stay hidden until this runs.
(function () {
  "use strict";
  var supported = window.PublicKeyCredential && navigator.credentials && window.fetch;

  function toBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), b = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { b[i] = bin.charCodeAt(i); }
    return b.buffer;
  }
  function toB64u(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { var e = new Error(j.error && j.error.message || String(r.status)); e.server = true; throw e; }
        return j;
      });
    });
  }
  function creation(o) {
    var pk = o.publicKey;
    pk.challenge = toBuf(pk.challenge);
    pk.user.id = toBuf(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    return { publicKey: pk };
  }
  function request(o) {
    var pk = o.publicKey;
    pk.challenge = toBuf(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    return { publicKey: pk };
  }
  function asJSON(c) {
    var r = c.response, out = {
      id: c.id, rawId: toB64u(c.rawId), type: c.type,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64u(r.clientDataJSON) }
    };
    if (c.authenticatorAttachment) { out.authenticatorAttachment = c.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = toB64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toB64u(r.authenticatorData);
      out.response.signature = toB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64u(r.userHandle); }
    }
    return out;
  }

  document.querySelectorAll("[data-passkey]").forEach(function (el) {
    var status = document.getElementById(el.getAttribute("data-status"));
    var button = el.tagName === "BUTTON" ? el : el.querySelector("button[type=submit]");
    function say(text) { if (status) { status.textContent = text; } }
    if (!supported) { say(el.getAttribute("data-msg-unsupported")); return; }
    button.hidden = false;
    function fail(err) {
      button.disabled = false;
      say(err && err.server ? err.message : el.getAttribute("data-msg-failed"));
    }
    function run(ev) {
      if (ev) { ev.preventDefault(); }
      button.disabled = true;
      say(el.getAttribute("data-msg-working"));
      var register = el.getAttribute("data-passkey") === "register";
      post(el.getAttribute("data-options")).then(function (j) {
        return register ? navigator.credentials.create(creation(j.options)) : navigator.credentials.get(request(j.options));
      }).then(function (cred) {
        var body = { credential: asJSON(cred) };
        if (register) { body.name = el.querySelector("[name=name]").value; }
        return post(el.getAttribute("data-finish"), body);
      }).then(function (j) {
        window.location.assign(el.getAttribute("data-done") || j.redirect);
      }).catch(fail);
    }
    if (el.tagName === "FORM") { el.addEventListener("submit", run); } else { el.addEventListener("click", run); }
  });
})();
