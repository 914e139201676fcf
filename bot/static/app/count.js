// Stocktake by scanning: the camera read continuously (zxing-wasm, vendored), a haptic or vibration per read,
// a running count, unknown codes listed, then the counts recorded and the sheet submitted (core stocktake).
"use strict";

(() => {
  const { t, say, api, feedback, el, start, query } = JXC;
  const $ = (id) => document.getElementById(id);
  const WASM = "/app/static/vendor/zxing-wasm/zxing_reader.wasm";
  const FORMATS = ["EAN13", "EAN8", "UPCA", "Code128", "QRCode", "DataMatrix"];
  const AGAIN_MS = 450;  // the same code counts again once it has been out of sight this long
  const state = { sheet: null, counts: new Map(), unknown: new Map(), codes: new Map(), seen: new Map(), reads: 0,
                  stream: null, scanning: false, confirming: false };

  async function main() {
    const found = await api("GET", "warehouses", { for: "count" });
    for (const w of found.warehouses) $("warehouse").append(el("option", { value: w.code, text: `${w.code} ${w.name}` }));
    if (query.warehouse && found.warehouses.some((w) => w.code === query.warehouse)) $("warehouse").value = query.warehouse;
    $("start").addEventListener("click", begin);
    $("pause").addEventListener("click", () => (state.scanning ? stop() : camera()));
    $("submit").addEventListener("click", submit);
    ZXingWASM.prepareZXingModule({ overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path) } });
  }

  async function begin() {
    const sheet = await api("POST", "count/open", { warehouse: $("warehouse").value });
    state.sheet = sheet;
    $("start-box").hidden = true;
    $("scan").hidden = false;
    $("dock").hidden = false;
    $("sheet").textContent = t("sheet", { number: sheet.number, w: sheet.warehouse });
    await camera();
  }

  async function camera() {
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
    } catch (error) {
      say(t("camera", { e: error.name || error.message }), "error");
      return;
    }
    const video = $("video");
    video.srcObject = state.stream;
    await video.play();
    state.scanning = true;
    $("pause").textContent = $("pause").dataset.pause || $("pause").textContent;
    loop();
  }

  function stop() {
    state.scanning = false;
    if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
    state.stream = null;
  }

  async function loop() {
    const video = $("video");
    const canvas = $("frame");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    while (state.scanning) {
      if (video.videoWidth) {
        const scale = Math.min(1, 800 / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = await ZXingWASM.readBarcodes(image, { formats: FORMATS, tryHarder: true, maxNumberOfSymbols: 4 });
        const now = performance.now();
        for (const code of found) if (code.isValid && code.text) seen(code.text, now);
      }
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  }

  function seen(code, now) {
    const last = state.seen.get(code);
    state.seen.set(code, now);
    if (last !== undefined && now - last < AGAIN_MS) return;  // still the same read
    read(code);
  }

  async function read(code) {
    state.reads += 1;
    $("reads").textContent = String(state.reads);
    if (!state.codes.has(code)) state.codes.set(code, api("GET", "count/item", { code }));
    const item = await state.codes.get(code);
    if (item.known) {
      const row = state.counts.get(item.sku) || { sku: item.sku, name: item.name, qty: 0 };
      row.qty += 1;
      state.counts.set(item.sku, row);
    } else {
      state.unknown.set(code, (state.unknown.get(code) || 0) + 1);
    }
    feedback(item.known);
    unconfirm();
    draw();
  }

  function draw() {
    const box = $("counted");
    box.replaceChildren();
    for (const row of state.counts.values()) {
      box.append(el("li", { class: "line", "data-sku": row.sku },
        el("div", { class: "top" }, el("span", { class: "name", text: row.name }), el("small", { text: row.sku })),
        el("div", { class: "controls" },
          el("button", { type: "button", class: "step minus", text: "−", onclick: () => change(row, -1) }),
          el("span", { class: "qty", text: String(row.qty) }),
          el("button", { type: "button", class: "step plus", text: "+", onclick: () => change(row, 1) }))));
    }
    const unknown = $("unknown");
    unknown.replaceChildren();
    for (const [code, n] of state.unknown) unknown.append(el("li", { class: "line", "data-code": code, text: `${code} × ${n}` }));
    $("unknown-title").hidden = !state.unknown.size;
  }

  function change(row, by) {
    row.qty = Math.max(0, row.qty + by);
    unconfirm();
    draw();
  }

  function unconfirm() {
    state.confirming = false;
    $("confirm-text").textContent = "";
  }

  async function submit() {
    const counts = [...state.counts.values()].map((row) => ({ sku: row.sku, qty: String(row.qty) }));
    if (!counts.length) { say(t("nothing"), "error"); return; }
    $("submit").disabled = true;
    try {
      if (!state.confirming) {  // first tap: record the counts and say what stays unchanged
        const recorded = await api("POST", "count/record", { number: state.sheet.number, counts });
        state.confirming = true;
        $("confirm-text").textContent = t("confirm", recorded);
        return;
      }
      stop();
      const done = await api("POST", "count/submit", { number: state.sheet.number });
      feedback(true);
      say(t("done_" + done.status, done), "ok");
      $("scan").hidden = true;
      $("dock").hidden = true;
    } catch (error) {
      feedback(false);
      if (!error.refused) throw error;
    } finally {
      $("submit").disabled = false;
    }
  }

  start(main);
})();
