// Stocktake by scanning: the camera read continuously (JXC.scanner), a haptic or vibration per read,
// a running count, unknown codes listed, then the counts recorded and the sheet submitted (core stocktake).
"use strict";

(() => {
  const { t, say, api, feedback, el, start, query } = JXC;
  const $ = (id) => document.getElementById(id);
  const state = { sheet: null, counts: new Map(), unknown: new Map(), codes: new Map(), reads: 0, camera: null,
                  confirming: false };

  async function main() {
    const found = await api("GET", "warehouses", { for: "count" });
    for (const w of found.warehouses) $("warehouse").append(el("option", { value: w.code, text: `${w.code} ${w.name}` }));
    if (query.warehouse && found.warehouses.some((w) => w.code === query.warehouse)) $("warehouse").value = query.warehouse;
    $("start").addEventListener("click", begin);
    $("pause").addEventListener("click", () => (state.camera.scanning ? state.camera.close() : camera()));
    $("submit").addEventListener("click", submit);
    state.camera = JXC.scanner($("video"), $("frame"), read);
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
    const failed = await state.camera.open();
    if (failed) { say(t("camera", { e: failed }), "error"); return; }
    $("pause").textContent = $("pause").dataset.pause || $("pause").textContent;
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
      state.camera.close();
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
