// Receiving a purchase order: the lines still expected, one tap for "all as expected", per line received and
// rejected with a reason, one goods receipt (core receive_purchase, as in chat), then the receipt's Print button.
"use strict";

(() => {
  const { t, say, api, feedback, el, start, query, printLink } = JXC;
  const $ = (id) => document.getElementById(id);
  const state = { order: null, lines: [], picture: null };

  async function main() {
    $("all-expected").addEventListener("click", allExpected);
    $("submit").addEventListener("click", submit);
    $("note-photo").addEventListener("change", readNote);
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
    state.lines = order.lines.map((ln) => ({ ...ln, got: "", bad: "", note: "" }));
    state.picture = null;
    $("orders").hidden = true;
    $("order").hidden = false;
    $("dock").hidden = false;
    $("po-number").textContent = order.number;
    $("po-supplier").textContent = `${order.supplier} · ${order.warehouse}`;
    draw();
  }

  function draw() {
    const box = $("po-lines");
    box.replaceChildren();
    for (const ln of state.lines) box.append(card(ln));
  }

  function card(ln) {
    const got = el("input", { type: "text", inputmode: "decimal", value: ln.got, placeholder: ln.outstanding, class: "got", "aria-label": t("received") });
    got.addEventListener("input", () => { ln.got = got.value.trim(); });
    const bad = el("input", { type: "text", inputmode: "decimal", value: ln.bad, placeholder: "0", class: "bad", "aria-label": t("rejected") });
    const note = el("input", { type: "text", value: ln.note, placeholder: t("reason"), class: "note", maxlength: "200", "aria-label": t("reason") });
    note.hidden = !(Number(ln.bad) > 0);
    bad.addEventListener("input", () => { ln.bad = bad.value.trim(); note.hidden = !(Number(ln.bad) > 0); });
    note.addEventListener("input", () => { ln.note = note.value; });
    return el("li", { class: "line receive", "data-sku": ln.sku },
      el("div", { class: "top" }, el("span", { class: "name", text: ln.name }), el("span", { class: "amount", text: t("expected", { n: ln.outstanding }) })),
      el("small", { text: ln.sku }),
      el("div", { class: "pair" }, el("label", {}, t("received"), got), el("label", {}, t("rejected"), bad)),
      note);
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
    for (const ln of state.lines) if (ln.sku in got) ln.got = String(got[ln.sku]);
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
    for (const ln of state.lines) ln.got = ln.outstanding;
    draw();
    feedback(true);
  }

  async function submit() {
    const lines = state.lines.filter((ln) => ln.got !== "" || ln.bad !== "")
      .map((ln) => ({ sku: ln.sku, received: ln.got || "0", rejected: ln.bad || "0", note: ln.note.trim() }));
    if (!lines.length) { say(t("nothing"), "error"); return; }
    const missing = lines.find((ln) => Number(ln.rejected) > 0 && !ln.note);
    if (missing) { say(t("need_reason", { sku: missing.sku }), "error"); return; }
    $("submit").disabled = true;
    try {
      const picture = state.picture ? { picture: state.picture.sha, note_number: state.picture.note } : {};
      const done = await api("POST", "receive", { number: state.order.number, lines, ...picture });
      feedback(true);
      say(t("done", { receipt: done.receipt, order: done.order, status: t("status_" + done.status) }), "ok");
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
