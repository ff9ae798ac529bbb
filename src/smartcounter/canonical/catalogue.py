"""The business catalogue and the reason codes: shipped defaults, a bank's own file over them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

# The spellings of data-format.md, in any case.
TRUE_WORDS = frozenset({"true", "1", "yes", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "否"})


def parse_bool(text: str) -> bool:
    """Read one of the boolean spellings of the canonical format."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean: {text!r}")


@dataclass(frozen=True)
class BusinessType:
    """One entry of the catalogue: can it move to a smart counter, does it involve cash."""

    code: str
    name_zh: str
    name_en: str | None
    migratable: bool
    cash: bool = False

    def name(self, lang: str) -> str:
        """Return the name in ``lang`` (zh or en), falling back to Chinese."""
        if lang == "en" and self.name_en:
            return self.name_en
        return self.name_zh


@dataclass(frozen=True)
class ReasonCode:
    """Why migratable business stayed at a teller window, or why triage was declined."""

    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        """Return the label in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh


class Catalogue(Mapping[str, BusinessType]):
    """The business types by code."""

    def __init__(self, entries: Iterable[BusinessType]) -> None:
        self._by_code = {e.code: e for e in entries}

    def __getitem__(self, code: str) -> BusinessType:
        return self._by_code[code]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def overridden_by(self, entries: Iterable[BusinessType]) -> Catalogue:
        """Return this catalogue with each given code replaced or added."""
        merged = dict(self._by_code)
        merged.update({e.code: e for e in entries})
        return Catalogue(merged.values())

    @property
    def migratable_codes(self) -> frozenset[str]:
        return frozenset(c for c, e in self._by_code.items() if e.migratable)

    @property
    def cash_codes(self) -> frozenset[str]:
        return frozenset(c for c, e in self._by_code.items() if e.cash)


def _read_rows(path: Path | None, default_name: str) -> list[dict[str, str]]:
    if path is None:
        text = (resources.files("smartcounter.canonical") / "data" / default_name).read_text(
            "utf-8"
        )
    else:
        text = path.read_text("utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load the shipped default catalogue, with a bank's own CSV (same columns) over it."""
    default = Catalogue(_business_type(r) for r in _read_rows(None, "business_types.csv"))
    if path is None:
        return default
    return default.overridden_by(_business_type(r) for r in _read_rows(path, ""))


def _business_type(row: dict[str, str]) -> BusinessType:
    return BusinessType(
        code=row["code"].strip(),
        name_zh=row["name_zh"].strip(),
        name_en=(row.get("name_en") or "").strip() or None,
        migratable=parse_bool(row["migratable"]),
        cash=parse_bool(row.get("cash") or "false"),
    )


def load_reasons() -> dict[str, ReasonCode]:
    """Load the reason codes, in their documented order."""
    rows = _read_rows(None, "reasons.csv")
    return {r["code"]: ReasonCode(r["code"], r["name_zh"], r["name_en"]) for r in rows}


REASONS: dict[str, ReasonCode] = load_reasons()
REASON_CODES: tuple[str, ...] = tuple(REASONS)
