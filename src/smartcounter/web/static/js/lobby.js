/* Staff pages: the lobby tablet, the teller window / smart-counter console, the director's set-up.
   Shared helpers (API, connection banner, messages) are in core.js. */
(() => {
  "use strict";
  const { m, el, toast, api, act, live, body, branch, perms, role, B, queueBadge, waitText, itemsText, customerText } = window.Lobby;

  const pendingMigratable = (t, route) => t.items.filter((i) => i.status === "pending" && i.migratable && (!route || i.route === route));
  // Which triage stages a ticket has had: the API's list when it gives one, else its touches.
  const stagesDone = (t) => new Set(t.triage_done || t.triage_stages_done || (t.touches || []).map((x) => x.stage));

  let catalogue = null;
  async function loadCatalogue() {
    if (!catalogue) catalogue = await api("GET", "/catalogue");
    return catalogue;
  }

  // A reason must be chosen: the list starts with a prompt, not with a reason.
  function reasonOptions(select) {
    select.replaceChildren(
      el("option", { value: "", selected: true }, m("choose_reason")),
      ...catalogue.reasons.map((r) => el("option", { value: r.code }, r.name)));
  }

  // A decline: the reason list, and a button that names what it does, enabled once a reason is chosen.
  // Live refreshes redraw the cards: a reason chosen but not yet sent is kept by ticket.
  const chosenReasons = new Map();
  function declineControl(key, label, onDecline) {
    const reason = el("select", { class: "reason-select", "aria-label": m("choose_reason") });
    reasonOptions(reason);
    reason.value = chosenReasons.get(key) || "";
    const button = el("button", { class: "btn btn-sm btn-decline", type: "button", disabled: !reason.value }, label);
    reason.addEventListener("change", () => { chosenReasons.set(key, reason.value); button.disabled = !reason.value; });
    button.addEventListener("click", () => { if (reason.value) onDecline(reason.value, button); });
    return el("span", { class: "decline" }, reason, button);
  }

  function promptsOf(ticket, actions) {
    return ticket.prompts.map((p) => {
      const row = el("div", { class: `prompt ${p.action || ""}` }, p.text);
      if (p.action === "refer_wealth" && actions && perms.has("ticket.refer")) {
        const referred = ticket.referrals || ticket.referred || ticket.queue === "wealth";
        row.append(" ", referred
          ? el("span", { class: "badge wealth" }, m("referred"))
          : el("button", { class: "btn btn-sm btn-refer", type: "button", title: m("refer_hint"),
            onclick: (e) => act(`/tickets/${ticket.id}/referrals`, { kind: "wealth" }, m("referred_done", { no: ticket.ticket_no }), e.currentTarget) }, m("refer")));
      }
      return row;
    });
  }

  // -- lobby tablet ----------------------------------------------------------------------
  async function tablet() {
    await loadCatalogue();
    const chips = document.getElementById("business-chips");
    const chosen = new Set();
    const groups = [
      [m("group_stm"), catalogue.business.filter((b) => b.migratable)],
      [m("group_cash"), catalogue.business.filter((b) => b.cash)],
      [m("group_counter"), catalogue.business.filter((b) => !b.migratable && !b.cash)],
    ];
    const stage1 = document.getElementById("stage1");
    const reasonRow = stage1.querySelector(".reason-row");
    const reasonSelect = stage1.querySelector("select");
    reasonOptions(reasonSelect);
    const submit = document.getElementById("issue-submit");
    const sync = () => {
      const any = [...chosen].some((c) => catalogue.business.find((b) => b.code === c).migratable);
      stage1.hidden = !(any && perms.has("triage.stage1"));
      const declined = stage1.querySelector('input[value="declined"]').checked;
      reasonRow.hidden = !declined;
      reasonSelect.required = !stage1.hidden && declined;
    };
    for (const [title, list] of groups) {
      chips.append(el("div", { class: "chip-group" }, title));
      for (const b of list) {
        const chip = el("span", { class: `chip ${b.cash ? "cash" : ""}`, dataset: { code: b.code }, role: "button", tabindex: "0" }, b.name);
        chip.addEventListener("click", () => {
          if (!window.Lobby.isOnline()) return;
          chip.classList.toggle("on"); chip.classList.contains("on") ? chosen.add(b.code) : chosen.delete(b.code); sync();
        });
        chips.append(chip);
      }
    }
    stage1.addEventListener("change", sync);
    const form = document.getElementById("issue-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!chosen.size) { toast(m("choose_business"), true); return; }
      const data = new FormData(form);
      const payload = { business: [...chosen] };
      for (const key of ["customer_id", "age_band", "customer_tier"]) if (data.get(key)) payload[key] = data.get(key);
      if (data.get("has_mobile_banking")) payload.has_mobile_banking = data.get("has_mobile_banking") === "true";
      if (!stage1.hidden) {
        const outcome = data.get("stage1");
        if (outcome === "declined" && !data.get("stage1_reason")) { toast(m("reason_required"), true); reasonSelect.focus(); return; }
        payload.triage = { outcome, reason: outcome === "declined" ? data.get("stage1_reason") : null };
      }
      submit.disabled = true;
      let ticket;
      try {
        ticket = await api("POST", `${B}/tickets`, payload, window.Lobby.newKey());
      } finally {
        submit.disabled = false;
      }
      const issued = document.getElementById("issued");
      issued.replaceChildren(
        el("div", { class: "muted" }, m("issued")),
        el("div", { class: "num", id: "issued-number" }, ticket.ticket_no),
        el("div", {}, queueBadge(ticket.queue, ticket.queue_name), " ", waitText(ticket)),
        el("div", { class: "ticket-body" }, itemsText(ticket.items)),
        ...ticket.notices.map((n) => el("div", { class: "prompt" }, n)),
        ...promptsOf(ticket, false),
      );
      issued.hidden = false;
      form.reset(); chosen.clear();
      chips.querySelectorAll(".chip.on").forEach((c) => c.classList.remove("on"));
      sync();
      window.__refresh();
    });

    const refresh = async () => {
      const view = await api("GET", `${B}/lobby`);
      renderKpis(view.board);
      const list = document.getElementById("waiting-list");
      document.getElementById("waiting-count").textContent = view.waiting.length;
      list.replaceChildren(...(view.waiting.length ? view.waiting.map(waitingCard) : [el("div", { class: "empty" }, m("no_waiting"))]));
      const auth = document.getElementById("auth-list");
      document.getElementById("auth-count").textContent = view.authorisations.length;
      auth.replaceChildren(...(view.authorisations.length ? view.authorisations.map(authCard) : [el("div", { class: "empty" }, m("no_authorisations"))]));
      document.getElementById("point-list").replaceChildren(...view.points.map(pointRow));
    };
    live(refresh);
  }

  function renderKpis(board) {
    const box = document.getElementById("kpis");
    if (!box) return;
    box.replaceChildren(...board.queues.map((q) =>
      el("div", { class: `kpi ${q.kind}` },
        el("div", { class: "label" }, `${q.name} · ${q.prefix}`),
        el("div", { class: "value" }, m("people", { n: q.waiting })),
        el("div", { class: "sub" }, q.wait_minutes === null ? m("wait_unknown") : m("wait_new", { minutes: q.wait_minutes })),
        ...q.notices.map((n) => el("div", { class: "notice" }, n)))));
  }

  function waitingCard(t) {
    const customer = customerText(t);
    const card = el("div", { class: "ticket", dataset: { ticket: t.ticket_no } },
      el("div", { class: "ticket-head" },
        el("span", { class: "ticket-no" }, t.ticket_no),
        queueBadge(t.queue, t.queue_name),
        t.follow_up ? el("span", { class: "badge follow" }, m("follow_up")) : null,
        el("span", { class: "wait" }, waitText(t))),
      el("div", { class: "ticket-body" },
        itemsText(t.items),
        customer || t.age_band || t.customer_tier ? el("span", { class: "route" }, ` · ${[customer, t.age_band, t.customer_tier ? m("tier_" + t.customer_tier) : null].filter(Boolean).join(" · ")}`) : null),
      ...t.notices.map((n) => el("div", { class: "prompt" }, n)),
      ...promptsOf(t, true));
    const actions = el("div", { class: "ticket-actions" });
    // One outcome per stage: once the hall has triaged this customer, it is not offered again.
    if (perms.has("triage.stage2") && !stagesDone(t).has(2)) {
      if (pendingMigratable(t, "teller").length) {
        actions.append(el("button", { class: "btn btn-sm btn-success", type: "button",
          onclick: (e) => act(`/tickets/${t.id}/triage`, { stage: 2, outcome: "accepted" }, m("moved_to_stm"), e.currentTarget) }, m("stage2_accept")));
      }
      if (pendingMigratable(t, "stm").length) {
        actions.append(declineControl(t.id, m("stage2_decline"), (reason, button) =>
          act(`/tickets/${t.id}/triage`, { stage: 2, outcome: "declined", reason }, m("moved_to_teller"), button)));
      }
    }
    if (actions.childElementCount) card.append(actions);
    return card;
  }

  function authCard(a) {
    const waited = Math.round(a.waiting_s);
    const card = el("div", { class: "ticket", dataset: { authorisation: a.id } },
      el("div", { class: "ticket-head" },
        el("span", { class: "ticket-no" }, a.ticket_no || "—"),
        el("span", { class: "badge stm" }, a.point_code || ""),
        el("span", { class: "wait" }, m("waited", { s: waited }))),
      el("div", { class: "ticket-body" }, a.business_name));
    if (perms.has("stm.authorise")) {
      card.append(el("div", { class: "ticket-actions" },
        el("button", { class: "btn btn-sm btn-success", type: "button", onclick: (e) => decide(a.id, true, e.currentTarget) }, m("approve")),
        el("button", { class: "btn btn-sm btn-warn", type: "button", onclick: (e) => decide(a.id, false, e.currentTarget) }, m("reject"))));
    }
    return card;
  }

  async function decide(id, approve, button) {
    await act(`/authorisations/${id}/decision`, { approve }, approve ? m("approved") : m("rejected"), button);
  }

  function pointRow(entry) {
    const p = entry.point;
    const row = el("div", { class: "point-row" },
      el("span", { class: "name" }, p.name),
      el("span", { class: `badge ${p.status}` }, p.status_name),
      !p.active ? el("span", { class: "badge" }, m("closed")) : null,
      el("span", { class: "current" }, entry.ticket ? entry.ticket.ticket_no : ""));
    if (p.kind === "stm" && perms.has("stm.status")) {
      const buttons = el("span", { class: "status-buttons" });
      for (const s of ["ok", "slow", "down"]) {
        if (s !== p.status) buttons.append(el("button", { class: "btn btn-sm", type: "button", onclick: (e) => setStatus(p.id, s, e.currentTarget) }, m("set_" + s)));
      }
      row.append(buttons);
    }
    return row;
  }

  async function setStatus(pointId, status, button) {
    button.disabled = true;
    try {
      await api("PUT", `${B}/points/${pointId}/status`, { status }, window.Lobby.newKey());
    } finally { button.disabled = false; }
    window.__refresh();
  }

  // -- teller window / smart-counter console -------------------------------------------------
  async function windowPage() {
    await loadCatalogue();
    const setup = await api("GET", B);
    const select = document.getElementById("point-select");
    const preferred = role === "teller" ? "teller" : role === "stm_specialist" ? "stm" : role === "wealth_manager" ? "wealth" : null;
    const points = setup.points.filter((p) => p.active);
    points.sort((a, b) => (a.kind === preferred ? -1 : 0) - (b.kind === preferred ? -1 : 0));
    select.replaceChildren(...points.map((p) => el("option", { value: p.id }, `${p.name} (${p.code})`)));
    const asked = new URLSearchParams(location.search).get("point") || localStorage.getItem(`point:${branch}`);
    if (asked && points.some((p) => String(p.id) === asked)) select.value = asked;
    select.addEventListener("change", () => { localStorage.setItem(`point:${branch}`, select.value); window.__refresh(); });
    const stage3Reason = document.getElementById("stage3-reason");
    const stage3Decline = document.getElementById("btn-stage3-decline");
    reasonOptions(stage3Reason);
    stage3Reason.addEventListener("change", () => { stage3Decline.disabled = !stage3Reason.value; });
    reasonOptions(document.getElementById("complete-reason"));
    let current = null;
    let shownId = null;
    const pointId = () => Number(select.value);
    const point = () => points.find((p) => p.id === pointId());

    const refresh = async () => {
      const view = await api("GET", `${B}/lobby`);
      const entry = view.points.find((e) => e.point.id === pointId());
      const p = entry ? entry.point : point();
      current = entry ? entry.ticket : null;
      document.getElementById("point-status").replaceChildren(el("span", { class: `badge ${p.status}` }, p.status_name));
      const mine = view.waiting.filter((t) => t.queue === p.kind);
      document.getElementById("queue-count").textContent = mine.length;
      document.getElementById("queue-list").replaceChildren(...(mine.length ? mine.map(waitingCard) : [el("div", { class: "empty" }, m("no_waiting"))]));
      const q = view.board.queues.find((x) => x.kind === p.kind);
      document.getElementById("queue-summary").textContent = q ? `${q.name}: ${m("people", { n: q.waiting })}` : "";
      renderCurrent(p);
      await renderNoShows(p);
    };

    // Customers who missed their call and may still come back: put back in the queue, same visit.
    async function renderNoShows(p) {
      const missed = await api("GET", `${B}/tickets?status=no_show`);
      const now = Date.now();
      const back = missed.filter((t) => t.queue === p.kind && t.recallable_until && Date.parse(t.recallable_until) > now);
      document.getElementById("noshow-list").replaceChildren(...(back.length ? back.map((t) =>
        el("div", { class: "ticket-card", "data-noshow": t.ticket_no },
          el("strong", {}, t.ticket_no), " ", el("span", { class: "muted" }, customerText(t)), " ",
          el("button", { class: "btn btn-sm", type: "button",
            onclick: (e) => act(`/tickets/${t.id}/reinstate`, undefined, m("reinstated", { no: t.ticket_no }), e.currentTarget) },
            m("reinstate")))) : [el("div", { class: "empty" }, m("no_noshows"))]));
    }

    function renderCurrent(p) {
      const t = current;
      document.getElementById("current-number").textContent = t ? t.ticket_no : "—";
      document.getElementById("current-meta").replaceChildren(...(t ? [el("div", {}, queueBadge(t.queue, t.queue_name), " ", el("span", { class: "badge" }, t.status_name)),
        el("div", { class: "muted" }, [customerText(t), t.age_band, t.customer_tier ? m("tier_" + t.customer_tier) : null, t.recalls ? m("recalls", { n: t.recalls }) : null].filter(Boolean).join(" · ")),
        t.follow_up ? el("span", { class: "badge follow" }, m("follow_up")) : null] : [el("span", { class: "muted" }, m("idle"))]).filter(Boolean));
      document.getElementById("current-items").replaceChildren(...(t ? t.items.map((i) => el("div", { class: `item ${i.status}` },
        queueBadge(i.route, m("route_" + i.route)), i.name, i.reason_name ? el("span", { class: "reason" }, i.reason_name) : null)) : []));
      document.getElementById("current-prompts").replaceChildren(...(t ? promptsOf(t, true) : []));
      document.getElementById("current-auth").replaceChildren(...(t ? t.authorisations.map((a) => el("div", { class: `auth-state ${a.status}` }, m("auth_" + a.status, { business: a.business_name }))) : []));
      const atTeller = p.kind !== "stm";
      const migratableHere = t ? pendingMigratable(t, p.kind).filter((i) => !i.reason) : [];
      document.getElementById("stage3").hidden = !(t && atTeller && perms.has("triage.stage3") && pendingMigratable(t).length && !stagesDone(t).has(3));
      // A new customer at the point starts with no reason chosen; a refresh keeps the choice.
      if (!t || t.id !== shownId) stage3Reason.value = "";
      shownId = t ? t.id : null;
      stage3Decline.disabled = !stage3Reason.value;
      document.getElementById("complete-reason-label").hidden = !(t && atTeller && migratableHere.length);
      document.getElementById("btn-call").disabled = Boolean(t);
      for (const id of ["btn-recall", "btn-noshow", "btn-start"]) document.getElementById(id).disabled = !t || t.status !== "called";
      document.getElementById("btn-complete").disabled = !t;
      document.getElementById("btn-transfer").disabled = !t;
    }

    const on = (id, fn) => document.getElementById(id).addEventListener("click", (e) => fn(e.currentTarget));
    on("btn-call", async (button) => {
      button.disabled = true;
      try {
        const result = await api("POST", `${B}/points/${pointId()}/call-next`, undefined, window.Lobby.newKey());
        toast(result.ticket ? m("called", { no: result.ticket.ticket_no }) : m("queue_empty"));
      } finally { window.__refresh(); }
    });
    on("btn-recall", (b) => current && act(`/tickets/${current.id}/recall`, undefined, m("recalled"), b));
    on("btn-start", (b) => current && act(`/tickets/${current.id}/start`, undefined, null, b));
    on("btn-noshow", (b) => current && act(`/tickets/${current.id}/no-show`, undefined, m("no_show_done"), b));
    on("btn-stage3-accept", (b) => current && act(`/tickets/${current.id}/triage`, { stage: 3, outcome: "accepted" }, m("moved_to_stm"), b));
    on("btn-stage3-decline", (b) => current && stage3Reason.value && act(`/tickets/${current.id}/triage`, { stage: 3, outcome: "declined", reason: stage3Reason.value }, m("stage3_declined"), b));
    on("btn-transfer", (b) => {
      const queue = document.getElementById("transfer-queue").value;
      if (!queue) { toast(m("choose_queue"), true); return; }
      if (current) act(`/tickets/${current.id}/transfer`, { queue }, m("transferred"), b);
    });
    on("btn-complete", (b) => {
      if (!current) return;
      const label = document.getElementById("complete-reason-label");
      const reason = document.getElementById("complete-reason").value;
      if (!label.hidden && !reason) { toast(m("reason_required"), true); return; }
      act(`/tickets/${current.id}/complete`, label.hidden ? {} : { reason }, m("completed", { no: current.ticket_no }), b);
    });
    live(refresh);
  }

  // -- set-up (director) -------------------------------------------------------------------
  const auditAction = (code) => (window.Lobby.M["audit_" + code.replace(/\./g, "_")] ? m("audit_" + code.replace(/\./g, "_")) : m("audit_other"));
  function auditActor(label, names) {
    const [kind, ...rest] = String(label || "").split(":");
    const name = rest.join(":");
    if (kind === "user") return names[name] || name;
    if (kind === "device") return m("actor_device", { name });
    if (kind === "system" || !name) return m("actor_system");
    return name;
  }

  async function setupPage() {
    const dateBox = document.getElementById("close-date");
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    // The branch's today, from the server: the director's computer may be in another zone.
    const board = await api("GET", `${B}/board`).catch(() => null);
    const today = board ? board.now.slice(0, 10) : iso(new Date());
    dateBox.value = today;
    dateBox.max = today;
    let names = {};
    const refresh = async () => {
      const setup = await api("GET", B);
      const pointsTable = document.getElementById("points-table");
      pointsTable.replaceChildren(
        el("tr", {}, ...["code", "name", "kind", "status", "open"].map((h) => el("th", {}, m("col_" + h)))),
        ...setup.points.map((p) => el("tr", {},
          el("td", {}, p.code), el("td", {}, p.name), el("td", {}, m("route_" + p.kind)),
          el("td", {}, el("span", { class: `badge ${p.status}` }, p.status_name)),
          el("td", {}, el("input", { type: "checkbox", checked: p.active, onchange: (e) => api("PATCH", `${B}/points/${p.id}`, { active: e.target.checked }).then(refresh) })))));
      const prefixForm = document.getElementById("prefix-form");
      prefixForm.replaceChildren(...setup.queues.map((q) => el("label", {}, q.name,
        el("span", { class: "actions" }, el("input", { value: q.prefix, maxlength: "2", size: "3", dataset: { queue: q.kind } }),
          el("button", { class: "btn btn-sm", type: "button", onclick: (e) => api("PUT", `${B}/queues/${q.kind}/prefix`, { prefix: e.target.previousSibling.value.toUpperCase() }).then(() => { toast(m("saved")); refresh(); }) }, m("save"))))));
      const hoursForm = document.getElementById("hours-form");
      const byDay = Object.fromEntries(setup.hours.map((h) => [h.weekday, h]));
      hoursForm.replaceChildren(
        ...[0, 1, 2, 3, 4, 5, 6].map((d) => el("div", { class: "actions", dataset: { weekday: d } },
          el("span", { class: "muted" }, m("weekday_" + d)),
          el("input", { type: "time", value: byDay[d] ? byDay[d].opens.slice(0, 5) : "", dataset: { field: "opens" } }),
          el("input", { type: "time", value: byDay[d] ? byDay[d].closes.slice(0, 5) : "", dataset: { field: "closes" } }))),
        el("button", { class: "btn", type: "button", onclick: () => {
          const days = [...hoursForm.querySelectorAll("[data-weekday]")].map((row) => ({
            weekday: Number(row.dataset.weekday), opens: row.querySelector('[data-field="opens"]').value, closes: row.querySelector('[data-field="closes"]').value,
          })).filter((d) => d.opens && d.closes);
          api("PUT", `${B}/hours`, { days }).then(() => toast(m("saved")));
        } }, m("save")));
      names = Object.fromEntries(setup.staff.filter((s) => s.name).map((s) => [s.staff_id, s.name]));
      document.getElementById("staff-table").replaceChildren(
        el("tr", {}, ...["staff_id", "name", "role", "on_duty"].map((h) => el("th", {}, m("col_" + h)))),
        ...setup.staff.map((s) => el("tr", {}, el("td", {}, s.staff_id), el("td", {}, s.name || ""), el("td", {}, s.role_name),
          el("td", {}, el("input", { type: "checkbox", checked: s.on_duty, onchange: (e) => api("PATCH", `${B}/staff/${encodeURIComponent(s.staff_id)}`, { on_duty: e.target.checked }) })))));
      const closures = await api("GET", `${B}/closures`);
      document.getElementById("closures").replaceChildren(
        el("tr", {}, ...["day", "visits", "transactions", "triage", "migrated"].map((h) => el("th", {}, m("col_" + h)))),
        ...closures.map((c) => el("tr", {}, el("td", {}, c.day), el("td", {}, c.visits), el("td", {}, c.transactions), el("td", {}, c.triage),
          el("td", {}, `${c.migrated} / ${c.migratable}`))));
      if (perms.has("devices.manage")) {
        const devices = await api("GET", `${B}/devices`);
        document.getElementById("devices-table").replaceChildren(...devices.map((d) => el("tr", {},
          el("td", {}, d.name), el("td", {}, m("device_" + d.kind)), el("td", {}, d.revoked ? m("revoked") : m("active")),
          el("td", {}, d.revoked ? "" : el("button", { class: "btn btn-sm btn-warn", type: "button", onclick: () => api("DELETE", `${B}/devices/${d.id}`).then(refresh) }, m("revoke"))))));
      }
      if (perms.has("users.manage")) {
        // Accounts by login name, to show people rather than logins in the audit log.
        const users = await api("GET", `${B}/users`).catch(() => []);
        for (const u of users) names[u.username] = u.display_name || names[u.staff_id] || u.username;
      }
      if (perms.has("audit.view")) {
        const entries = await api("GET", `${B}/audit?limit=40`);
        document.getElementById("audit-table").replaceChildren(
          el("tr", {}, ...["time", "actor", "action", "target"].map((h) => el("th", {}, m("col_" + h)))),
          ...entries.map((e) => el("tr", { dataset: { action: e.action } }, el("td", { class: "nowrap" }, e.ts.replace("T", " ").slice(5, 19)), el("td", {}, auditActor(e.actor, names)),
            el("td", { title: e.action }, auditAction(e.action)), el("td", {}, e.target || ""))));
      }
    };
    document.getElementById("point-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(event.target);
      await api("POST", `${B}/points`, { kind: data.get("kind"), code: data.get("code"), name: data.get("name") }, window.Lobby.newKey());
      event.target.reset();
      refresh();
    });

    // Day close in two steps: say who is still in the lobby and will be expired, then confirm.
    const confirmBox = document.getElementById("close-confirm");
    const closeButton = document.getElementById("btn-close-day");
    closeButton.addEventListener("click", async () => {
      const day = dateBox.value || today;
      let open = null;
      if (day === today && perms.has("lobby.view")) {
        const view = await api("GET", `${B}/lobby`);
        open = view.waiting.length + view.points.filter((p) => p.ticket).length;
      }
      document.getElementById("close-confirm-text").textContent = open === null ? m("close_confirm_other", { day }) : open
        ? m("close_confirm_open", { day, n: open }) : m("close_confirm_none", { day });
      confirmBox.hidden = false;
      closeButton.hidden = true;
      document.getElementById("btn-close-confirm").focus();
    });
    document.getElementById("btn-close-cancel").addEventListener("click", () => { confirmBox.hidden = true; closeButton.hidden = false; });
    document.getElementById("btn-close-confirm").addEventListener("click", async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        const result = await api("POST", `${B}/close-day`, { day: dateBox.value || null, confirm: true }, window.Lobby.newKey());
        const c = result.closures[0];
        document.getElementById("close-result").replaceChildren(
          el("p", { class: "alert alert-ok", id: "close-ok" }, m("closed_day", { day: result.day, visits: c.visits, transactions: c.transactions, migrated: c.migrated, migratable: c.migratable }),
            result.expired ? ` ${m("close_expired", { n: result.expired })}` : ""),
          el("table", { class: "table small" },
            el("tr", {}, ...["table", "read", "imported", "skipped", "rejected"].map((h) => el("th", {}, m("col_" + h)))),
            ...result.imports.map((f) => el("tr", {}, el("td", {}, window.Lobby.M["table_" + f.table] ? m("table_" + f.table) : f.table),
              el("td", {}, f.read), el("td", {}, f.imported), el("td", {}, f.skipped), el("td", {}, f.rejected)))));
        confirmBox.hidden = true;
        closeButton.hidden = false;
        refresh();
      } finally { button.disabled = false; }
    });
    for (const kind of ["kiosk", "display"]) {
      document.getElementById(`btn-${kind}`).addEventListener("click", async () => {
        const made = await api("POST", `${B}/devices`, { kind, name: m("device_" + kind) }, window.Lobby.newKey());
        const link = `${location.origin}${made.activate_url}`;
        document.getElementById("device-link").replaceChildren(el("p", { class: "alert alert-ok" }, m("device_link"), " ", el("a", { href: link }, link)));
        refresh();
      });
    }
    window.__refresh = refresh;
    refresh();
  }

  const pages = { tablet, window: windowPage, setup: setupPage };
  const start = pages[body.dataset.page];
  if (start) start().catch((error) => console.error(error));
})();
