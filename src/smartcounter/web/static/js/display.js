/* The calling display (叫号屏): the number called now, the recent calls, the queues, and the call
   spoken aloud — a chime (shipped with the package) then "请 A001 号到 3号窗口" by the browser's
   speech synthesis. Without a voice for the language the chime alone is the call (rung twice).
   Browsers keep pages silent until a user gesture: a display in kiosk mode is started with
   --autoplay-policy=no-user-gesture-required; otherwise one tap on "enable sound" is needed. */
(() => {
  "use strict";
  const { m, el, api, live, lang, B } = window.Lobby;
  const RECENT_SHOWN = 6;
  const CHIME_MS = 1400;
  const speechLang = lang === "en" ? "en-US" : "zh-CN";
  const chime = new Audio("/static/audio/chime.wav");
  chime.preload = "auto";

  const synth = window.speechSynthesis || null;
  const hasVoice = () => {
    if (!synth) return false;
    const prefix = speechLang.slice(0, 2);
    return synth.getVoices().some((v) => String(v.lang || "").replace("_", "-").toLowerCase().startsWith(prefix));
  };

  function showSoundButton() {
    const button = document.getElementById("sound-on");
    if (button) button.hidden = false;
  }

  // Play the chime; resolve when it has ended (or would have: a missing audio device never ends it).
  function ring() {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); chime.removeEventListener("ended", done); resolve(); };
      const timer = setTimeout(done, CHIME_MS);
      chime.addEventListener("ended", done);
      try {
        chime.currentTime = 0;
        const playing = chime.play();
        if (playing && playing.catch) playing.catch(() => { showSoundButton(); });
      } catch (_) {
        showSoundButton();
      }
    });
  }

  function say(text) {
    return new Promise((resolve) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = speechLang;
      utterance.rate = 0.9;
      const voice = synth.getVoices().find((v) => String(v.lang || "").replace("_", "-").toLowerCase() === speechLang.toLowerCase());
      try { if (voice) utterance.voice = voice; } catch (_) { /* not a real voice object */ }
      // A voice that never reports its end must not hold the next call back.
      const timer = setTimeout(resolve, 8000);
      utterance.onend = () => { clearTimeout(timer); resolve(); };
      utterance.onerror = () => { clearTimeout(timer); resolve(); };
      synth.speak(utterance);
    });
  }

  // Calls are announced one after another, in the order they were made.
  let announcing = Promise.resolve();
  function announce(call) {
    const text = m(call.repeat ? "voice_recall" : "voice_call", { no: call.ticket_no, point: call.point_name });
    announcing = announcing.then(async () => {
      await ring();
      if (hasVoice()) {
        await say(text);
      } else {
        if (synth) await say(text); // the browser may still find a voice; harmless if not
        await ring();
      }
    });
    return announcing;
  }

  function display() {
    const clock = document.getElementById("clock");
    document.getElementById("sound-on").addEventListener("click", (event) => {
      event.currentTarget.hidden = true;
      chime.play().catch(() => {});
    });
    // The branch's own time, from the server: the display's clock may be set to anything.
    let offset = 0;
    const pad = (n) => String(n).padStart(2, "0");
    const tick = () => {
      const now = new Date(Date.now() + offset);
      clock.textContent = `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
    };
    setInterval(tick, 1000);
    let lastId = null;
    let lastKey = "";
    const refresh = async () => {
      const [board, calls] = await Promise.all([
        api("GET", `${B}/board`),
        api("GET", `${B}/calls?limit=${RECENT_SHOWN * 2}`).catch(() => null),
      ]);
      offset = Date.parse(board.now.slice(0, 19) + "Z") - Date.now();
      tick();
      // Without the calls feed (an older server), fall back to the board's numbers at a point.
      const list = calls || board.calling.map((c, i) => ({ id: null, ticket_no: c.ticket_no, point_name: c.point_name, called_at: c.called_at, repeat: c.recalls > 0, key: i }));
      const first = list[0];
      const number = document.getElementById("now-number");
      number.textContent = first ? first.ticket_no : "—";
      document.getElementById("now-point").textContent = first ? m("please_go", { point: first.point_name }) : m("no_calling");
      const key = first ? `${first.id}:${first.ticket_no}@${first.called_at}` : "";
      if (key && key !== lastKey) { number.classList.remove("flash"); void number.offsetWidth; number.classList.add("flash"); }
      lastKey = key;
      if (calls) {
        // Announce the calls made since the last look; on opening, announce nothing old.
        const newest = calls.length ? calls[0].id : 0;
        if (lastId !== null) calls.filter((c) => c.id > lastId).reverse().forEach(announce);
        lastId = Math.max(lastId || 0, newest);
      }
      const seen = new Set(first ? [first.ticket_no] : []);
      const earlier = [];
      for (const c of list.slice(1)) {
        if (seen.has(c.ticket_no)) continue;
        seen.add(c.ticket_no);
        earlier.push(c);
        if (earlier.length === RECENT_SHOWN) break;
      }
      document.getElementById("calling-table").replaceChildren(
        el("tr", {}, el("th", { colspan: "2" }, m("recent_calls"))),
        ...(earlier.length ? earlier.map((c) => el("tr", { class: "recent-call" }, el("td", { class: "no" }, c.ticket_no), el("td", {}, c.point_name)))
          : [el("tr", {}, el("td", { colspan: "2", class: "muted" }, m("no_recent_calls")))]));
      document.getElementById("display-queues").replaceChildren(...board.queues.map((q) => el("div", { class: "display-queue" },
        el("div", { class: "q" }, `${q.name} (${q.prefix})`), el("div", { class: "n" }, m("people", { n: q.waiting })),
        el("div", {}, q.wait_minutes === null ? m("wait_unknown") : m("wait_new", { minutes: q.wait_minutes })),
        ...q.notices.map((n) => el("div", { class: "notice" }, n)))));
      const notices = board.queues.flatMap((q) => q.notices);
      const banner = document.getElementById("display-notice");
      banner.textContent = notices.join("　");
      banner.hidden = notices.length === 0;
    };
    live(refresh);
  }

  // Voices load after the page in Chromium; asking once starts the loading.
  if (synth) synth.getVoices();
  display();
})();
