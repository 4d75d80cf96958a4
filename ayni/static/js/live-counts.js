/* Live support counts: elements with data-support-count="<proposal id>" (every
   support) and data-identity-count="<proposal id>" (supports of residents whose
   identity the provider proved) follow the websocket named by this script's
   data-websocket-url (a path on this host,
   or an absolute http(s)/ws(s) origin + path). A static file, so that the
   Content-Security-Policy can forbid inline scripts. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[src*='live-counts.js']");
  var path = script && script.dataset.websocketUrl;
  if (!("WebSocket" in window) || !path) { return; }
  var url = path.indexOf("://") > 0 ? path.replace(/^http/, "ws") : (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  var retry = 1000;
  function connect() {
    var socket = new WebSocket(url);
    socket.onopen = function () { retry = 1000; document.documentElement.setAttribute("data-live", "on"); };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      document.querySelectorAll('[data-support-count="' + data.proposal + '"]').forEach(function (node) {
        node.textContent = String(data.count);
      });
      if (typeof data.identity_count === "number") {
        document.querySelectorAll('[data-identity-count="' + data.proposal + '"]').forEach(function (node) {
          node.textContent = String(data.identity_count);
        });
      }
    };
    socket.onclose = function () {
      document.documentElement.setAttribute("data-live", "off");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();
