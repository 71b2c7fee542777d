// The host page reacts to the app: its own "Continue" button waits for a
// linked account, and every event is kept for the page (and the tests).
(function () {
  "use strict";
  var heard = (window.acmeHeard = []);
  var next = document.getElementById("site-next");
  ["ready", "connected", "disconnected", "exit", "error"].forEach(function (name) {
    document.addEventListener("pelm-energy:" + name, function (event) {
      heard.push({ type: event.type, detail: event.detail, target: event.target.id });
      if (name === "ready" || name === "connected" || name === "disconnected") {
        next.disabled = !event.detail.connected;
      }
    });
  });
})();
