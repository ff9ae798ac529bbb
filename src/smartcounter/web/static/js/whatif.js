/* The director's what-if and staffing optimisation: send a form, poll its job, show the
   charts when done. Both run in the background on the server; the optimisation counts the
   plans it has evaluated. */
(() => {
  "use strict";
  if (!window.Lobby) return;
  const { api, m } = window.Lobby;
  const POLL_MS = 1000;

  function jobForm(prefix, kind, body) {
    const form = document.getElementById(`${prefix}-form`);
    if (!form) return;
    const status = document.getElementById(`${prefix}-status`);
    const button = document.getElementById(`${prefix}-run`);
    const card = document.getElementById(`${prefix}-result-card`);
    const result = document.getElementById(`${prefix}-result`);
    const path = `/branches/${encodeURIComponent(form.dataset.branch)}/${kind}`;

    function say(text, state) {
      status.textContent = text;
      status.className = `whatif-status ${state || ""}`;
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
      const elapsed = `${Math.round(job.elapsed_s)} s`;
      let text;
      if (job.state === "queued" && job.ahead > 0) text = m("whatif_queued");
      else if (job.total > 0) text = m("whatif_evaluating", { done: job.done, total: job.total, elapsed });
      else text = m("whatif_calculating", { done: elapsed });
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
      try {
        const job = await api("POST", path, body(form));
        if (!show(job)) await poll(job.job_id);
      } catch (error) {
        say(error.message, "failed");
        button.disabled = false;
      }
    });
  }

  const whole = (form, name, fallback) => Number.parseInt(form.elements[name].value || "", 10) || fallback;
  const choice = (form, name) => form.elements[name].value;

  jobForm("whatif", "whatif", (form) => ({
    smart_counters: whole(form, "smart_counters", 0),
    specialists: whole(form, "specialists", 0),
    tellers: whole(form, "tellers", 0),
    triage_rounds: choice(form, "triage_rounds") ? Number(choice(form, "triage_rounds")) : null,
    cash_split: choice(form, "cash_split") ? choice(form, "cash_split") === "true" : null,
    replications: whole(form, "replications", 10),
  }));

  jobForm("optimise", "optimise", (form) => ({
    target_rate: whole(form, "target_rate", 90) / 100,
    max_wait_min: whole(form, "max_wait_min", 10),
    replications: whole(form, "replications", 8),
  }));
})();
