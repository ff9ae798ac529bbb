"""``simulate --out FILE.html``: a what-if as one self-contained page.

The page holds the what-if's two charts by hour (migration rate, waits), its summary and
settings (``views.whatif``, the same fragment the director's dashboard shows), with its
styles inline: no script, no font file, no address outside the page.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from smartcounter.i18n import Lang, Translator
from smartcounter.simulation.service import WhatIfReport
from smartcounter.views.whatif import WhatIfWords, whatif_view

CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f5f7fa; color: #1d2733;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "PingFang SC",
    "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; line-height: 1.5; }
main { max-width: 1340px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 16px; }
.whatif-charts { display: flex; flex-wrap: wrap; gap: 18px; }
.whatif-chart { flex: 1 1 600px; margin: 0; background: #fff; border: 1px solid #e4e8ee;
  border-radius: 8px; padding: 14px 14px 8px; }
.whatif-chart figcaption { font-weight: bold; margin-bottom: 6px; }
.whatif-chart svg { width: 100%; height: auto; max-width: 100%; }
.chart text { font-family: inherit; }
.whatif-note { color: #5b6675; font-size: 12.5px; margin: 6px 0 0; }
.whatif-tables { display: flex; flex-wrap: wrap; gap: 18px; margin-top: 18px;
  align-items: flex-start; }
.whatif-table { background: #fff; border: 1px solid #e4e8ee; border-radius: 8px;
  border-collapse: separate; border-spacing: 0; flex: 1 1 320px; }
.whatif-summary { flex: 3 1 640px; }
.whatif-table th[scope=row] { white-space: nowrap; }
.whatif-table caption { text-align: left; font-weight: bold; padding: 0 0 6px; }
.whatif-table th, .whatif-table td { padding: 6px 12px; border-bottom: 1px solid #eef1f5;
  text-align: left; vertical-align: top; }
.whatif-table thead th { color: #5b6675; font-weight: normal; font-size: 12.5px; }
.whatif-table .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.whatif-table tr.changed td:last-child { color: #b7802a; font-weight: bold; }
.whatif-narrow { display: none; }
@media (max-width: 600px) { .whatif-wide { display: none; } .whatif-narrow { display: block; }
  main { padding: 14px 10px 28px; } }
@media print { body { background: #fff; } main { padding: 0; }
  .whatif-chart, .whatif-table { break-inside: avoid; } }
"""


def render_page(report: WhatIfReport, lang: Lang) -> str:
    """The what-if of ``report`` as one HTML document in ``lang``."""
    t = Translator(lang)
    words = WhatIfWords(lang)
    view = whatif_view(report)
    title = t("whatif.page_title", branch=view.name)
    html_lang = "zh-CN" if lang is Lang.ZH else "en"
    body = Markup(
        '<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>{title}</title>\n<style>{css}</style>\n</head>\n<body>\n<main>\n"
        "<h1>{heading}</h1>\n{fragment}\n</main>\n</body>\n</html>\n"
    ).format(
        lang=html_lang,
        title=title,
        css=Markup(CSS),
        heading=t("whatif.title", branch=view.name),
        fragment=words.fragment(view),
    )
    return str(body)


def write_page(report: WhatIfReport, lang: Lang, path: Path) -> Path:
    """Write the page to ``path`` (its folder made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(report, lang), encoding="utf-8")
    return path
