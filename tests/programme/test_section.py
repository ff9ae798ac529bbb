"""The bulletin's programme section: typed data, in Chinese by default and English on request."""

from __future__ import annotations

from smartcounter.i18n import Lang
from smartcounter.programme.service import (
    ProgrammeSection,
    programme_section,
    propose_pairs,
)
from tests.programme.network import pairing_network
from tests.store_database_kit import save_pairs_of

WEEKS = (
    "2018-W03",
    "2018-W04",
    "2018-W05",
    "2018-W06",
    "2018-W07",
    "2018-W08",
    "2018-W09",
    "2018-W10",
)


class TestSection:
    def test_proposed_pairs_before_any_is_saved(self, build, settings):
        store = build(pairing_network(weeks=WEEKS))
        section = programme_section(store=store, settings=settings, week="2018-W10", lang="zh")
        assert isinstance(section, ProgrammeSection)
        assert section.lang is Lang.ZH and section.title == "树典型、结对子与会诊"
        assert {b.branch_id for b in section.benchmarks} == {"A1", "A2"}
        assert not section.pairs_saved and section.notes
        pairs = {p.branch_id: p for p in section.pairs}
        assert set(pairs) == {"L1", "L2"} and all(p.pair_id is None for p in pairs.values())
        l1 = pairs["L1"]
        assert l1.partner_branch_id == "A2"
        assert abs(l1.gap_points - l1.mix_points - l1.performance_points) < 1e-9
        assert l1.why and l1.findings and 1 <= len(l1.recommendations) <= 3
        assert l1.progress == ()

    def test_saved_pairs_with_progress_in_english(self, build, metrics_of, settings):
        store = build(pairing_network(weeks=WEEKS))
        report = propose_pairs(metrics=metrics_of(store), settings=settings, week="2018-W09")
        save_pairs_of(store, report)
        section = programme_section(store=store, settings=settings, week="2018-W10", lang=Lang.EN)
        assert section.pairs_saved and section.title == "Benchmarks, pairs and gap diagnosis"
        for p in section.pairs:
            assert p.pair_id is not None and p.start_week == "2018-W09"
            assert [w.week for w in p.progress] == ["2018-W09", "2018-W10"]
            assert all(abs(w.gap_points - 35.0) < 1e-9 for w in p.progress)
            assert p.baseline_gap_points is not None and abs(p.baseline_gap_points - 35.0) < 1e-9
            assert p.why[0].startswith("lagging:")


class TestInTheBulletin:
    def test_the_chapter_is_in_the_html_and_the_workbook(self, build, settings, tmp_path):
        from openpyxl import load_workbook

        from smartcounter.bulletin import BulletinFormat, build_bulletin
        from smartcounter.bulletin.sections import default_providers
        from smartcounter.programme.bulletin import bulletin_sections

        assert default_providers() == (bulletin_sections,)
        store = build(pairing_network(weeks=WEEKS))
        paths = build_bulletin(
            store,
            settings,
            "2018-W10",
            tmp_path / "out",
            formats=(BulletinFormat.HTML, BulletinFormat.XLSX),
        )
        assert paths.html is not None and paths.xlsx is not None
        html = paths.html.read_text("utf-8")
        assert 'id="x-programme"' in html and "树典型、结对子与会诊" in html
        assert "改进措施（每对最多三项）" in html and "L1支行" in html
        book = load_workbook(paths.xlsx)
        assert any(name.startswith("结对帮扶") for name in book.sheetnames)
