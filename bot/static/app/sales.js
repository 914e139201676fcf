// The sales order page: customer search, items as you type ("mug 5" adds 5), steppers, pack units, prices,
// warnings from the server's quote while editing, and one submit (written and submitted as in chat), then its
// Print button and a deposit on it. The quotation page is the same page writing a quotation instead (valid until
// a day), with the customer's open quotations listed, each made an order with one tap or printed.
"use strict";

(() => {
  const { t, say, unsay, api, feedback, el, debounce, start, query, printLink } = JXC;
  const quoting = document.body.dataset.page === "quote";
  const $ = (id) => document.getElementById(id);
  const state = { customer: null, lines: [], quoted: [], version: 0 };
  const QTY = /^(.*\S)\s+(\d+(?:\.\d+)?)$/;

  async function main() {
    const found = await api("GET", "warehouses", { for: "sales" });
    for (const w of found.warehouses) $("warehouse").append(el("option", { value: w.code, text: `${w.code} ${w.name}` }));
    if (found.usual) $("warehouse").value = found.usual;
    $("warehouse").addEventListener("change", () => {  // another warehouse's lots
      for (const ln of state.lines) { ln.lot = ""; ln.lots = []; offerLots(ln); }
      draw();
      requote();
    });
    $("customer-q").addEventListener("input", debounce(findCustomers, 200));
    $("customer-change").addEventListener("click", () => chooseCustomer(null));
    $("item-q").addEventListener("input", debounce(findItems, 200));
    $("item-q").addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); const first = $("item-list").querySelector("button"); if (first) first.click(); }
    });
    $("submit").addEventListener("click", submit);
    if (query.customer) await findCustomers(query.customer, true);
    $("customer-q").focus();
  }

  async function findCustomers(given, takeOne) {
    const q = typeof given === "string" ? given : $("customer-q").value.trim();
    const list = $("customer-list");
    list.replaceChildren();
    if (!q) return;
    const found = (await api("GET", "customers", { q })).customers;
    if (takeOne === true && found.length === 1) { chooseCustomer(found[0]); return; }
    if (!found.length) list.append(el("li", { class: "empty", text: t("no_customer", { q }) }));
    for (const c of found) {
      list.append(el("li", {}, el("button", { type: "button", "data-code": c.code, onclick: () => chooseCustomer(c) },
        el("span", { text: c.name }), el("small", { text: c.code }))));
    }
  }

  function chooseCustomer(customer) {
    state.customer = customer;
    $("customer-list").replaceChildren();
    $("customer-chosen").hidden = !customer;
    $("customer-q").hidden = !!customer;
    $("item-q").disabled = !customer;
    if (quoting) showQuotations();
    if (customer) {
      $("customer-name").textContent = `${customer.name} (${customer.code})`;
      $("item-q").focus();
    } else {
      $("customer-q").value = "";
      $("customer-q").focus();
    }
    draw();
  }

  async function findItems() {
    const typed = $("item-q").value.trim();
    const list = $("item-list");
    if (!typed || !state.customer) { list.replaceChildren(); return; }
    const match = QTY.exec(typed);
    const q = match ? match[1] : typed;
    const qty = match ? match[2] : "1";
    const found = (await api("GET", "items", { q, customer: state.customer.code, warehouse: $("warehouse").value })).items;
    if ($("item-q").value.trim() !== typed) return;  // typed on meanwhile
    list.replaceChildren();
    if (!found.length) list.append(el("li", { class: "empty", text: t("no_item", { q }) }));
    for (const item of found) {
      const facts = [item.sku, t("stock", { n: item.available_text }), `${item.price_text} ${item.source_text}`];
      if (item.last_text) facts.push(t("last", { p: item.last_text, d: item.last_day }));
      list.append(el("li", {}, el("button", { type: "button", "data-sku": item.sku, onclick: () => addLine(item, qty) },
        el("span", { text: qty === "1" ? item.name : `${item.name} × ${qty}` }), el("small", { text: facts.join(" · ") }))));
    }
  }

  function addLine(item, qty) {
    const same = state.lines.find((ln) => ln.sku === item.sku && ln.unit === "");
    if (same && qty === "1") same.qty = String(Number(same.qty) + 1);
    else if (same) same.qty = qty;
    else {
      const line = { sku: item.sku, name: item.name, base: item.unit, units: item.units, unit: "", qty,
                     price: "", list: item.price_text, last: item.last_text, lastDay: item.last_day, lot: "", lots: [] };
      state.lines.push(line);
      offerLots(line);
    }
    $("item-q").value = "";
    $("item-list").replaceChildren();
    $("item-q").focus();
    feedback(true);
    draw();
    requote();
  }

  async function offerLots(line) {  // a lot-tracked product: its lots on hand to choose from (default: FEFO)
    let found;
    try {
      found = (await api("GET", "sales/lots", { sku: line.sku, warehouse: $("warehouse").value })).lots;
    } catch (error) {
      if (!error.refused) throw error;
      return;
    }
    if (!found.length) return;
    line.lots = found;
    keepFocus(draw);
  }

  function draw() {
    const box = $("lines");
    box.replaceChildren();
    state.lines.forEach((ln, i) => box.append(lineCard(ln, i, state.quoted[i])));
    $("submit").disabled = !state.customer || !state.lines.length;
    $("total").textContent = state.total ? t("total", { t: state.total }) : "";
  }

  function lineCard(ln, i, quote) {
    const qty = el("input", { type: "text", inputmode: "decimal", value: ln.qty, "aria-label": t("qty"), class: "qty" });
    qty.addEventListener("input", () => { ln.qty = qty.value.trim(); requote(); });
    const units = el("select", { "aria-label": t("unit"), class: "unit" },
      el("option", { value: "", text: ln.base }), ...ln.units.map((u) => el("option", { value: u.name, text: `${u.name} (${u.factor})` })));
    units.value = ln.unit;
    units.addEventListener("change", () => { ln.unit = units.value; ln.price = ""; draw(); requote(); });
    const price = el("input", { type: "text", inputmode: "decimal", value: ln.price, placeholder: quote ? quote.proposed_text : ln.list, "aria-label": t("price"), class: "price" });
    price.addEventListener("input", () => { ln.price = price.value.trim(); requote(); });
    const warns = [];
    if (quote && quote.short) warns.push(el("div", { class: "warn", text: t("short", { n: quote.available_text, w: $("warehouse").value }) }));
    if (quote && quote.below_floor) warns.push(el("div", { class: "warn bad", text: t("below_floor") }));
    const lot = ln.lots.length ? el("label", { class: "lot" }, t("lot"), lotChoice(ln)) : null;
    return el("li", { class: "line", "data-sku": ln.sku },
      el("div", { class: "top" }, el("span", { class: "name", text: ln.name }), el("span", { class: "amount", text: quote ? quote.amount_text : "" })),
      el("small", { class: "source", text: [ln.sku, quote ? quote.source_text : "", ln.last ? t("last", { p: ln.last, d: ln.lastDay }) : ""].filter(Boolean).join(" · ") }),
      el("div", { class: "controls" },
        el("button", { type: "button", class: "step minus", "aria-label": "−", text: "−", onclick: () => step(ln, -1) }),
        qty,
        el("button", { type: "button", class: "step plus", "aria-label": "+", text: "+", onclick: () => step(ln, 1) })),
      el("div", { class: "more" },
        el("label", {}, t("unit"), units), el("label", {}, t("price"), price),
        el("button", { type: "button", class: "delete", text: t("delete"), onclick: () => { state.lines.splice(i, 1); state.quoted.splice(i, 1); draw(); requote(); } })),
      lot, ...warns);
  }

  function lotChoice(ln) {  // auto (first expiry first), else the lots on hand, nearest expiry first
    const choice = el("select", { class: "lot", "aria-label": t("lot") }, el("option", { value: "", text: t("lot_auto") }),
      ...ln.lots.map((lot) => el("option", { value: lot.lot, text: t(lot.alert ? "lot_near" : "lot_option", lot) })));
    choice.value = ln.lot;
    choice.addEventListener("change", () => { ln.lot = choice.value; });
    return choice;
  }

  function step(ln, by) {
    const now = Number(ln.qty) || 0;
    const next = Math.max(1, Math.round(now) + by);
    ln.qty = String(next);
    draw();
    requote();
  }

  const requote = debounce(async () => {
    if (!state.lines.length) { state.quoted = []; state.total = ""; draw(); return; }
    const lines = state.lines.map(({ sku, qty, unit, price }) => ({ sku, qty, unit, price }));
    const version = ++state.version;
    try {
      const quote = await api("POST", "sales/quote", { warehouse: $("warehouse").value, customer: state.customer ? state.customer.code : "", lines });
      if (version !== state.version) return;  // the order changed (or was placed) meanwhile
      state.quoted = quote.lines;
      state.total = quote.total_text;
      unsay();
    } catch (error) {
      if (!error.refused) throw error;
      if (version !== state.version) return;
      state.quoted = [];
      state.total = "";
    }
    keepFocus(draw);
  }, 250);

  function keepFocus(redraw) {
    const active = document.activeElement;
    const card = active && active.closest ? active.closest(".line") : null;
    const which = card ? [...document.querySelectorAll("#lines .line")].indexOf(card) : -1;
    const cls = active ? active.className : "";
    const caret = active && "selectionStart" in active ? active.selectionStart : null;
    redraw();
    if (which < 0) return;
    const again = document.querySelectorAll("#lines .line")[which];
    const field = again && cls ? again.querySelector("." + cls.split(" ")[0]) : null;
    if (field) { field.focus(); if (caret !== null && field.setSelectionRange) field.setSelectionRange(caret, caret); }
  }

  async function submit() {
    if (!state.customer) { say(t("need_customer"), "error"); return; }
    if (!state.lines.length) { say(t("need_lines"), "error"); return; }
    $("submit").disabled = true;
    requote.cancel();
    state.version += 1;
    const lines = state.lines.map(({ sku, qty, unit, price, lot }) => ({ sku, qty, unit, price, lot }));
    try {
      if (quoting) {
        const made = await api("POST", "quotations", { customer: state.customer.code, warehouse: $("warehouse").value, lines, valid_until: $("valid-until").value });
        feedback(true);
        say(t("quoted", { number: made.number, t: made.total_text, d: made.valid_until }), "ok");
        done(made.number, el("button", { type: "button", class: "wide order", "data-number": made.number, text: t("make_order"), onclick: () => orderQuotation(made.number) }));
        showQuotations();
      } else {
        const placed = await api("POST", "sales/place", { customer: state.customer.code, warehouse: $("warehouse").value, lines });
        feedback(true);
        say(t(placed.status === "approved" ? "placed_approved" : "placed_pending", { number: placed.number, t: placed.total_text }), "ok");
        done(placed.number, depositLink(placed.number));
      }
      state.lines = [];
      state.quoted = [];
      state.total = "";
      draw();
    } catch (error) {
      feedback(false);
      $("submit").disabled = false;
      if (!error.refused) throw error;
    }
  }

  function done(number, ...more) {  // what can be done with what was just written: print it, and so on
    const box = $("done");
    box.replaceChildren(el("span", { class: "number", text: number }), printLink(number), ...more);
    box.hidden = false;
  }

  function depositLink(number) {  // the deposit page for the order just written
    const href = "/app/deposit?order=" + encodeURIComponent(number) + (query.k ? "&k=" + encodeURIComponent(query.k) : "");
    return el("a", { class: "link deposit", href, text: t("deposit") });
  }

  async function showQuotations() {
    const box = $("quotes");
    box.replaceChildren();
    if (!state.customer) return;
    const found = (await api("GET", "quotations", { customer: state.customer.code })).quotations;
    if (!found.length) { box.append(el("li", { class: "empty", text: t("no_quotes") })); return; }
    for (const q of found) {
      box.append(el("li", { class: "line quote", "data-number": q.number },
        el("div", { class: "top" }, el("span", { class: "name", text: q.number }), el("span", { class: "amount", text: q.total_text })),
        el("small", { text: t("until", { d: q.valid_until }) }),
        el("div", { class: "pair" },
          el("button", { type: "button", class: "wide order", "data-number": q.number, text: t("make_order"), onclick: () => orderQuotation(q.number) }),
          printLink(q.number))));
    }
  }

  async function orderQuotation(number) {
    try {
      const order = await api("POST", "quotations/order", { number });
      feedback(true);
      say(t(order.status === "approved" ? "ordered_approved" : "ordered_pending", { number: order.number, q: number, t: order.total_text }), "ok");
      done(order.number, depositLink(order.number));
      showQuotations();
    } catch (error) {
      feedback(false);
      if (!error.refused) throw error;
    }
  }

  start(main);
})();
