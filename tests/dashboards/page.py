"""A page's elements, found by their attributes: enough HTML parsing to read figures off a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    """An element with its attributes, children and text."""

    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text, its descendants' included, whitespace collapsed (SVG left out)."""
        if self.tag == "svg":
            return ""
        pieces = [*self.parts, *(c.text for c in self.children)]
        return " ".join(" ".join(pieces).split())

    def walk(self) -> list[Element]:
        """This element and every element inside it, in document order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Element]:
        """Elements below (or at) this one with ``tag`` and the given attributes.

        ``data_rate=True`` asks for the attribute ``data-rate`` to be present at all.
        """
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        found = []
        for el in self.walk():
            if tag is not None and el.tag != tag:
                continue
            if all(
                (k in el.attrs) if v is True else el.attrs.get(k) == v for k, v in wanted.items()
            ):
                found.append(el)
        return found

    def find(self, tag: str | None = None, **attrs: str | bool) -> Element:
        """The first element that ``find_all`` finds; fails the test if there is none."""
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(html: str) -> Element:
    """The document of ``html``."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
