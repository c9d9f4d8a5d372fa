"use strict";
// Live chat over /ws (docs/realtime.md). The page works without it: history is rendered
// by the server and the form posts normally. With it: live messages, connection state,
// resume from the last seq without duplicates, sends that wait for the connection.
(function () {
  var root = document.getElementById("chat");
  if (!root || !window.WebSocket || root.getAttribute("data-live") !== "yes") return;
  var roomId = root.getAttribute("data-room");
  var me = root.getAttribute("data-me");
  var lastSeq = parseInt(root.getAttribute("data-last-seq"), 10) || 0;
  var list = document.getElementById("messages");
  var form = document.getElementById("send-form");
  var state = document.getElementById("conn");
  var tools = document.getElementById("own-tools");
  var t = function (name) { return root.getAttribute("data-t-" + name) || ""; };
  var clock = new Intl.DateTimeFormat(root.getAttribute("data-lang"), {
    timeZone: root.getAttribute("data-tz") || "UTC", dateStyle: "short", timeStyle: "short" });
  var pending = {};   // client_id -> {body, element}: kept until acknowledged, resent on reconnect
  var ws = null, live = false, backoff = 500, stopped = false, counter = 0;
  var tab = Math.random().toString(36).slice(2, 10);

  function show(kind) {
    state.hidden = false;
    state.className = "conn " + kind;
    state.textContent = t(kind);
  }

  function element(m) {
    var li = document.createElement("li");
    li.id = "m-" + m.seq;
    li.setAttribute("data-seq", m.seq);
    li.className = "message" + (m.kind === "system" ? " system" : "") +
      (m.author && m.author.id === me ? " mine" : "");
    fill(li, m);
    return li;
  }

  function fill(li, m) {
    li.textContent = "";
    if (m.deleted && !m.collapsed) {
      var gone = document.createElement("p");
      gone.className = "body muted";
      gone.textContent = t(m.deleted_by_moderator ? "moderated" : "deleted");
      li.append(gone);
      return;
    }
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("strong");
    who.textContent = m.author ? m.author.pseudonym : t("notice");
    var when = document.createElement("time");
    when.dateTime = m.created_at;
    when.textContent = clock.format(new Date(m.created_at));
    meta.append(who, " ", when);
    if (m.edited_at) {
      var edited = document.createElement("span");
      edited.className = "edited";
      edited.textContent = t("edited");
      meta.append(" ", edited);
    }
    if (m.author && m.author.id !== me && m.seq) {
      var report = document.createElement("a");
      report.className = "report";
      report.href = "/report?room=" + roomId + "&seq=" + m.seq;
      report.textContent = t("report");
      meta.append(" ", report);
    }
    var body = document.createElement("p");
    body.className = "body";
    body.textContent = m.body;
    if (m.collapsed || m.content_warning) {
      // Folded until she opens it; nothing opens by itself.
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      if (m.collapsed) {
        summary.textContent = t("blocked") || "…";
      } else {
        details.className = "warned";
        summary.textContent = t("warning").replace("%s", m.content_warning);
      }
      details.append(summary, body);
      li.append(meta, details);
    } else {
      li.append(meta, body);
    }
    if (tools && m.seq && m.kind !== "system" && m.author && m.author.id === me) li.append(ownTools(m));
  }

  // Edit or delete her own message: the server's own form, copied from the page's template.
  function ownTools(m) {
    var part = tools.content.cloneNode(true);
    part.querySelectorAll("form").forEach(function (f) {
      f.setAttribute("action", f.getAttribute("action").replace("SEQ", m.seq));
    });
    var label = part.querySelector("label"), area = part.querySelector("textarea");
    label.htmlFor = area.id = "edit-" + m.seq;
    area.textContent = m.body;
    return part;
  }

  function ownError(li, text) {
    var old = li.querySelector(".own-error");
    if (old) old.remove();
    if (!text) return;
    var p = document.createElement("p");
    p.className = "field-error own-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    li.insertBefore(p, li.querySelector("details.own"));
  }

  // Sent as the plain form would be; the change itself comes back as a message_updated frame.
  list.addEventListener("submit", function (event) {
    var f = event.target;
    if (!f.classList.contains("own-edit") && !f.classList.contains("own-delete")) return;
    event.preventDefault();
    var li = f.closest("li.message");
    var button = f.querySelector("button");
    button.disabled = true;
    fetch(f.action, { method: "POST", body: new URLSearchParams(new FormData(f)),
                      redirect: "manual", credentials: "same-origin" })
      .then(function (r) {
        button.disabled = false;
        if (r.type === "opaqueredirect" || r.ok) {
          if (!live) { window.location.reload(); return; }
          ownError(li, "");
          var open = li.querySelector("details.own");
          if (open) open.open = false;
          return;
        }
        return r.text().then(function (html) {
          // The refusal as the page words it, in her language.
          var page = new DOMParser().parseFromString(html, "text/html");
          var said = page.querySelector("#" + li.id + " .own-error") || page.querySelector(".alert.error p");
          ownError(li, said ? said.textContent : t("unsent"));
        });
      }, function () { button.disabled = false; ownError(li, t("unsent")); });
  });

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  }

  function receive(m) {
    if (m.room_id !== roomId || m.seq <= lastSeq) return;   // never twice
    var follow = atBottom();
    var empty = document.getElementById("empty");
    if (empty) empty.remove();
    list.appendChild(element(m));
    lastSeq = m.seq;
    if (follow) list.lastElementChild.scrollIntoView({ block: "end" });
    if (document.visibilityState === "visible") send({ type: "read", room_id: roomId, seq: lastSeq });
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  function frameFor(id) {
    var frame = { type: "send", room_id: roomId, client_id: id, body: pending[id].body };
    if (pending[id].warning) frame.content_warning = pending[id].warning;
    return frame;
  }

  function flush() {
    Object.keys(pending).forEach(function (id) {
      send(frameFor(id));
    });
  }

  function connect() {
    if (stopped) return;
    show("connecting");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws");
    ws.onmessage = function (event) {
      var f;
      try { f = JSON.parse(event.data); } catch (e) { return; }
      if (f.type === "hello") {
        var rooms = {}; rooms[roomId] = lastSeq;
        send({ type: "subscribe", rooms: rooms });
      } else if (f.type === "subscribed" && f.room_id === roomId) {
        live = true; backoff = 500; show("live"); flush();
      } else if (f.type === "message") {
        receive(f);
      } else if (f.type === "message_updated") {
        var li = document.getElementById("m-" + f.seq);
        if (li && f.room_id === roomId) fill(li, f);
      } else if (f.type === "ack" && pending[f.client_id]) {
        pending[f.client_id].element.remove();
        delete pending[f.client_id];
      } else if (f.type === "too_far_behind" && f.room_id === roomId) {
        stopped = true; window.location.reload();
      } else if (f.type === "removed" && f.room_id === roomId) {
        stopped = true; show("removed"); if (form) form.hidden = true;
      } else if (f.type === "error" && f.room_id === roomId && !f.client_id &&
                 (f.code === "not_found" || f.code === "not_member")) {
        stopped = true; show("removed"); if (form) form.hidden = true; ws.close();
      } else if (f.type === "error" && f.client_id && pending[f.client_id]) {
        var p = pending[f.client_id];
        if (f.code !== "rate_limited") {
          p.element.querySelector(".meta").textContent = f.message;
          delete pending[f.client_id];
        }
      }
    };
    ws.onclose = function (event) {
      live = false;
      if (stopped) return;   // removed, or a reload under way: the state shown stays
      if (event.code === 4001) { stopped = true; show("ended"); return; }
      if (event.code === 1008 || event.code === 4013) { stopped = true; show("offline"); return; }
      show("offline");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      var area = form.querySelector("textarea");
      var cw = form.querySelector("[name=content_warning]");
      var body = area.value;
      var warning = cw ? cw.value.trim() : "";
      if (!body.trim()) return;
      event.preventDefault();
      counter += 1;
      var id = "web-" + tab + "-" + counter;
      var li = element({ seq: 0, room_id: roomId, kind: "text", author: { id: me, pseudonym: "" },
        body: body, content_warning: warning || null, created_at: new Date().toISOString() });
      li.id = "";
      li.classList.add("pending");
      li.querySelector(".meta").textContent = t("sending");
      list.appendChild(li);
      pending[id] = { body: body, warning: warning, element: li };
      area.value = "";
      if (cw) cw.value = "";
      if (live) send(frameFor(id));
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && lastSeq) send({ type: "read", room_id: roomId, seq: lastSeq });
  });
  window.addEventListener("online", function () { if (!live && !stopped) { backoff = 500; } });
  connect();
})();
