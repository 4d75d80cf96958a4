/* Chat widget: a websocket to /ws/chat/ (falls back to POST /api/chat/).
   Static file: no per-user data ever enters the cached page. */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var script = document.currentScript || document.querySelector("script[src*='chat.js']");
  var text = function (key, fallback) { return (script && script.dataset[key]) || fallback; };
  var toggle = document.getElementById("chat-toggle");
  var panel = document.getElementById("chat-panel");
  var closeButton = document.getElementById("chat-close");
  var log = document.getElementById("chat-log");
  var statusLine = document.getElementById("chat-status");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var photoBox = document.getElementById("chat-photo");
  var photoInput = document.getElementById("chat-photo-input");
  var socket = null;
  var pending = [];
  var sender = null;
  var upload = null; // {url, token}: the reclamo's photo step is open (the latest answer said so)
  var csrfToken = null;

  function conversationId() {
    if (sender) return sender;
    try {
      sender = sessionStorage.getItem("ayni-chat");
      if (!sender) {
        sender = Math.random().toString(36).slice(2) + Date.now().toString(36);
        sessionStorage.setItem("ayni-chat", sender);
      }
    } catch (e) { sender = Math.random().toString(36).slice(2); }
    return sender;
  }

  function open() {
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    input.focus();
    connect();
  }

  function close() {
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  }

  // Bot text is never parsed as HTML: text nodes, and an <a> element (built by the DOM API) for every
  // http(s) address in it. Punctuation that ends a sentence (".", ",", ";", ":", "!", "?") or closes a
  // bracket right after an address stays text, so "…aquí: https://portal.bo/tramites/." links the page.
  function linkify(node, value) {
    var parts = value.split(/(https?:\/\/[^\s<>"]+)/g);
    parts.forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        var trail = (part.match(/[.,;:!?)\]»"']+$/) || [""])[0];
        var address = trail ? part.slice(0, -trail.length) : part;
        var a = document.createElement("a");
        a.href = address; a.textContent = address; a.rel = "noopener";
        node.appendChild(a);
        if (trail) node.appendChild(document.createTextNode(trail));
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  function addMessage(who, value) {
    var item = document.createElement("div");
    item.className = "chat-msg " + who;
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who === "you" ? text("you", "Tú") : text("bot", "Asistente");
    item.appendChild(label);
    var body = document.createElement("span");
    linkify(body, value);
    item.appendChild(body);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function addButtons(buttons) {
    if (!buttons || !buttons.length) return;
    var group = document.createElement("div");
    group.className = "chat-buttons";
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () { send(b.payload, b.title); });
      group.appendChild(button);
    });
    log.appendChild(group);
    log.scrollTop = log.scrollHeight;
  }

  function show(answer) {
    statusLine.textContent = "";
    if (answer.error) { addMessage("bot", answer.error); return; }
    (answer.replies || []).forEach(function (reply) {
      addMessage("bot", reply.text);
      addButtons(reply.buttons);
    });
    offerPhoto(answer.upload || null);
  }

  // The photo upload (chatbot.uploads): offered only while the flow waits for a photo.
  function offerPhoto(offer) {
    if (!photoBox) return;
    upload = offer && offer.url && offer.token ? offer : null;
    photoBox.hidden = !upload;
  }

  function csrf(url) {
    if (csrfToken) return Promise.resolve(csrfToken);
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { csrfToken = data.csrfToken; return csrfToken; });
  }

  function sendPhoto(file) {
    if (!upload || !file) return;
    var offer = upload;
    addMessage("you", text("photoSent", "Foto adjunta") + ": " + file.name);
    statusLine.textContent = text("photoSending", "…");
    offerPhoto(null); // one photo at a time; the answer offers the next
    csrf(offer.url).then(function (token) {
      var body = new FormData();
      body.append("photo", file);
      body.append("conversation", offer.token);
      return fetch(offer.url, {
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token }
      });
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; }, function () {
        return { ok: false, data: {} };
      });
    }).then(function (result) {
      if (result.ok) { show(result.data); return; }
      statusLine.textContent = "";
      addMessage("bot", result.data.detail || text("photoError", "No se pudo enviar la foto."));
      offerPhoto(offer); // the step is still open: another photo, or the place in words
    }).catch(function () {
      statusLine.textContent = "";
      addMessage("bot", text("photoError", "No se pudo enviar la foto."));
      offerPhoto(offer);
    });
  }

  function connect() {
    if (socket || !("WebSocket" in window)) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    } catch (e) { socket = null; return; }
    socket.onmessage = function (event) {
      try { show(JSON.parse(event.data)); } catch (e) { /* ignore malformed frames */ }
    };
    socket.onopen = function () { pending.splice(0).forEach(function (m) { socket.send(m); }); };
    socket.onclose = function () {
      socket = null;
      pending.splice(0).forEach(function (m) { post(JSON.parse(m).text); });
    };
  }

  // The page's language (es, en…): the bot answers in it and the conversation remembers it.
  function pageLanguage() {
    return (document.documentElement.lang || "").split("-")[0];
  }

  function post(value) {
    fetch(root.dataset.apiPath, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: conversationId(), text: value, lang: pageLanguage() })
    }).then(function (r) { return r.json(); }).then(show).catch(function () {
      statusLine.textContent = "";
      addMessage("bot", text("error", "No se pudo enviar el mensaje."));
    });
  }

  function send(value, shown) {
    value = (value || "").trim();
    if (!value) return;
    addMessage("you", shown || value);
    statusLine.textContent = text("writing", "…");
    var message = JSON.stringify({ text: value, lang: pageLanguage() });
    if (socket && socket.readyState === 1) socket.send(message);
    else if (socket && socket.readyState === 0) pending.push(message);
    else post(value);
  }

  if (photoInput) {
    photoInput.addEventListener("change", function () {
      var file = photoInput.files && photoInput.files[0];
      photoInput.value = "";
      sendPhoto(file);
    });
  }
  toggle.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });
})();
