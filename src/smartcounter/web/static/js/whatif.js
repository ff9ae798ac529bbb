/* The director's what-if: send the form, poll the job, show its charts when done. */
(() => {
  "use strict";
  const form = document.getElementById("whatif-form");
  if (!form || !window.Lobby) return;
  const { api, m } = window.Lobby;
  const status = document.getElementById("whatif-status");
  const button = document.getElementById("whatif-run");
  const card = document.getElementById("whatif-result-card");
  const result = document.getElementById("whatif-result");
  const path = `/branches/${encodeURIComponent(form.dataset.branch)}/whatif`;
  const POLL_MS = 1000;

  function say(text, kind) {
    status.textContent = text;
    status.className = `whatif-status ${kind || ""}`;
  }

  function changes() {
    const whole = (name) => Number.parseInt(form.elements[name].value || "0", 10) || 0;
    const choice = (name) => form.elements[name].value;
    const body = {
      smart_counters: whole("smart_counters"),
      specialists: whole("specialists"),
      tellers: whole("tellers"),
      triage_rounds: choice("triage_rounds") ? Number(choice("triage_rounds")) : null,
      cash_split: choice("cash_split") ? choice("cash_split") === "true" : null,
      replications: whole("replications") || 10,
    };
    return body;
  }

  function show(job) {
    if (job.state === "done") {
      result.innerHTML = job.html;  // the server's own markup: charts and tables
      card.hidden = false;
      say("", "");
      button.disabled = false;
      return true;
    }
    if (job.state === "failed") {
      say(job.message || m("whatif_failed", { message: "" }), "failed");
      button.disabled = false;
      return true;
    }
    const waiting = job.state === "queued" && job.ahead > 0;
    const text = waiting ? m("whatif_queued") : m("whatif_calculating", { done: `${Math.round(job.elapsed_s)} s` });
    say(text, "busy");
    return false;
  }

  async function poll(jobId) {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      let job;
      try {
        job = await api("GET", `${path}/${jobId}`);
      } catch (error) {
        say(error.message, "failed");
        button.disabled = false;
        return;
      }
      if (show(job)) return;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    say(m("whatif_calculating", { done: "0 s" }), "busy");
    const body = changes();
    try {
      const job = await api("POST", path, body);
      if (!show(job)) await poll(job.job_id);
    } catch (error) {
      say(error.message, "failed");
      button.disabled = false;
    }
  });
})();
