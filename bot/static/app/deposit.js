// The deposit page: an order's number (from the sales page's link, or typed), its deposits so far, and one more
// recorded against it (core record_deposit, as `订金 SO-... 500` in chat), with the order's Print button.
"use strict";

(() => {
  const { t, say, api, feedback, el, debounce, start, query, printLink } = JXC;
  const $ = (id) => document.getElementById(id);
  const ORDER = /^(SO|PO)-\d{4}-\d{6}$/i;

  async function main() {
    $("order").value = query.order || "";
    $("order").addEventListener("input", debounce(() => show(), 300));
    $("submit").addEventListener("click", record);
    if (query.order) { await show(); $("amount").focus(); } else $("order").focus();
  }

  async function show(answered) {
    const order = $("order").value.trim().toUpperCase();
    const box = $("deposits");
    box.replaceChildren();
    $("print").replaceChildren();
    $("submit").disabled = !ORDER.test(order);
    if (!ORDER.test(order)) return;
    const found = answered || await api("GET", "deposits", { order });
    $("print").append(printLink(found.order));
    if (!found.deposits.length) box.append(el("li", { class: "empty", text: t("none", { order: found.order }) }));
    for (const d of found.deposits) {
      box.append(el("li", { class: "line", "data-payment": d.payment },
        el("div", { class: "top" }, el("span", { class: "name", text: d.payment }), el("span", { class: "amount", text: d.amount_text })),
        el("small", { text: t("allocated", { a: d.allocated_text, s: t("status_" + d.status) }) })));
    }
  }

  async function record() {
    const order = $("order").value.trim().toUpperCase();
    const amount = $("amount").value.trim();
    if (!amount) { say(t("need_amount"), "error"); return; }
    $("submit").disabled = true;
    try {
      const made = await api("POST", "deposits", { order, amount, method: $("method").value });
      feedback(true);
      say(t("recorded", { payment: made.deposit.payment, order: made.order, a: made.deposit.amount_text }), "ok");
      $("amount").value = "";
      await show(made);
    } catch (error) {
      feedback(false);
      if (!error.refused) throw error;
    } finally {
      $("submit").disabled = !ORDER.test($("order").value.trim());
    }
  }

  start(main);
})();
