/* The ticket kiosk: choose business, take a number, print the ticket (58 or 80 mm thermal paper).
   Printing goes through the browser: its dialog, or silently with Chromium's --kiosk-printing.
   ?paper=58 picks the narrow roll and ?print=auto prints as soon as a ticket is issued; both
   are remembered by the kiosk (localStorage), so the device link needs them only once. */
(() => {
  "use strict";
  const { m, el, api, live, body, B, queueBadge } = window.Lobby;
  const SHOWN_MS = 60000;

  function option(name, allowed, fallback) {
    const asked = new URLSearchParams(location.search).get(name);
    if (allowed.includes(asked)) localStorage.setItem(`kiosk:${name}`, asked);
    const kept = localStorage.getItem(`kiosk:${name}`);
    return allowed.includes(kept) ? kept : fallback;
  }

  const localTime = (iso) => (iso ? String(iso).replace("T", " ").slice(0, 16) : "");

  function fillPrint(ticket) {
    const ahead = ticket.position ? Math.max(ticket.position - 1, 0) : 0;
    const set = (id, text) => { document.getElementById(id).textContent = text; };
    set("pt-number", ticket.ticket_no);
    set("pt-queue", ticket.queue_name);
    set("pt-business", ticket.items.map((i) => i.name).join("、"));
    set("pt-ahead", m("people_count", { n: ahead }));
    set("pt-wait", ticket.wait_minutes === null || ticket.wait_minutes === undefined ? m("wait_unknown") : m("wait", { minutes: ticket.wait_minutes }));
    set("pt-time", localTime(ticket.issued_at));
  }

  async function kiosk() {
    const paper = option("paper", ["58", "80"], "80");
    const autoprint = option("print", ["auto", "dialog"], "dialog") === "auto";
    body.classList.add(`paper-${paper}`);
    const catalogue = await api("GET", "/catalogue");
    const grid = document.getElementById("kiosk-grid");
    const take = document.getElementById("kiosk-take");
    const box = document.getElementById("kiosk-ticket");
    const chosen = new Set();
    let hide = null;
    const clearTicket = () => { box.hidden = true; clearTimeout(hide); };
    for (const b of catalogue.business) {
      const button = el("button", { class: "kiosk-btn", type: "button", dataset: { code: b.code } }, b.name,
        el("span", { class: "hint" }, b.migratable ? m("hint_stm") : b.cash ? m("hint_cash") : m("hint_counter")));
      button.addEventListener("click", () => {
        clearTicket();
        button.classList.toggle("on");
        button.classList.contains("on") ? chosen.add(b.code) : chosen.delete(b.code);
        take.disabled = chosen.size === 0;
        document.getElementById("kiosk-selected").textContent = chosen.size ? m("selected", { n: chosen.size }) : "";
      });
      grid.append(button);
    }
    document.getElementById("kiosk-print").addEventListener("click", () => window.print());
    document.getElementById("kiosk-done").addEventListener("click", clearTicket);
    take.addEventListener("click", async () => {
      take.disabled = true;
      try {
        // One key for this tap: if the network fails mid-way, the retry gets the same ticket.
        const ticket = await api("POST", `${B}/tickets`, { business: [...chosen] }, window.Lobby.newKey());
        fillPrint(ticket);
        document.getElementById("kiosk-number").textContent = ticket.ticket_no;
        document.getElementById("kiosk-ticket-info").replaceChildren(
          queueBadge(ticket.queue, ticket.queue_name), " ",
          m("people_ahead", { n: ticket.position ? Math.max(ticket.position - 1, 0) : 0 }), " · ",
          ticket.wait_minutes === null ? m("wait_unknown") : m("wait", { minutes: ticket.wait_minutes }));
        document.getElementById("kiosk-notices").replaceChildren(...ticket.notices.map((n) => el("div", { class: "prompt" }, n)));
        box.hidden = false;
        clearTimeout(hide);
        hide = setTimeout(clearTicket, SHOWN_MS);
        if (autoprint) window.print();
      } finally {
        chosen.clear();
        grid.querySelectorAll(".on").forEach((b) => b.classList.remove("on"));
        document.getElementById("kiosk-selected").textContent = "";
      }
    });
    const refresh = async () => {
      const board = await api("GET", `${B}/board`);
      document.getElementById("kiosk-queues").replaceChildren(...board.queues.map((q) => el("div", { class: `kpi ${q.kind}` },
        el("div", { class: "label" }, q.name), el("div", { class: "value" }, m("people", { n: q.waiting })),
        el("div", { class: "sub" }, q.wait_minutes === null ? m("wait_unknown") : m("wait_new", { minutes: q.wait_minutes })),
        ...q.notices.map((n) => el("div", { class: "notice" }, n)))));
    };
    live(refresh);
  }

  kiosk().catch((error) => console.error(error));
})();
