// Receiving a purchase order: the lines still expected, one tap for "all as expected", per line received and
// rejected with a reason; a product tracked by lot takes one or more lots with their expiry (or production)
// date, one tracked by serial its serials one by one; a GS1 label scanned with the camera (or typed) fills
// product, lot, expiry and serial. One goods receipt (core receive_purchase, as in chat), then its Print button.
"use strict";

(() => {
  const { t, say, api, feedback, el, start, query, printLink } = JXC;
  const $ = (id) => document.getElementById(id);
  const GS1 = /^\(01\)|^01\d{14}/;
  const state = { order: null, lines: [], picture: null, camera: null };

  async function main() {
    $("all-expected").addEventListener("click", allExpected);
    $("submit").addEventListener("click", submit);
    $("note-photo").addEventListener("change", readNote);
    $("scan-label").addEventListener("click", toggleCamera);
    if (query.po) await open(query.po); else await list();
  }

  async function list() {
    const found = (await api("GET", "receive/orders")).orders;
    const box = $("orders");
    box.replaceChildren();
    box.hidden = false;
    $("order").hidden = true;
    $("dock").hidden = true;
    if (!found.length) { say(t("none_open")); return; }
    for (const o of found) {
      box.append(el("li", {}, el("button", { type: "button", "data-number": o.number, onclick: () => open(o.number) },
        el("span", { text: `${o.number} ${o.supplier}` }),
        el("small", { text: [o.warehouse, t(o.lines === 1 ? "line" : "lines", { n: o.lines }), t("status_" + o.status), o.date].join(" · ") }))));
    }
  }

  async function open(number) {
    const order = await api("GET", "receive/order", { number });
    state.order = order;
    state.lines = order.lines.map((ln) => ({ ...ln, got: "", bad: "", note: "", lots: ln.tracking === "lot" ? [blankLot()] : [], serials: [] }));
    state.picture = null;
    $("orders").hidden = true;
    $("order").hidden = false;
    $("dock").hidden = false;
    $("scan-label").hidden = !order.lines.length;
    $("po-number").textContent = order.number;
    $("po-supplier").textContent = `${order.supplier} · ${order.warehouse}`;
    draw();
  }

  function blankLot() {
    return { lot: "", kind: "expiry", date: "", qty: "" };
  }

  function draw() {
    const box = $("po-lines");
    box.replaceChildren();
    for (const ln of state.lines) box.append(card(ln));
  }

  function received(ln) {  // what the line takes in: typed, the sum of its lots, or its serials
    if (ln.tracking === "lot") return ln.lots.reduce((sum, row) => sum + (Number(row.qty) || 0), 0);
    if (ln.tracking === "serial") return ln.serials.length;
    return Number(ln.got) || 0;
  }

  function card(ln) {
    const bad = el("input", { type: "text", inputmode: "decimal", value: ln.bad, placeholder: "0", class: "bad", "aria-label": t("rejected") });
    const note = el("input", { type: "text", value: ln.note, placeholder: t("reason"), class: "note", maxlength: "200", "aria-label": t("reason") });
    note.hidden = !(Number(ln.bad) > 0);
    bad.addEventListener("input", () => { ln.bad = bad.value.trim(); note.hidden = !(Number(ln.bad) > 0); });
    note.addEventListener("input", () => { ln.note = note.value; });
    const item = el("li", { class: "line receive", "data-sku": ln.sku, "data-tracking": ln.tracking },
      el("div", { class: "top" }, el("span", { class: "name", text: ln.name }), el("span", { class: "amount", text: t("expected", { n: ln.outstanding }) })),
      el("small", { text: ln.tracking === "none" ? ln.sku : `${ln.sku} · ${t("tracked_" + ln.tracking)}` }));
    if (ln.tracking === "lot") {
      item.append(el("ul", { class: "lots" }, ...ln.lots.map((row) => lotRow(ln, row))),
        el("button", { type: "button", class: "link add-lot", text: t("add_lot"), onclick: () => { ln.lots.push(blankLot()); draw(); } }),
        el("div", { class: "pair" }, el("span", { class: "total", text: t("lots_total", { n: received(ln) }) }), el("label", {}, t("rejected"), bad)));
    } else if (ln.tracking === "serial") {
      item.append(serialBox(ln), el("div", { class: "pair" }, el("span", { class: "total", text: t("serials_total", { n: ln.serials.length, of: ln.outstanding }) }),
        el("label", {}, t("rejected"), bad)));
    } else {
      const got = el("input", { type: "text", inputmode: "decimal", value: ln.got, placeholder: ln.outstanding, class: "got", "aria-label": t("received") });
      got.addEventListener("input", () => { ln.got = got.value.trim(); });
      item.append(el("div", { class: "pair" }, el("label", {}, t("received"), got), el("label", {}, t("rejected"), bad)));
    }
    item.append(note);
    return item;
  }

  function lotRow(ln, row) {
    const code = el("input", { type: "text", value: row.lot, placeholder: t("lot"), class: "lot", maxlength: "120", autocomplete: "off", "aria-label": t("lot") });
    code.addEventListener("input", () => { row.lot = code.value.trim(); });
    code.addEventListener("change", () => { if (GS1.test(row.lot)) typedLabel(ln, row, row.lot); });
    const qty = el("input", { type: "text", inputmode: "decimal", value: row.qty, placeholder: t("qty"), class: "got", "aria-label": t("received") });
    qty.addEventListener("input", () => { row.qty = qty.value.trim(); total(ln); });
    const kind = el("select", { class: "kind", "aria-label": t("date_kind") },
      el("option", { value: "expiry", text: t("expiry") }), el("option", { value: "produced", text: t("produced") }));
    kind.value = row.kind;
    kind.addEventListener("change", () => { row.kind = kind.value; });
    const day = el("input", { type: "date", value: row.date, class: "date", "aria-label": t("date_kind") });
    day.addEventListener("input", () => { row.date = day.value; });
    const drop = el("button", { type: "button", class: "delete", text: "✕", "aria-label": t("remove"), onclick: () => {
      ln.lots = ln.lots.filter((other) => other !== row);
      if (!ln.lots.length) ln.lots.push(blankLot());
      draw();
    } });
    return el("li", { class: "lotrow", "data-lot": row.lot }, el("div", { class: "lotline" }, code, qty, drop), el("div", { class: "lotline date" }, kind, day));
  }

  function total(ln) {
    const node = $("po-lines").querySelector(`.line[data-sku="${CSS.escape(ln.sku)}"] .total`);
    if (node) node.textContent = t("lots_total", { n: received(ln) });
  }

  function serialBox(ln) {
    const typed = el("input", { type: "text", placeholder: t("serial"), class: "serial", maxlength: "120", autocomplete: "off", "aria-label": t("serial") });
    const add = () => {
      const value = typed.value.trim();
      if (!value) return;
      if (GS1.test(value)) { typedLabel(ln, null, value); return; }
      addSerial(ln, value);
      draw();
      const again = $("po-lines").querySelector(`.line[data-sku="${CSS.escape(ln.sku)}"] input.serial`);
      if (again) again.focus();
    };
    typed.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); add(); } });
    return el("div", { class: "serials" },
      el("div", { class: "lotline" }, typed, el("button", { type: "button", class: "step add-serial", text: "+", "aria-label": t("add_serial"), onclick: add })),
      el("ul", { class: "chips" }, ...ln.serials.map((serial) => el("li", { "data-serial": serial }, el("span", { text: serial }),
        el("button", { type: "button", class: "delete", text: "✕", "aria-label": t("remove"), onclick: () => { ln.serials = ln.serials.filter((s) => s !== serial); draw(); } })))));
  }

  function addSerial(ln, serial) {  // false when refused (given twice, or more serials than expected)
    if (ln.serials.includes(serial)) { say(t("serial_twice", { serial, sku: ln.sku }), "error"); feedback(false); return false; }
    ln.serials.push(serial);
    feedback(true);
    return true;
  }

  async function typedLabel(ln, row, code) {  // a GS1 string typed or read by a scanner gun into a lot or serial field
    let label;
    try { label = await api("GET", "receive/scan", { code }); } catch (error) { feedback(false); if (!error.refused) throw error; return; }
    if (label.sku !== ln.sku) { say(t("other_item", { sku: label.sku, line: ln.sku }), "error"); feedback(false); return; }
    if (row) { fillLot(ln, row, label); draw(); feedback(true); } else { apply(label); }
  }

  function fillLot(ln, row, label) {
    row.lot = label.lot || "";
    if (label.expiry) { row.kind = "expiry"; row.date = label.expiry; } else if (label.produced) { row.kind = "produced"; row.date = label.produced; }
    if (!row.qty) {
      const left = Number(ln.outstanding) - ln.lots.filter((other) => other !== row).reduce((sum, other) => sum + (Number(other.qty) || 0), 0);
      if (left > 0) row.qty = String(left);
    }
  }

  function apply(label) {  // a scanned label onto its line: a lot (new or known), a serial, or one more unit
    const ln = state.lines.find((line) => line.sku === label.sku);
    if (!ln) { say(t("not_on_order", { sku: label.sku, name: label.name }), "error"); feedback(false); return; }
    if (ln.tracking === "serial") {
      if (!label.serial) { say(t("no_serial", { sku: ln.sku }), "error"); feedback(false); return; }
      if (addSerial(ln, label.serial)) say(t("scanned_serial", { sku: ln.sku, serial: label.serial, n: ln.serials.length, of: ln.outstanding }), "ok");
    } else if (ln.tracking === "lot") {
      if (!label.lot) { say(t("no_lot", { sku: ln.sku }), "error"); feedback(false); return; }
      if (!ln.lots.some((row) => row.lot === label.lot)) {
        const row = ln.lots.find((r) => !r.lot && !r.qty) || (ln.lots.push(blankLot()), ln.lots[ln.lots.length - 1]);
        fillLot(ln, row, label);
      }
      const row = ln.lots.find((r) => r.lot === label.lot);
      say(t("scanned_lot", { sku: ln.sku, lot: label.lot, date: row.date }), "ok");
      feedback(true);
    } else {
      ln.got = String((Number(ln.got) || 0) + 1);
      feedback(true);
    }
    draw();
  }

  async function toggleCamera() {
    if (!state.camera) state.camera = JXC.scanner($("video"), $("frame"), scanned);
    if (state.camera.scanning) { state.camera.close(); $("viewer").hidden = true; return; }
    $("viewer").hidden = false;
    const failed = await state.camera.open();
    if (failed) { $("viewer").hidden = true; say(t("camera", { e: failed }), "error"); }
  }

  async function scanned(code) {
    let label;
    try { label = await api("GET", "receive/scan", { code }); } catch (error) { feedback(false); if (!error.refused) throw error; return; }
    apply(label);
  }

  async function readNote() {  // the delivery note's photo: each matched row fills its line, the rest are listed
    const file = $("note-photo").files[0];
    if (!file) return;
    say(t("reading"));
    let draft;
    try {
      draft = await api("POST", "receive/draft", { number: state.order.number }, file);
    } catch (error) {
      feedback(false);
      if (!error.refused) throw error;
      return;
    } finally {
      $("note-photo").value = "";
    }
    const got = {};
    for (const row of draft.lines) if (row.sku) got[row.sku] = (got[row.sku] || 0) + Number(row.received);
    for (const ln of state.lines) if (ln.sku in got && ln.tracking === "none") ln.got = String(got[ln.sku]);
    state.picture = { sha: draft.picture, note: draft.note_number, rows: draft.lines };
    draw();
    const unmatched = draft.lines.filter((row) => !row.sku || row.expected === null);
    const differing = draft.lines.filter((row) => row.sku && row.differs && row.expected !== null);
    const words = [t("read", { note: draft.note_number, n: draft.lines.length - unmatched.length })];
    if (differing.length) words.push(t("differs", { rows: differing.map((r) => `${r.row}. ${r.written}`).join("、") }));
    if (unmatched.length) words.push(t("unmatched", { rows: unmatched.map((r) => `${r.row}. ${r.written}`).join("、") }));
    say(words.join(" "), unmatched.length || differing.length ? "error" : "ok");
    feedback(!unmatched.length);
  }

  function allExpected() {
    for (const ln of state.lines) {
      if (ln.tracking === "none") ln.got = ln.outstanding;
      else if (ln.tracking === "lot" && ln.lots.length === 1 && !ln.lots[0].qty) ln.lots[0].qty = ln.outstanding;
    }
    draw();
    feedback(true);
  }

  function entries(ln) {  // the lines the server takes for one order line: one per lot, or one with its serials
    const common = { sku: ln.sku, rejected: ln.bad || "0", note: ln.note.trim() };
    if (ln.tracking === "serial") return ln.serials.length || ln.bad ? [{ ...common, received: String(ln.serials.length), serials: ln.serials }] : [];
    if (ln.tracking === "lot") {
      const rows = ln.lots.filter((row) => row.lot || row.qty);
      if (!rows.length) return ln.bad ? [{ ...common, received: "0" }] : [];
      return rows.map((row, i) => ({ ...common, rejected: i === 0 ? common.rejected : "0", received: row.qty || "0", lot: row.lot,
                                      [row.kind]: row.date }));
    }
    return ln.got !== "" || ln.bad !== "" ? [{ ...common, received: ln.got || "0" }] : [];
  }

  function missing() {  // the first thing the person still has to give, in words
    for (const ln of state.lines) {
      if (Number(ln.bad) > 0 && !ln.note.trim()) return t("need_reason", { sku: ln.sku });
      if (ln.tracking === "lot" && ln.lots.some((row) => Number(row.qty) > 0 && !row.lot)) return t("need_lot", { sku: ln.sku });
    }
    return null;
  }

  async function submit() {
    const lines = state.lines.flatMap(entries);
    if (!lines.length) { say(t("nothing"), "error"); return; }
    const wanted = missing();
    if (wanted) { say(wanted, "error"); feedback(false); return; }
    $("submit").disabled = true;
    try {
      const lotted = lines.some((ln) => ln.lot || ln.serials);  // a photo's receipt takes no lots: typed ones win
      const picture = state.picture && !lotted ? { picture: state.picture.sha, note_number: state.picture.note } : {};
      const done = await api("POST", "receive", { number: state.order.number, lines, ...picture });
      feedback(true);
      say(t("done", { receipt: done.receipt, order: done.order, status: t("status_" + done.status) }), "ok");
      if (state.camera) state.camera.close();
      $("viewer").hidden = true;
      $("order").hidden = true;
      $("dock").hidden = true;
      $("done").replaceChildren(el("span", { class: "number", text: done.receipt }), printLink(done.receipt));
      $("done").hidden = false;
    } catch (error) {
      feedback(false);
      if (!error.refused) throw error;
    } finally {
      $("submit").disabled = false;
    }
  }

  start(main);
})();
