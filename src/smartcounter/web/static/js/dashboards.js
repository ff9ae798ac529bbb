/* smartcounter dashboards: sortable tables and filters that apply on change.
   The pages work without it (filters have a submit button in <noscript>). */
(() => {
  "use strict";

  // Selects marked data-autosubmit send their form as soon as they change.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form && select.form.submit());
  }

  // Sortable tables: every cell of a sortable column carries its value in data-v.
  function sortBy(table, index, kind, descending) {
    const body = table.tBodies[0];
    const rows = [...body.rows].filter((r) => r.cells.length > index && r.cells[index].dataset.v !== undefined);
    const value = (row) => row.cells[index].dataset.v;
    const compare = kind === "num"
      ? (a, b) => Number(value(a)) - Number(value(b))
      : (a, b) => value(a).localeCompare(value(b), document.documentElement.lang || undefined);
    rows.sort((a, b) => (descending ? -compare(a, b) : compare(a, b)));
    body.append(...rows);
  }

  for (const table of document.querySelectorAll("table.sortable")) {
    const heads = [...table.tHead.rows[0].cells];
    heads.forEach((th, index) => {
      const kind = th.dataset.sort;
      if (!kind) return;
      th.tabIndex = 0;
      const activate = () => {
        // Rates read best largest first, ranks and names from the top; a second click turns it.
        const current = th.getAttribute("aria-sort");
        const first = th.dataset.first || (kind === "num" ? "descending" : "ascending");
        const next = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", next);
        sortBy(table, index, kind, next === "descending");
      };
      th.addEventListener("click", activate);
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); activate(); }
      });
    });
  }
})();
