// The jxc browser chat: draws messages, posts text, button presses and photos to scan, retries a lost POST with
// the same id.
"use strict";

(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const photo = document.getElementById("photo");
  const MAX_PHOTO = 10 * 1024 * 1024;
  const status = document.getElementById("status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const words = JSON.parse(document.getElementById("jxc-words").textContent);
  const shown = new Set();
  let lang = document.getElementById("who").dataset.lang;
  let busy = false;

  function t(key) {
    return (words[lang] || words.zh_CN)[key] || key;
  }

  function messageId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function bubble(side, text, extraClass) {
    const msg = document.createElement("div");
    msg.className = `msg ${side}${extraClass ? " " + extraClass : ""}`;
    const inner = document.createElement("div");
    inner.className = "bubble";
    inner.textContent = text;
    msg.appendChild(inner);
    log.appendChild(msg);
    scrollDown();
    return msg;
  }

  // A reply's table: a real table in a box that scrolls sideways when it is wider than the screen.
  function drawTable(table) {
    const box = document.createElement("div");
    box.className = "table-box";
    const grid = document.createElement("table");
    const row = (cells, cellTag, rowClass) => {
      const tr = document.createElement("tr");
      if (rowClass) tr.className = rowClass;
      cells.forEach((text, i) => {
        const cell = document.createElement(cellTag);
        cell.textContent = text;
        if (table.numeric[i]) cell.className = "num";
        tr.appendChild(cell);
      });
      return tr;
    };
    const head = document.createElement("thead");
    head.appendChild(row(table.header, "th"));
    grid.appendChild(head);
    const body = document.createElement("tbody");
    table.rows.forEach((cells) => body.appendChild(row(cells, "td")));
    grid.appendChild(body);
    if (table.totals && table.totals.length) {
      const foot = document.createElement("tfoot");
      foot.appendChild(row(table.totals, "td", "totals"));
      grid.appendChild(foot);
    }
    box.appendChild(grid);
    return box;
  }

  // inboxId: the message this replies to; a push (Server-Sent Events) has none
  function drawReply(reply, inboxId) {
    const msg = bubble("theirs", reply.text);
    if (inboxId !== undefined) msg.dataset.inbox = String(inboxId);
    if (reply.table) {
      msg.classList.add("has-table");
      msg.querySelector(".bubble").appendChild(drawTable(reply.table));
    }
    if (reply.topic) {
      // one message per topic: a newer push takes the place of the one shown before
      const earlier = log.querySelector(`.msg[data-topic="${CSS.escape(reply.topic)}"]`);
      msg.dataset.topic = reply.topic;
      if (earlier && earlier !== msg) {
        earlier.replaceWith(msg);
      }
    }
    if (reply.image) {
      const box = document.createElement("div");
      box.className = "attachment";
      const link = document.createElement("a");
      link.href = reply.image.url;
      link.target = "_blank";
      link.rel = "noopener";
      const img = document.createElement("img");
      img.src = reply.image.url;
      img.alt = reply.image.name;
      img.addEventListener("load", scrollDown);
      link.appendChild(img);
      box.appendChild(link);
      msg.appendChild(box);
    }
    if (reply.file) {
      const box = document.createElement("div");
      box.className = "attachment";
      const link = document.createElement("a");
      link.href = reply.file.url;
      link.download = reply.file.name;
      link.textContent = `⬇ ${t("download")} ${reply.file.name}`;
      box.appendChild(link);
      msg.appendChild(box);
    }
    if (reply.buttons && reply.buttons.length) {
      const keys = document.createElement("div");
      keys.className = "keys";
      for (const row of reply.buttons) {
        const line = document.createElement("div");
        line.className = "row";
        for (const b of row) {
          if (b.link) {
            const page = document.createElement("a");
            page.className = "page-link";
            page.href = b.link;
            page.textContent = b.label;
            line.appendChild(page);
            continue;
          }
          const key = document.createElement("button");
          key.type = "button";
          key.textContent = b.label;
          key.dataset.data = b.data;
          key.addEventListener("click", () => post({ button: b.data }, b.label));
          line.appendChild(key);
        }
        keys.appendChild(line);
      }
      msg.appendChild(keys);
    }
    scrollDown();
  }

  function drawExchange(inboxId, replies) {
    if (shown.has(inboxId)) return;
    shown.add(inboxId);
    replies.forEach((reply) => drawReply(reply, inboxId));
  }

  function setLanguage(next) {
    if (!next || next === lang) return;
    lang = next;
    document.documentElement.lang = lang === "zh_CN" ? "zh-CN" : "en";
    document.title = t("title");
    document.querySelectorAll("[data-word]").forEach((el) => { el.textContent = t(el.dataset.word); });
    document.querySelectorAll("[data-word-title]").forEach((el) => { el.title = t(el.dataset.wordTitle); });
    const welcome = log.querySelector(".welcome");
    if (welcome) welcome.firstElementChild.textContent = t("welcome").replace("{name}", welcome.dataset.welcome);
    input.placeholder = t("placeholder");
    input.setAttribute("aria-label", t("placeholder"));
  }

  function say(key) {
    if (!key) {
      status.hidden = true;
      status.textContent = "";
      return;
    }
    status.hidden = false;
    status.textContent = t(key);
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    photo.disabled = value;
    log.querySelectorAll(".keys button").forEach((b) => { b.disabled = value; });
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function jsonRequest(payload) {
    const body = JSON.stringify(Object.assign({ id: messageId() }, payload));
    return { url: "/chat/send", type: "application/json", id: null, body };
  }

  function photoRequest(file) {
    return { url: "/chat/photo", type: file.type || "application/octet-stream", id: messageId(), body: file };
  }

  // One message: the same id on every attempt, so the server records it once however often it is retried.
  async function post(payload, shownText) {
    return deliver(jsonRequest(payload), shownText);
  }

  async function deliver(request, shownText) {
    if (busy) return;
    const headers = { "Content-Type": request.type, "X-CSRF-Token": csrf };
    if (request.id) headers["X-Message-Id"] = request.id;
    const body = request.body;
    const mine = bubble("mine", shownText, "pending");
    setBusy(true);
    say("waiting");
    let trouble = "network";
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        let response;
        try {
          response = await fetch(request.url, { method: "POST", credentials: "same-origin", headers, body });
        } catch (networkError) {
          say("retrying");
          await sleep(800 * (attempt + 1));
          continue;
        }
        if (response.status >= 500) {
          trouble = "server";
          say("retrying");
          await sleep(800 * (attempt + 1));
          continue;
        }
        const answer = await response.json().catch(() => ({ error: "server" }));
        mine.classList.remove("pending");
        if (!response.ok) {
          mine.classList.add("failed");
          bubble("theirs", answer.message || t(answer.error || "server"), "error");
          say(null);
          return;
        }
        setLanguage(answer.lang);
        drawExchange(answer.inbox_id, answer.replies);
        say(null);
        return;
      }
      mine.classList.remove("pending");
      mine.classList.add("failed");
      bubble("theirs", t(trouble), "error");
      say(null);
    } finally {
      setBusy(false);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    if (busy) return;
    input.value = "";
    post({ text }, text);
    input.focus();
  });

  // A photo taken or chosen: the server reads the codes in it; whatever the person is doing takes them.
  photo.addEventListener("change", () => {
    const file = photo.files && photo.files[0];
    photo.value = "";
    if (!file || busy) return;
    if (file.size > MAX_PHOTO) {
      bubble("theirs", t("photo_too_large"), "error");
      return;
    }
    deliver(photoRequest(file), t("photo_sent"));
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Pushes as they happen (Server-Sent Events on the session cookie); the browser reconnects by itself.
  function listen() {
    if (!window.EventSource) return;
    const events = new EventSource("/chat/events");
    events.addEventListener("push", (event) => {
      drawReply(JSON.parse(event.data));
      log.classList.add("live");
    });
    events.addEventListener("open", () => { document.body.dataset.push = "open"; });
  }

  for (const item of JSON.parse(document.getElementById("jxc-history").textContent)) {
    if (item.mine) bubble("mine", item.mine);
    drawExchange(item.inbox_id, item.replies);
  }
  scrollDown();
  listen();
})();
