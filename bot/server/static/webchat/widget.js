/* The customer web chat widget: one script a shop pastes into any page (docs/operator.md).
 *
 * <script src="https://bot.example.com/webchat/widget.js" data-title="Help" defer></script>
 *
 * Talks to /webchat/* of the bot server: a session (signed token kept in localStorage), then a
 * WebSocket with catch-up from the last message number it has, automatic reconnect, and long
 * polling where WebSockets are blocked. Messages are numbered by the server (seq), so a
 * reconnect never loses one or shows one twice. Plain JavaScript, no build step.
 */
(function () {
  "use strict";
  if (window.BotChat && window.BotChat.version) return; // pasted twice: keep the first

  var script = document.currentScript || document.querySelector("script[src*='webchat/widget.js']");
  var data = (script && script.dataset) || {};
  var server = (data.server || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var lang = (data.language && data.language !== "auto" ? data.language : (navigator.language || "en"))
    .slice(0, 2).toLowerCase();
  var TEXTS = {
    en: {open: "Open chat", close: "Close chat", send: "Send", message: "Message", title: "Chat with us",
      typing: "Typing…", agentTyping: "{name} is typing…", sending: "Sending…", sent: "Sent", delivered: "Delivered", read: "Read",
      handover: "Connecting you with a person…", handback: "You are chatting with the assistant again.",
      joined: "{name} joined the chat", offline: "Reconnecting…", refused: "We could not verify your account.",
      accept: "Chat now", dismiss: "No thanks", you: "You", bot: "Assistant", tooLong: "The message is too long."},
    de: {open: "Chat öffnen", close: "Chat schließen", send: "Senden", message: "Nachricht", title: "Schreiben Sie uns",
      typing: "Schreibt…", agentTyping: "{name} schreibt…", sending: "Wird gesendet…", sent: "Gesendet", delivered: "Zugestellt", read: "Gelesen",
      handover: "Wir verbinden Sie mit einer Person…", handback: "Sie schreiben wieder mit dem Assistenten.",
      joined: "{name} ist dem Chat beigetreten", offline: "Verbindung wird wiederhergestellt…",
      refused: "Ihr Konto konnte nicht bestätigt werden.", accept: "Jetzt chatten", dismiss: "Nein danke",
      you: "Sie", bot: "Assistent", tooLong: "Die Nachricht ist zu lang."}
  };
  var T = TEXTS[lang] || TEXTS.en;
  var colour = data.color || data.colour || "#1f6feb";
  var storeKey = "botchat:" + server;

  var state = {token: null, lastSeq: 0, ws: null, mode: "ws", wsFailures: 0, backoff: 1000, open: false,
    outbox: [], shown: {}, byId: {}, delivered: 0, read: 0, maxChars: 2000, rules: [], agent: null,
    started: false, closed: false, lastBotSeq: 0, generation: 0, customer: customerFromPage()};

  // The shop's signed customer id: a JWT (data-customer-token) or id + HMAC (+ expiry) (docs/operator.md).
  function customerFromPage() {
    if (data.customerToken) return {token: data.customerToken};
    if (!data.customerId) return null;
    var claim = {id: data.customerId, signature: data.customerSignature || ""};
    if (data.customerExpires) claim.expires = parseInt(data.customerExpires, 10);
    return claim;
  }

  // -- DOM (in a shadow root, so the shop's CSS and ours never mix) ------------------------------
  var host = document.createElement("div");
  host.setAttribute("data-botchat", "");
  var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
  var side = data.position === "left" ? "left" : "right";
  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}",
    ".bubble{position:fixed;bottom:20px;" + side + ":20px;width:56px;height:56px;border-radius:50%;border:0;",
    "background:" + colour + ";color:#fff;font-size:26px;cursor:pointer;box-shadow:0 2px 8px #0004;z-index:2147483000}",
    ".panel{position:fixed;bottom:88px;" + side + ":20px;width:360px;height:520px;max-height:calc(100vh - 108px);",
    "background:#fff;color:#111;border-radius:12px;box-shadow:0 4px 24px #0005;display:flex;flex-direction:column;",
    "overflow:hidden;z-index:2147483000}.panel[hidden],.invite[hidden]{display:none}",
    "header{background:" + colour + ";color:#fff;padding:10px 12px;display:flex;align-items:center;gap:8px}",
    "header h2{flex:1;margin:0;font-size:16px;font-weight:600}header button{background:none;border:0;color:#fff;",
    "font-size:20px;cursor:pointer}.status{font-size:12px;opacity:.9}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f6f7f9}",
    ".msg{max-width:85%;padding:8px 10px;border-radius:10px;white-space:pre-line;overflow-wrap:anywhere}",
    ".customer{align-self:flex-end;background:" + colour + ";color:#fff}.bot,.agent{align-self:flex-start;background:#fff;",
    "border:1px solid #dde}.agent{border-color:" + colour + "}.who{font-size:11px;color:#555;margin-bottom:2px}",
    ".system{align-self:center;font-size:12px;color:#555;font-style:italic}.state{font-size:11px;opacity:.8;text-align:right}",
    ".buttons{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}.buttons button,.buttons a{border:1px solid " + colour + ";",
    "background:#fff;color:" + colour + ";border-radius:14px;padding:4px 10px;cursor:pointer;text-decoration:none}",
    ".buttons button:disabled{opacity:.5;cursor:default}.msg img{max-width:100%;border-radius:6px;display:block}",
    ".carousel{display:flex;gap:8px;overflow-x:auto;max-width:100%}.card{min-width:180px;border:1px solid #dde;",
    "border-radius:8px;padding:6px;background:#fff}.card b{display:block}",
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #dde}textarea{flex:1;resize:none;height:38px;",
    "padding:8px;border:1px solid #ccd;border-radius:8px}form button{background:" + colour + ";color:#fff;border:0;",
    "border-radius:8px;padding:0 14px;cursor:pointer}.typing{font-size:12px;color:#555;padding:0 12px 4px;min-height:18px}",
    ".invite{position:fixed;bottom:88px;" + side + ":20px;max-width:300px;background:#fff;color:#111;padding:12px;",
    "border-radius:10px;box-shadow:0 4px 16px #0004;z-index:2147483000}.invite .buttons{justify-content:flex-end}",
    ".error{color:#b00020;font-size:12px;padding:0 12px}",
    // A phone: the window takes the whole screen, and its own close button replaces the bubble.
    "@media (max-width:480px){.panel{left:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}",
    ".bubble[aria-expanded=true]{display:none}}"
  ].join("");
  root.appendChild(style);

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === "text") node.textContent = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  var title = data.title || T.title;
  var bubble = el("button", {class: "bubble", type: "button", "aria-label": T.open, "aria-expanded": "false",
    text: "💬", onclick: function () { toggle(); }});
  var log = el("div", {class: "log", role: "log", "aria-live": "polite", "aria-label": title});
  var typing = el("div", {class: "typing", "aria-live": "polite"});
  var status = el("span", {class: "status", "aria-live": "polite"});
  var errorLine = el("div", {class: "error", role: "alert"});
  var input = el("textarea", {"aria-label": T.message, placeholder: T.message, rows: "1"});
  var form = el("form", {onsubmit: function (event) { event.preventDefault(); submit(); }},
    [input, el("button", {type: "submit", text: T.send})]);
  var panel = el("div", {class: "panel", role: "dialog", "aria-label": title, hidden: ""}, [
    el("header", {}, [el("h2", {text: title}), status,
      el("button", {type: "button", "aria-label": T.close, text: "×", onclick: function () { toggle(false); }})]),
    log, typing, errorLine, form]);
  var invite = el("div", {class: "invite", role: "dialog", "aria-label": title, hidden: ""});
  root.appendChild(panel);
  root.appendChild(invite);
  root.appendChild(bubble);

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(); }
  });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") toggle(false); });

  function toggle(open) {
    state.open = open === undefined ? !state.open : open;
    panel.hidden = !state.open;
    bubble.setAttribute("aria-expanded", String(state.open));
    bubble.setAttribute("aria-label", state.open ? T.close : T.open);
    if (state.open) { invite.hidden = true; start(); input.focus(); markRead(); } else { bubble.focus(); }
  }

  // -- rendering --------------------------------------------------------------------------------
  function textNodes(text) {
    // Markdown links [label](https://...) and bare http(s) URLs become links; everything else stays text.
    var out = [], pattern = /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<]+)/g, last = 0, m;
    while ((m = pattern.exec(text))) {
      if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
      out.push(el("a", {href: m[2] || m[3], target: "_blank", rel: "noopener noreferrer", text: m[1] || m[3]}));
      last = pattern.lastIndex;
    }
    if (last < text.length) out.push(document.createTextNode(text.slice(last)));
    return out;
  }

  function buttonRow(buttons, once) {
    var row = el("div", {class: "buttons"});
    buttons.forEach(function (b) {
      if (b.url) { row.appendChild(el("a", {href: b.url, target: "_blank", rel: "noopener noreferrer", text: b.title})); return; }
      row.appendChild(el("button", {type: "button", text: b.title, onclick: function () {
        if (once) Array.prototype.forEach.call(row.querySelectorAll("button"), function (x) { x.disabled = true; });
        send(b.payload, b.title);
      }}));
    });
    return row;
  }

  function renderPart(part) {
    switch (part.type) {
      case "text": return el("div", {}, textNodes(part.text));
      case "buttons": case "quick_replies":
        return el("div", {}, [part.text ? el("div", {}, textNodes(part.text)) : null,
          buttonRow(part.buttons, part.type === "quick_replies")]);
      case "image": return el("img", {src: part.url, alt: "", loading: "lazy"});
      case "file": return el("a", {href: part.url, target: "_blank", rel: "noopener noreferrer", text: part.name || part.url});
      case "carousel": return el("div", {class: "carousel"}, part.elements.map(function (e) {
        return el("div", {class: "card"}, [e.image_url ? el("img", {src: e.image_url, alt: ""}) : null,
          el("b", {text: e.title}), e.subtitle ? el("span", {text: e.subtitle}) : null,
          e.buttons && e.buttons.length ? buttonRow(e.buttons, false) : null]);
      }));
      case "custom":
        // Custom payloads are for the shop's own code: window.addEventListener("botchat:custom", ...)
        window.dispatchEvent(new CustomEvent("botchat:custom", {detail: part.custom}));
        return null;
      default: return null;
    }
  }

  function show(message) {
    var key = message.seq ? "s" + message.seq : message.id;
    if (state.shown[key]) return;
    state.shown[key] = true;
    if (message.from === "customer" && state.byId[message.id]) {
      setState(state.byId[message.id], "delivered"); // our own message, now stored
      acked(message.id);
      return;
    }
    var node;
    if (message.from === "system") {
      node = el("div", {class: "system", text: message.notice === "handover" ? T.handover : T.handback});
      if (message.notice === "handback") state.agent = null;
    } else if (message.from === "customer") {
      node = el("div", {class: "msg customer"}, textNodes(message.text));
    } else {
      var who = null;
      if (message.from === "agent" && message.agent && message.agent.name) {
        if (!state.agent || state.agent.id !== message.agent.id) {
          state.agent = message.agent;
          log.appendChild(el("div", {class: "system", text: T.joined.replace("{name}", message.agent.name)}));
        }
        who = el("div", {class: "who", text: message.agent.name});
        typing.textContent = ""; // their message is here: they stopped typing it
      }
      var parts = message.parts.map(renderPart).filter(Boolean);
      if (!parts.length) return;
      node = el("div", {class: "msg " + message.from}, [who].concat(parts));
      if (message.seq) state.lastBotSeq = Math.max(state.lastBotSeq, message.seq);
      // A reply means whoever answered has read what the customer wrote before it.
      for (var id in state.byId) if (state.byId[id].state === "delivered") setState(state.byId[id], "read");
    }
    if (message.seq) node.setAttribute("data-seq", message.seq);
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
  }

  function setState(entry, value) {
    var order = ["sending", "sent", "delivered", "read"];
    if (order.indexOf(value) <= order.indexOf(entry.state)) return;
    entry.state = value;
    entry.label.textContent = T[value];
  }

  function onMessages(frame) {
    frame.messages.forEach(show);
    if (frame.last_seq > state.lastSeq) state.lastSeq = frame.last_seq;
    receipt("delivered", state.lastBotSeq);
    markRead();
  }

  function markRead() {
    if (state.open && document.visibilityState === "visible") receipt("read", state.lastBotSeq);
  }

  function receipt(status, watermark) {
    if (!watermark || watermark <= state[status]) return;
    state[status] = watermark;
    emit({type: "receipt", status: status, watermark: watermark});
  }

  // -- transport ------------------------------------------------------------------------------------
  function api(path, body) {
    return fetch(server + path, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)}).then(function (response) {
      return response.json().then(function (json) { if (!response.ok) throw {status: response.status, body: json}; return json; });
    });
  }

  function start() {
    if (state.started) return;
    state.started = true;
    var body = {};
    var saved = null;
    try { saved = localStorage.getItem(storeKey); } catch (e) { /* storage blocked: a fresh session each page */ }
    // With a customer id, the anonymous chat's token comes along: the server merges it into theirs.
    if (state.customer) body.customer = state.customer;
    if (saved) body.token = saved;
    api("/webchat/session", body).then(opened, function (error) {
      if (error && error.status === 401 && body.customer) {
        // The shop's signed id is out of date: chat on anonymously and tell the shop, which may
        // call BotChat.identify() with a fresh one (the anonymous chat is merged then).
        state.customer = null;
        state.started = false;
        window.dispatchEvent(new CustomEvent("botchat:identity-expired", {detail: error.body}));
        return start();
      }
      if (error && error.status === 401 && body.token) {
        try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
        state.started = false;
        return start();
      }
      errorLine.textContent = error && error.status === 403 ? T.refused : T.offline;
      form.querySelector("button").disabled = true;
      if (!(error && error.status === 403)) { state.started = false; setTimeout(start, 5000); }
    });
  }

  function opened(session) {
    state.token = session.token;
    state.maxChars = session.max_message_chars || state.maxChars;
    // Only an anonymous chat is kept in storage: a customer's conversation needs their signed id,
    // so after the shop logs them out this browser starts afresh instead of showing their history.
    try {
      if (session.customer) localStorage.removeItem(storeKey);
      else localStorage.setItem(storeKey, session.token);
    } catch (e) { /* ignore */ }
    log.textContent = "";
    state.shown = {}; state.byId = {}; // the history below is the whole conversation, drawn afresh
    if (data.greeting && !session.messages.length) log.appendChild(el("div", {class: "msg bot", text: data.greeting}));
    onMessages({messages: session.messages, last_seq: session.last_seq});
    state.rules = session.invitations || [];
    watchInvitations();
    connect();
  }

  function connect() {
    if (state.closed) return;
    var generation = state.generation;
    if (state.mode === "ws" && window.WebSocket) {
      var ws = new WebSocket(server.replace(/^http/, "ws") + "/webchat/ws?token=" +
        encodeURIComponent(state.token) + "&after=" + state.lastSeq);
      var opened = false;
      // Resending waits for "ready": the catch-up before it shows which messages were stored already.
      ws.onopen = function () { opened = true; state.ws = ws; state.wsFailures = 0; state.backoff = 1000; };
      ws.onmessage = function (event) {
        if (generation === state.generation) receive(JSON.parse(event.data)); else ws.close();
      };
      ws.onclose = function (event) {
        if (generation !== state.generation) return; // a session replaced by identify()
        state.ws = null;
        if (event.code === 4401) { state.started = false; try { localStorage.removeItem(storeKey); } catch (e) { /**/ } start(); return; }
        if (!opened && ++state.wsFailures >= 2) state.mode = "poll"; // WebSockets blocked on this network
        status.textContent = T.offline;
        setTimeout(connect, state.backoff);
        state.backoff = Math.min(state.backoff * 2, 15000);
      };
    } else {
      state.mode = "poll";
      poll(generation);
    }
  }

  function poll(generation) {
    if (generation !== state.generation) return;
    online();
    fetch(server + "/webchat/poll?token=" + encodeURIComponent(state.token) + "&after=" + state.lastSeq + "&wait=25")
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (result) {
        if (generation !== state.generation) return;
        result.frames.forEach(receive); state.backoff = 1000; poll(generation);
      }, function () {
        status.textContent = T.offline; setTimeout(function () { poll(generation); }, state.backoff);
        state.backoff = Math.min(state.backoff * 2, 15000);
      });
  }

  function online() {
    status.textContent = "";
    state.outbox.forEach(emit); // resend what was not acknowledged
  }

  function receive(frame) {
    if (frame.type === "messages") onMessages(frame);
    else if (frame.type === "ready") online();
    else if (frame.type === "typing") {
      typing.textContent = !frame.on ? "" : frame.agent && frame.agent.name ?
        T.agentTyping.replace("{name}", frame.agent.name) : T.typing;
    }
    else if (frame.type === "ack") acked(frame.id);
    else if (frame.type === "error") errorLine.textContent = frame.error;
  }

  function acked(id) {
    state.outbox = state.outbox.filter(function (frame) { return frame.id !== id; });
    if (state.byId[id]) setState(state.byId[id], "sent");
  }

  function emit(frame) {
    if (state.ws && state.ws.readyState === 1) { state.ws.send(JSON.stringify(frame)); return; }
    if (state.mode === "poll" && state.token) {
      api("/webchat/frames", {token: state.token, frame: frame}).then(receive, function () { /* resent on reconnect */ });
    }
  }

  function send(text, title) {
    if (!state.token) return;
    errorLine.textContent = "";
    var id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    var label = el("div", {class: "state", text: T.sending});
    var node = el("div", {class: "msg customer"}, textNodes(title || text).concat([label]));
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    state.byId[id] = {state: "sending", label: label};
    var frame = {type: "message", id: id, text: text, page: location.href};
    if (title) frame.title = title;
    state.outbox.push(frame);
    emit(frame);
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    if (text.length > state.maxChars) { errorLine.textContent = T.tooLong; return; }
    input.value = "";
    send(text);
  }

  // -- proactive invitations (rules from the server; at most one invitation per visit) -----------
  function globMatch(glob, path) {
    var re = new RegExp("^" + glob.split("*").map(function (s) { return s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"); }).join(".*") + "$");
    return re.test(path);
  }

  function invited() { try { return sessionStorage.getItem(storeKey + ":invited"); } catch (e) { return "1"; } }

  function offer(rule) {
    if (state.open || invited()) return;
    try { sessionStorage.setItem(storeKey + ":invited", rule.name); } catch (e) { return; }
    var text = typeof rule.message === "string" ? rule.message : (rule.message[lang] || rule.message.en ||
      rule.message[Object.keys(rule.message)[0]]);
    invite.textContent = "";
    invite.appendChild(el("p", {text: text}));
    invite.appendChild(el("div", {class: "buttons"}, [
      el("button", {type: "button", text: T.accept, onclick: function () {
        emit({type: "invitation", rule: rule.name, action: "accepted", page: location.href}); toggle(true); }}),
      el("button", {type: "button", text: T.dismiss, onclick: function () {
        invite.hidden = true; emit({type: "invitation", rule: rule.name, action: "dismissed", page: location.href}); }})]));
    invite.hidden = false;
    emit({type: "invitation", rule: rule.name, action: "shown", page: location.href});
  }

  var signalled = {};
  function watchInvitations() {
    state.rules.filter(function (rule) { return globMatch(rule.page || "*", location.pathname); }).forEach(function (rule) {
      if (rule.idle_seconds) {
        var timer = null;
        var reset = function () { clearTimeout(timer); timer = setTimeout(function () { offer(rule); }, rule.idle_seconds * 1000); };
        ["mousemove", "keydown", "scroll", "click", "touchstart"].forEach(function (name) {
          document.addEventListener(name, reset, {passive: true});
        });
        reset();
      }
      if (rule.signal) {
        if (signalled[rule.signal]) offer(rule);
        (signalHandlers[rule.signal] = signalHandlers[rule.signal] || []).push(rule);
      }
    });
  }
  var signalHandlers = {};
  function signal(name) {
    signalled[name] = true;
    (signalHandlers[name] || []).forEach(offer);
  }
  document.addEventListener("mouseout", function (event) {
    if (!event.relatedTarget && event.clientY <= 0) signal("exit_intent");
  });
  document.addEventListener("visibilitychange", markRead);

  // The shop logged the customer in (or refreshed an expired id) without a new page: a new session,
  // into which the server merges the anonymous chat.
  function identify(customer) {
    state.customer = customer || null;
    state.generation += 1;
    if (state.ws) { var old = state.ws; state.ws = null; old.close(); }
    state.lastSeq = 0; state.shown = {}; state.delivered = 0; state.read = 0; state.lastBotSeq = 0;
    state.agent = null; state.started = false;
    start();
  }

  window.BotChat = {version: "1", open: function () { toggle(true); }, close: function () { toggle(false); },
    signal: signal, send: function (text) { start(); send(text); }, render: renderPart, identify: identify};

  function mount() {
    document.body.appendChild(host);
    if (data.open === "true") toggle(true);
    else start(); // resume early: history, invitations and live messages before the customer clicks
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
