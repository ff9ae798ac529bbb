"""The bulletin as one self-contained HTML file: Jinja2 templates, inline CSS and SVG.

Nothing is fetched: no script, no font file, no image outside the page; the charts are
inline SVG. The stylesheet's ``@media print`` part makes a browser's own printout
readable (A4, a chapter to a page); the PDF itself is laid out by ``bulletin.pdf`` from
the same content, words and charts.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from smartcounter.bulletin import charts
from smartcounter.bulletin.chapters import branch_anchor, cell_text, outline
from smartcounter.bulletin.content import BranchPage, BranchRow, BulletinContent
from smartcounter.bulletin.figures import Figures
from smartcounter.bulletin.formats import Formats, capital
from smartcounter.bulletin.sections import CellKind
from smartcounter.bulletin.words import Words
from smartcounter.i18n import Lang
from smartcounter.settings import BulletinSettings


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("smartcounter.bulletin", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The bulletin's CSS (screen, phone and print)."""
    return (resources.files("smartcounter.bulletin") / "templates" / "bulletin.css").read_text(
        "utf-8"
    )


VOLUME_NAME = "branches.html"


def render_html(content: BulletinContent, config: BulletinSettings) -> str:
    """The bulletin as one HTML document (no external reference of any kind).

    Branch names link to their pages in the volume of branch pages beside it.
    """
    return _render("bulletin.html.j2", content, config, volume=VOLUME_NAME)


def render_volume_html(content: BulletinContent, config: BulletinSettings) -> str:
    """The volume of branch pages (网点分册): every branch's page, with an index."""
    return _render("branches.html.j2", content, config)


def render_branch_html(content: BulletinContent, config: BulletinSettings, page: BranchPage) -> str:
    """One branch's page as a document of its own, to send to that branch."""
    return _render("branch.html.j2", content, config, page=page)


def _render(name: str, content: BulletinContent, config: BulletinSettings, **extra: object) -> str:
    f = Formats(content.lang)
    words = Words(content, f)
    chapters = outline(content, f)
    template = _environment().get_template(name)
    return template.render(
        c=content,
        cfg=config,
        f=f,
        t=f.t,
        w=words,
        charts=Figures(content, f),
        svg=charts.to_svg,
        chapters={ch.anchor: ch for ch in chapters},
        toc=chapters,
        css=Markup(stylesheet()),
        anchor=branch_anchor,
        cell=lambda value, kind: cell_text(value, kind, f),
        html_lang="en" if content.lang is Lang.EN else "zh-CN",
        numeric=(CellKind.COUNT, CellKind.DECIMAL, CellKind.RATE, CellKind.POINTS),
        row_class=_row_class,
        cap=capital,
        **{"volume": "", **extra},
    )


def _row_class(row: BranchRow, target: float) -> str:
    if row.rate.rate is None:
        return "nodata"
    return "below" if row.status.below else ""
