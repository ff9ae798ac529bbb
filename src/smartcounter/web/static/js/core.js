/* smartcounter lobby pages, shared part: messages, the REST API with idempotency keys and
   safe retries, the connection banner, live refresh. Page scripts use window.Lobby.
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
  const device = body.classList.contains("page-kiosk") || body.classList.contains("page-display");
  const PROBE_MS = 2000;

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
    toastTimer = setTimeout(() => { box.hidden = true; }, error ? 8000 : 3000);
  }

  // One key per user action: a request retried after a fault carries the same key, so the
  // server answers it once. randomUUID needs a secure context; a LAN address over plain
  // HTTP is not one, so fall back to getRandomValues (available everywhere).
  function newKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // -- the connection ------------------------------------------------------------------------
  let online = true;
  let waiters = [];
  let probing = null;
  const onlineListeners = [];

  function setOnline(value) {
    if (value === online) return;
    online = value;
    body.classList.toggle("offline", !online);
    const banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = online;
    // Actions cannot reach the server: disable them rather than let a tap silently do nothing.
    for (const button of document.querySelectorAll("main button, main .chip, main .kiosk-btn")) {
      if (!online) {
        if (!button.disabled) { button.disabled = true; button.dataset.offline = "1"; }
      } else if (button.dataset.offline) {
        button.disabled = false;
        delete button.dataset.offline;
      }
    }
    if (online) {
      const ready = waiters; waiters = [];
      ready.forEach((resolve) => resolve());
      onlineListeners.forEach((fn) => fn());
    } else {
      startProbe();
    }
  }

  async function reachable() {
    try {
      const answer = await fetch(`/static/img/logo.svg?probe=${Date.now()}`, { cache: "no-store", credentials: "same-origin" });
      return answer.ok;
    } catch (_) {
      return false;
    }
  }

  function startProbe() {
    if (probing) return;
    probing = setInterval(async () => {
      if (await reachable()) { clearInterval(probing); probing = null; setOnline(true); }
    }, PROBE_MS);
  }

  const whenOnline = () => (online ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)));

  // -- messages of the API in the page's language ---------------------------------------------
  // The API's 422 answers carry pydantic's English; say the same thing in a sentence of the
  // page's language, naming the field as the page does.
  const PROBLEMS = [
    [/string_pattern_mismatch|should match pattern/i, "problem_format"],
    [/string_too_long|at most (\d+) character/i, "problem_too_long"],
    [/string_too_short|at least (\d+) character/i, "problem_too_short"],
    [/too_long|at most (\d+) item/i, "problem_too_many"],
    [/too_short|at least (\d+) item/i, "problem_too_few"],
    [/missing|field required/i, "problem_missing"],
    [/less_than_equal|less than or equal to (\S+)/i, "problem_too_big"],
    [/greater_than_equal|greater than or equal to (\S+)/i, "problem_too_small"],
    [/date|time/i, "problem_date"],
    [/int_|float_|number|integer/i, "problem_number"],
    [/extra_forbidden|extra inputs/i, "problem_extra"],
    [/bool_type|bool_parsing|valid boolean/i, "problem_boolean"],
    [/enum|literal|input should be/i, "problem_choice"],
  ];

  // A field may say what it accepts: problem_format_customer_id rather than problem_format.
  function problemText(error) {
    const text = `${error.type || ""} ${error.problem || error.msg || ""}`;
    for (const [pattern, key] of PROBLEMS) {
      const found = text.match(pattern);
      if (found) {
        const n = (error.ctx && (error.ctx.max_length || error.ctx.min_length || error.ctx.le || error.ctx.ge)) || (found[1] || "").replace(/[.,]$/, "");
        const own = `${key}_${fieldKey(error)}`;
        return m(M[own] ? own : key, { n });
      }
    }
    return m("problem_other");
  }

  function fieldKey(error) {
    const where = String(error.field || (error.loc || []).join(".")).split(".").filter((p) => p !== "body" && p !== "query" && p !== "path" && !/^\d+$/.test(p));
    for (let i = where.length - 1; i >= 0; i -= 1) {
      if (M["field_" + where[i]]) return where[i];
    }
    return "other";
  }

  const fieldName = (error) => m("field_" + fieldKey(error));

  function describe(data, status) {
    if (data && Array.isArray(data.errors) && (data.code === "validation" || status === 422)) {
      return data.errors.slice(0, 3).map((e) => m("invalid_field", { field: fieldName(e), problem: problemText(e) })).join(" ");
    }
    if (data && typeof data.detail === "string") return data.detail;
    return m("server_error", { status });
  }

  class ApiError extends Error {
    constructor(message, status, data) { super(message); this.status = status; this.data = data; }
  }

  // A proxy's "bad gateway" means the lobby service is down, not that the request was wrong.
  const GATEWAY = new Set([502, 503, 504]);

  async function api(method, path, payload, key) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = csrf;
      options.headers["Idempotency-Key"] = key || newKey();
    }
    const url = `/api${path}${path.includes("?") ? "&" : "?"}lang=${lang}`;
    for (;;) {
      await whenOnline();
      let response;
      try {
        response = await fetch(url, options);
      } catch (_) {
        setOnline(false);
        continue;
      }
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (GATEWAY.has(response.status) && !(data && data.code)) {
        setOnline(false);
        continue;
      }
      setOnline(true);
      if (response.status === 401 && !device) {
        location.href = "/login?next=" + encodeURIComponent(location.pathname);
        throw new ApiError(m("server_error", { status: 401 }), 401, data);
      }
      if (!response.ok) {
        const message = describe(data, response.status);
        toast(message, true);
        throw new ApiError(message, response.status, data);
      }
      return data;
    }
  }

  // One user action: one key, kept across retries; the button is busy until the answer.
  async function act(path, payload, done, button) {
    if (button) button.disabled = true;
    try {
      await api("POST", `${B}${path}`, payload, newKey());
      if (done) toast(done);
    } finally {
      if (button && online) button.disabled = false;
    }
    if (window.__refresh) window.__refresh();
  }

  function live(refresh) {
    let timer = null;
    let running = null;
    let again = false;
    const run = async () => {
      if (running) { again = true; return running; }
      running = (async () => {
        try { await refresh(); } catch (error) { console.error(error); }
      })();
      await running;
      running = null;
      if (again) { again = false; run(); }
      return null;
    };
    const soon = () => { clearTimeout(timer); timer = setTimeout(run, 150); };
    const badge = document.getElementById("live");
    const source = new EventSource(`/api${B}/events`);
    source.addEventListener("change", () => { if (badge) badge.hidden = false; soon(); });
    // The stream also ends normally (it reconnects by itself): only a failed probe is a fault.
    source.addEventListener("error", async () => {
      if (badge) badge.hidden = true;
      if (!(await reachable())) setOnline(false);
    });
    source.addEventListener("open", () => soon());
    onlineListeners.push(soon);
    // Belt and braces: a slow poll in case a proxy swallows the stream.
    setInterval(run, 30000);
    window.__refresh = run;
    return run();
  }

  const queueBadge = (kind, name) => el("span", { class: `badge ${kind}` }, name);
  const waitText = (t) =>
    t.position ? [m("position", { n: t.position }), t.wait_minutes === null ? m("wait_unknown") : m("wait", { minutes: t.wait_minutes })].join(" · ") : t.status_name;
  const itemsText = (items) => items.map((i) => i.name).join("、");
  const customerText = (t) => t.customer_masked || t.customer_id || null;

  window.Lobby = {
    M, m, el, toast, api, act, live, newKey, describe, whenOnline,
    body, branch, lang, perms, role, B, queueBadge, waitText, itemsText, customerText,
    isOnline: () => online,
  };
})();
