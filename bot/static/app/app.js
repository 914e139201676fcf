// jxc pages: who the page is (Telegram initData, a link's session, or the browser chat's cookie), the API calls,
// Telegram's theme, feedback on a read, the camera scanner, and small helpers the three pages share.
"use strict";

const JXC = (() => {
  const words = JSON.parse(document.getElementById("jxc-words").textContent);
  const query = JSON.parse(document.getElementById("jxc-query").textContent);
  const csrf = document.querySelector('meta[name="jxc-csrf"]').content;
  const lang = document.querySelector('meta[name="jxc-lang"]').content;
  const tg = window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData ? window.Telegram.WebApp : null;
  const notice = document.getElementById("notice");
  let token = query.k || sessionStorage.getItem("jxc-page-token") || "";

  function t(key, values) {
    return (words[key] || key).replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : ""));
  }

  function say(text, kind) {
    notice.textContent = text;
    notice.className = "notice " + (kind || "");
    notice.hidden = !text;
    if (text) notice.scrollIntoView({ block: "nearest" });
  }

  function theme() {
    if (!tg) return;
    const params = tg.themeParams || {};
    for (const [key, value] of Object.entries(params)) {
      document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
    if (tg.ready) tg.ready();
    if (tg.expand) tg.expand();
  }

  async function signIn() {
    if (!tg || token) return true;
    const answer = await fetch("/app/session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ init_data: tg.initData }),
    });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) { say(body.message || t("signed_out"), "error"); return false; }
    token = body.token;
    sessionStorage.setItem("jxc-page-token", token);
    sessionStorage.setItem("jxc-page-name", body.name);
    if (body.lang !== lang) {  // the page in the employee's language
      const url = new URL(location.href);
      url.searchParams.set("lang", body.lang);
      location.replace(url.toString());
      return false;
    }
    return true;
  }

  async function api(method, path, data, picture) {  // picture: a File posted as the body (data in the query)
    const headers = { "Content-Type": picture ? (picture.type || "image/jpeg") : "application/json" };
    if (token) headers.Authorization = "Bearer " + token; else headers["X-CSRF-Token"] = csrf;
    let url = "/app/api/" + path;
    if ((method === "GET" || picture) && data) url += "?" + new URLSearchParams(data).toString();
    const body = picture || (method === "POST" ? JSON.stringify(data || {}) : undefined);
    let answer;
    try {
      answer = await fetch(url, { method, headers, body, credentials: "same-origin" });
    } catch (error) {
      say(t("network"), "error");
      throw error;
    }
    const answered = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      say(answered.message || t("network"), "error");
      const error = new Error(answered.error || "failed");
      error.refused = true;
      throw error;
    }
    return answered;
  }

  function feedback(ok) {
    if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(ok ? "success" : "error");
    else if (navigator.vibrate) navigator.vibrate(ok ? 40 : [60, 40, 60]);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function printLink(number, label) {  // a document's PDF (its reader's copy), in Telegram through openLink
    const url = "/app/pdf/" + encodeURIComponent(number) + (token ? "?k=" + encodeURIComponent(token) : "");
    const link = el("a", { class: "print", href: url, target: "_blank", rel: "noopener", "data-number": number,
                           text: label || t("print") });
    link.addEventListener("click", (event) => {
      if (tg && tg.openLink) { event.preventDefault(); tg.openLink(new URL(url, location.href).toString()); }
    });
    return link;
  }

  function debounce(fn, ms) {
    let timer = null;
    const later = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
    later.cancel = () => clearTimeout(timer);
    return later;
  }

  function scanner(video, canvas, onCode) {  // the camera read continuously (zxing-wasm, vendored); onCode(text) per read
    const WASM = "/app/static/vendor/zxing-wasm/zxing_reader.wasm";
    const FORMATS = ["EAN13", "EAN8", "UPCA", "Code128", "QRCode", "DataMatrix"];
    const AGAIN_MS = 450;  // the same code reads again once it has been out of sight this long
    const seen = new Map();
    const self = { scanning: false, stream: null };
    ZXingWASM.prepareZXingModule({ overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) } });

    async function loop() {
      const context = canvas.getContext("2d", { willReadFrequently: true });
      while (self.scanning) {
        if (video.videoWidth) {
          const scale = Math.min(1, 800 / video.videoWidth);
          canvas.width = Math.round(video.videoWidth * scale);
          canvas.height = Math.round(video.videoHeight * scale);
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          const image = context.getImageData(0, 0, canvas.width, canvas.height);
          const found = await ZXingWASM.readBarcodes(image, { formats: FORMATS, tryHarder: true, maxNumberOfSymbols: 4 });
          const now = performance.now();
          for (const code of found) {
            if (!code.isValid || !code.text) continue;
            const last = seen.get(code.text);
            seen.set(code.text, now);
            if (last === undefined || now - last >= AGAIN_MS) onCode(code.text);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
    }

    self.open = async () => {  // null once filming, else the reason the camera could not be opened
      try {
        self.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
      } catch (error) {
        return error.name || error.message;
      }
      video.srcObject = self.stream;
      await video.play();
      self.scanning = true;
      loop();
      return null;
    };
    self.close = () => {
      self.scanning = false;
      if (self.stream) self.stream.getTracks().forEach((track) => track.stop());
      self.stream = null;
    };
    return self;
  }

  function unsay() {  // a refusal is taken back once the person has put it right; other notices stay
    if (notice.classList.contains("error")) say("");
  }

  async function start(main) {
    theme();
    if (!tg && !token && !csrf) { say(t("signed_out"), "error"); return; }
    if (!(await signIn())) return;
    const who = document.getElementById("who");
    if (!who.textContent) who.textContent = sessionStorage.getItem("jxc-page-name") || "";
    await main();
  }

  if (document.body.dataset.page === "home") start(async () => {});

  return { t, say, unsay, api, feedback, el, debounce, scanner, start, query, lang, tg, printLink };
})();
