/* smartcounter lobby pages: talk to the REST API, refresh on server-sent events.
   No framework and no external script: everything is served from the package. */
(() => {
  "use strict";
  const M = JSON.parse(document.getElementById("messages").textContent || "{}");
  const body = document.body;
  const branch = body.dataset.branch;
  const lang = body.dataset.lang || "zh";
  const perms = new Set((body.dataset.perms || "").split(" ").filter(Boolean));
  const role = body.dataset.role || "";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const B = `/branches/${encodeURIComponent(branch)}`;

  const m = (key, params = {}) =>
    (M[key] || key).replace(/\{(\w+)\}/g, (_, k) => (params[k] === undefined ? "" : String(params[k])));

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  let toastTimer = null;
  function toast(text, error = false) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.className = "toast" + (error ? " error" : "");
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, error ? 6000 : 3000);
  }

  async function api(method, path, payload) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    if (method !== "GET") options.headers["X-CSRF-Token"] = csrf;
    const url = `/api${path}${path.includes("?") ? "&" : "?"}lang=${lang}`;
    const response = await fetch(url, options);
    if (response.status === 401 && !body.classList.contains("page-kiosk") && !body.classList.contains("page-display")) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      throw new Error("unauthenticated");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = (data && data.detail) || response.statusText;
      toast(detail, true);
      throw new Error(detail);
    }
    return data;
  }

  function live(refresh) {
    let timer = null;
    const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 150); };
    const badge = document.getElementById("live");
    const source = new EventSource(`/api${B}/events`);
    source.addEventListener("change", () => { if (badge) badge.hidden = false; soon(); });
    source.addEventListener("error", () => { if (badge) badge.hidden = true; });
    // Belt and braces: a slow poll in case a proxy swallows the stream.
    setInterval(refresh, 30000);
    refresh();
  }

  const queueBadge = (kind, name) => el("span", { class: `badge ${kind}` }, name);
  const waitText = (t) =>
    t.position ? [m("position", { n: t.position }), t.wait_minutes === null ? m("wait_unknown") : m("wait", { minutes: t.wait_minutes })].join(" · ") : t.status_name;
  const itemsText = (items) => items.map((i) => i.name).join("、");
  const pendingMigratable = (t, route) => t.items.filter((i) => i.status === "pending" && i.migratable && (!route || i.route === route));

  let catalogue = null;
  async function loadCatalogue() {
    if (!catalogue) catalogue = await api("GET", "/catalogue");
    return catalogue;
  }
  function reasonOptions(select, chosen = "customer_declined") {
    select.replaceChildren(...catalogue.reasons.map((r) => el("option", { value: r.code, selected: r.code === chosen }, r.name)));
  }

  function promptsOf(ticket, actions) {
    return ticket.prompts.map((p) => {
      const row = el("div", { class: `prompt ${p.action || ""}` }, p.text);
      if (p.action === "refer_wealth" && actions && perms.has("ticket.refer")) {
        row.append(" ", ticket.referrals
          ? el("span", { class: "badge wealth" }, m("referred"))
          : el("button", { class: "btn btn-sm", onclick: () => act(`/tickets/${ticket.id}/referrals`, { kind: "wealth" }, m("referred")) }, m("refer")));
      }
      return row;
    });
  }

  async function act(path, payload, done) {
    await api("POST", `${B}${path}`, payload);
    if (done) toast(done);
    if (window.__refresh) window.__refresh();
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
    reasonOptions(stage1.querySelector("select"));
    const sync = () => {
      const any = [...chosen].some((c) => catalogue.business.find((b) => b.code === c).migratable);
      stage1.hidden = !(any && perms.has("triage.stage1"));
      reasonRow.hidden = stage1.querySelector('input[value="declined"]').checked === false;
    };
    for (const [title, list] of groups) {
      chips.append(el("div", { class: "chip-group" }, title));
      for (const b of list) {
        const chip = el("span", { class: `chip ${b.cash ? "cash" : ""}`, dataset: { code: b.code }, role: "button", tabindex: "0" }, b.name);
        chip.addEventListener("click", () => { chip.classList.toggle("on"); chip.classList.contains("on") ? chosen.add(b.code) : chosen.delete(b.code); sync(); });
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
        payload.triage = { outcome, reason: outcome === "declined" ? data.get("stage1_reason") : null };
      }
      const ticket = await api("POST", `${B}/tickets`, payload);
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
    window.__refresh = refresh;
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
    const card = el("div", { class: "ticket", dataset: { ticket: t.ticket_no } },
      el("div", { class: "ticket-head" },
        el("span", { class: "ticket-no" }, t.ticket_no),
        queueBadge(t.queue, t.queue_name),
        t.follow_up ? el("span", { class: "badge follow" }, m("follow_up")) : null,
        el("span", { class: "wait" }, waitText(t))),
      el("div", { class: "ticket-body" },
        itemsText(t.items),
        t.age_band || t.customer_tier ? el("span", { class: "route" }, ` · ${[t.age_band, t.customer_tier ? m("tier_" + t.customer_tier) : null].filter(Boolean).join(" · ")}`) : null),
      ...t.notices.map((n) => el("div", { class: "prompt" }, n)),
      ...promptsOf(t, true));
    const actions = el("div", { class: "ticket-actions" });
    if (perms.has("triage.stage2")) {
      if (pendingMigratable(t, "teller").length) {
        actions.append(el("button", { class: "btn btn-sm btn-success", onclick: () => act(`/tickets/${t.id}/triage`, { stage: 2, outcome: "accepted" }, m("moved_to_stm")) }, m("stage2_accept")));
      }
      if (pendingMigratable(t, "stm").length) {
        const reason = el("select", { class: "reason-select" });
        reasonOptions(reason);
        actions.append(reason, el("button", { class: "btn btn-sm", onclick: () => act(`/tickets/${t.id}/triage`, { stage: 2, outcome: "declined", reason: reason.value }, m("moved_to_teller")) }, m("stage2_decline")));
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
        el("button", { class: "btn btn-sm btn-success", onclick: () => decide(a.id, true) }, m("approve")),
        el("button", { class: "btn btn-sm btn-warn", onclick: () => decide(a.id, false) }, m("reject"))));
    }
    return card;
  }

  async function decide(id, approve) {
    await api("POST", `${B}/authorisations/${id}/decision`, { approve });
    toast(approve ? m("approved") : m("rejected"));
    window.__refresh();
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
        if (s !== p.status) buttons.append(el("button", { class: "btn btn-sm", onclick: () => setStatus(p.id, s) }, m("set_" + s)));
      }
      row.append(buttons);
    }
    return row;
  }

  async function setStatus(pointId, status) {
    await api("PUT", `${B}/points/${pointId}/status`, { status });
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
    select.addEventListener("change", () => { localStorage.setItem(`point:${branch}`, select.value); refresh(); });
    reasonOptions(document.getElementById("stage3-reason"));
    reasonOptions(document.getElementById("complete-reason"), "customer_declined");
    let current = null;
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
    };

    function renderCurrent(p) {
      const number = document.getElementById("current-number");
      const meta = document.getElementById("current-meta");
      const items = document.getElementById("current-items");
      const promptsBox = document.getElementById("current-prompts");
      const authBox = document.getElementById("current-auth");
      const t = current;
      number.textContent = t ? t.ticket_no : "—";
      meta.replaceChildren(...(t ? [el("div", {}, queueBadge(t.queue, t.queue_name), " ", el("span", { class: "badge" }, t.status_name)),
        el("div", { class: "muted" }, [t.customer_id, t.age_band, t.customer_tier ? m("tier_" + t.customer_tier) : null, t.recalls ? m("recalls", { n: t.recalls }) : null].filter(Boolean).join(" · ")),
        t.follow_up ? el("span", { class: "badge follow" }, m("follow_up")) : null] : [el("span", { class: "muted" }, m("idle"))]).filter(Boolean));
      items.replaceChildren(...(t ? t.items.map((i) => el("div", { class: `item ${i.status}` },
        queueBadge(i.route, m("route_" + i.route)), i.name, i.reason_name ? el("span", { class: "reason" }, i.reason_name) : null)) : []));
      promptsBox.replaceChildren(...(t ? promptsOf(t, true) : []));
      authBox.replaceChildren(...(t ? t.authorisations.map((a) => el("div", { class: `auth-state ${a.status}` }, m("auth_" + a.status, { business: a.business_name }))) : []));
      const atTeller = p.kind !== "stm";
      const migratableHere = t ? pendingMigratable(t, p.kind).filter((i) => !i.reason) : [];
      document.getElementById("stage3").hidden = !(t && atTeller && perms.has("triage.stage3") && pendingMigratable(t).length);
      document.getElementById("complete-reason-label").hidden = !(t && atTeller && migratableHere.length);
      document.getElementById("btn-call").disabled = Boolean(t);
      for (const id of ["btn-recall", "btn-noshow"]) document.getElementById(id).disabled = !t || t.status !== "called";
      document.getElementById("btn-start").disabled = !t || t.status !== "called";
      document.getElementById("btn-complete").disabled = !t;
      document.getElementById("btn-transfer").disabled = !t;
    }

    const on = (id, fn) => document.getElementById(id).addEventListener("click", fn);
    on("btn-call", async () => {
      const result = await api("POST", `${B}/points/${pointId()}/call-next`);
      toast(result.ticket ? m("called", { no: result.ticket.ticket_no }) : m("queue_empty"));
      refresh();
    });
    on("btn-recall", () => current && act(`/tickets/${current.id}/recall`, undefined, m("recalled")));
    on("btn-start", () => current && act(`/tickets/${current.id}/start`));
    on("btn-noshow", () => current && act(`/tickets/${current.id}/no-show`, undefined, m("no_show_done")));
    on("btn-stage3-accept", () => current && act(`/tickets/${current.id}/triage`, { stage: 3, outcome: "accepted" }, m("moved_to_stm")));
    on("btn-stage3-decline", () => current && act(`/tickets/${current.id}/triage`, { stage: 3, outcome: "declined", reason: document.getElementById("stage3-reason").value }));
    on("btn-transfer", () => {
      const queue = document.getElementById("transfer-queue").value;
      if (current && queue) act(`/tickets/${current.id}/transfer`, { queue }, m("transferred"));
    });
    on("btn-complete", () => {
      if (!current) return;
      const label = document.getElementById("complete-reason-label");
      const payload = label.hidden ? {} : { reason: document.getElementById("complete-reason").value };
      act(`/tickets/${current.id}/complete`, payload, m("completed", { no: current.ticket_no }));
    });
    window.__refresh = refresh;
    live(refresh);
  }

  // -- set-up (director) -------------------------------------------------------------------
  async function setupPage() {
    const today = new Date();
    const dateBox = document.getElementById("close-date");
    dateBox.value = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
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
          el("td", {}, d.revoked ? "" : el("button", { class: "btn btn-sm btn-warn", onclick: () => api("DELETE", `${B}/devices/${d.id}`).then(refresh) }, m("revoke"))))));
      }
      if (perms.has("audit.view")) {
        const entries = await api("GET", `${B}/audit?limit=40`);
        document.getElementById("audit-table").replaceChildren(
          el("tr", {}, ...["time", "actor", "action", "target"].map((h) => el("th", {}, m("col_" + h)))),
          ...entries.map((e) => el("tr", {}, el("td", {}, e.ts.replace("T", " ").slice(0, 19)), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.target || ""))));
      }
    };
    document.getElementById("point-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(event.target);
      await api("POST", `${B}/points`, { kind: data.get("kind"), code: data.get("code"), name: data.get("name") });
      event.target.reset();
      refresh();
    });
    document.getElementById("btn-close-day").addEventListener("click", async (event) => {
      event.target.disabled = true;
      try {
        const result = await api("POST", `${B}/close-day`, { day: dateBox.value || null });
        const c = result.closures[0];
        const box = document.getElementById("close-result");
        box.replaceChildren(
          el("p", { class: "alert alert-ok", id: "close-ok" }, m("closed_day", { day: result.day, visits: c.visits, transactions: c.transactions, migrated: c.migrated, migratable: c.migratable })),
          el("table", { class: "table small" },
            el("tr", {}, ...["table", "read", "imported", "skipped", "rejected"].map((h) => el("th", {}, m("col_" + h)))),
            ...result.imports.map((f) => el("tr", {}, el("td", {}, f.table), el("td", {}, f.read), el("td", {}, f.imported), el("td", {}, f.skipped), el("td", {}, f.rejected)))));
        refresh();
      } finally { event.target.disabled = false; }
    });
    for (const kind of ["kiosk", "display"]) {
      document.getElementById(`btn-${kind}`).addEventListener("click", async () => {
        const device = await api("POST", `${B}/devices`, { kind, name: m("device_" + kind) });
        const link = `${location.origin}${device.activate_url}`;
        document.getElementById("device-link").replaceChildren(el("p", { class: "alert alert-ok" }, m("device_link"), " ", el("a", { href: link }, link)));
        refresh();
      });
    }
    window.__refresh = refresh;
    refresh();
  }

  // -- ticket kiosk ----------------------------------------------------------------------
  async function kiosk() {
    await loadCatalogue();
    const grid = document.getElementById("kiosk-grid");
    const take = document.getElementById("kiosk-take");
    const chosen = new Set();
    for (const b of catalogue.business) {
      const button = el("button", { class: "kiosk-btn", type: "button", dataset: { code: b.code } }, b.name,
        el("span", { class: "hint" }, b.migratable ? m("hint_stm") : b.cash ? m("hint_cash") : m("hint_counter")));
      button.addEventListener("click", () => {
        button.classList.toggle("on");
        button.classList.contains("on") ? chosen.add(b.code) : chosen.delete(b.code);
        take.disabled = chosen.size === 0;
        document.getElementById("kiosk-selected").textContent = chosen.size ? m("selected", { n: chosen.size }) : "";
      });
      grid.append(button);
    }
    let hide = null;
    take.addEventListener("click", async () => {
      take.disabled = true;
      try {
        const ticket = await api("POST", `${B}/tickets`, { business: [...chosen] });
        const box = document.getElementById("kiosk-ticket");
        box.replaceChildren(el("div", { class: "muted" }, m("your_number")), el("div", { class: "num" }, ticket.ticket_no),
          el("div", {}, queueBadge(ticket.queue, ticket.queue_name), " ", waitText(ticket)),
          ...ticket.notices.map((n) => el("div", { class: "prompt" }, n)));
        box.hidden = false;
        clearTimeout(hide);
        hide = setTimeout(() => { box.hidden = true; }, 15000);
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
    window.__refresh = refresh;
    live(refresh);
  }

  // -- calling display -------------------------------------------------------------------
  function display() {
    const clock = document.getElementById("clock");
    // The branch's own time, from the server: the display's clock may be set to anything.
    let offset = 0;
    const pad = (n) => String(n).padStart(2, "0");
    const tick = () => {
      const now = new Date(Date.now() + offset);
      clock.textContent = `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
    };
    setInterval(tick, 1000);
    let lastKey = "";
    const refresh = async () => {
      const board = await api("GET", `${B}/board`);
      offset = Date.parse(board.now.slice(0, 19) + "Z") - Date.now();
      tick();
      const first = board.calling[0];
      const number = document.getElementById("now-number");
      number.textContent = first ? first.ticket_no : "—";
      document.getElementById("now-point").textContent = first ? m("please_go", { point: first.point_name }) : m("no_calling");
      const key = first ? `${first.ticket_no}@${first.called_at}` : "";
      if (key && key !== lastKey) { number.classList.remove("flash"); void number.offsetWidth; number.classList.add("flash"); }
      lastKey = key;
      const earlier = board.calling.slice(1, 7);
      document.getElementById("calling-table").replaceChildren(
        el("tr", {}, el("th", { colspan: "2" }, m("recent_calls"))),
        ...(earlier.length ? earlier.map((c) => el("tr", {}, el("td", {}, c.ticket_no), el("td", {}, c.point_name)))
          : [el("tr", {}, el("td", { colspan: "2", class: "muted" }, m("no_recent_calls")))]));
      document.getElementById("display-queues").replaceChildren(...board.queues.map((q) => el("div", { class: "display-queue" },
        el("div", {}, `${q.name} (${q.prefix})`), el("div", { class: "n" }, m("people", { n: q.waiting })),
        el("div", {}, q.wait_minutes === null ? m("wait_unknown") : m("wait_new", { minutes: q.wait_minutes })),
        ...q.notices.map((n) => el("div", { class: "notice" }, n)))));
      const notices = board.queues.flatMap((q) => q.notices);
      const banner = document.getElementById("display-notice");
      banner.textContent = notices.join("　");
      banner.hidden = notices.length === 0;
    };
    window.__refresh = refresh;
    live(refresh);
  }

  const pages = { tablet, window: windowPage, setup: setupPage, kiosk, display };
  const start = pages[body.dataset.page];
  if (start) start().catch((error) => console.error(error));
})();
