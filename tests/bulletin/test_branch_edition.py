"""A branch's own page (``--branch``): HTML and PDF a centre head can send to that branch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from smartcounter.bulletin import BulletinFormat, BulletinPaths, UnknownBranchError
from smartcounter.bulletin.formats import Formats
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics
from smartcounter.store.layout import Store
from tests.bulletin.conftest import SOURCE_BRANCHES, WEEK, BuildBulletin, Built
from tests.conftest import RunCli

BRANCH = "CZ-LJL"


@pytest.fixture(scope="module")
def edition(build: BuildBulletin) -> BulletinPaths:
    return build(
        Lang.ZH,
        sections=(),
        formats=(BulletinFormat.HTML, BulletinFormat.PDF),
        branches=[BRANCH],
    )


def _by_suffix(paths: BulletinPaths, suffix: str) -> Path:
    (found,) = [p for p in paths.branches if p.suffix == suffix]
    return found


class TestOneBranch:
    def test_files_named_for_the_branch_beside_the_bulletin(self, edition: BulletinPaths) -> None:
        assert [p.name for p in edition.branches] == [f"{BRANCH}.html", f"{BRANCH}.pdf"]
        assert all(p.parent.name == "branches" for p in edition.branches)
        assert edition.html is not None and edition.branches[0].parent.parent == edition.html.parent
        assert edition.written()[-2:] == list(edition.branches)

    def test_html_holds_only_that_branch_with_the_apis_figures(
        self, edition: BulletinPaths, metrics: Metrics
    ) -> None:
        html = _by_suffix(edition, ".html").read_text("utf-8")
        r = metrics.ranking(WEEK).filter(branch_id=BRANCH).row(0, named=True)
        f = Formats(Lang.ZH)
        assert html.count('class="branch"') == 1 and f'data-branch="{BRANCH}"' in html
        assert SOURCE_BRANCHES[BRANCH] in html
        assert SOURCE_BRANCHES["DY-XSK"] not in html
        assert f.pct(r["rate"]) in html and f.interval(r["ci_low"], r["ci_high"]) in html
        assert not re.search(r"""(src|href)=["'](https?:)?//""", html)

    def test_pdf_is_one_page_in_chinese_with_the_apis_rate(
        self, edition: BulletinPaths, metrics: Metrics
    ) -> None:
        reader = PdfReader(_by_suffix(edition, ".pdf"))
        text = "".join(p.extract_text().replace("\n", "") for p in reader.pages)
        r = metrics.ranking(WEEK).filter(branch_id=BRANCH).row(0, named=True)
        assert len(reader.pages) == 1
        assert SOURCE_BRANCHES[BRANCH] in text and Formats(Lang.ZH).pct(r["rate"]) in text
        assert f"排第{r['peer_rank']}名" in text
        assert [o.title for o in reader.outline] == [SOURCE_BRANCHES[BRANCH]]  # type: ignore[union-attr]


class TestChoosing:
    def test_all_writes_every_branch(self, build: BuildBulletin, metrics: Metrics) -> None:
        paths = build(Lang.EN, sections=(), formats=(BulletinFormat.HTML,), branches=["all"])
        reporting = metrics.ranking(WEEK).height
        assert len(paths.branches) == reporting
        assert {p.stem for p in paths.branches} >= set(SOURCE_BRANCHES)

    def test_an_unknown_branch_writes_nothing(
        self, build: BuildBulletin, tmp_path: Path, store: Store, run_cli: RunCli
    ) -> None:
        with pytest.raises(UnknownBranchError):
            build(Lang.ZH, sections=(), branches=[BRANCH, "NOPE"])
        out = tmp_path / "out"
        result = run_cli(
            "--store", store.root, "bulletin", "--week", WEEK, "--out", out, "--branch", "NOPE"
        )
        assert result.exit_code == 2 and "NOPE" in result.stderr and "--branch all" in result.stderr
        assert not out.exists()

    def test_the_command_takes_ids_separated_by_commas(
        self, run_cli: RunCli, store: Store, tmp_path: Path
    ) -> None:
        result = run_cli(
            "--store", store.root, "--lang", "en", "bulletin", "--week", WEEK,
            "--out", tmp_path, "--branch", "DY-XSK,NT-KFQ",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        listed = [Path(p) for p in result.stdout.split()]
        assert sorted(p.name for p in listed[6:]) == [
            "DY-XSK.html",
            "DY-XSK.pdf",
            "NT-KFQ.html",
            "NT-KFQ.pdf",
        ]
        assert "Week 10, 2018" in (tmp_path / "branches" / "NT-KFQ.html").read_text("utf-8")


def test_a_partner_of_an_unconfirmed_pair_is_told_it_is_proposed(zh: Built) -> None:
    """Only a pair the centre confirmed makes a branch someone's partner; a proposal says so."""
    import dataclasses

    from smartcounter.bulletin.content import PairLink
    from smartcounter.bulletin.words import Words

    content = zh.paths.content
    assert content is not None
    helped, partner, other = content.branches[:3]
    proposed = PairLink(None, helped.branch_id, partner.branch_id, None)
    confirmed = PairLink(7, other.branch_id, partner.branch_id, "2018-W08")
    words = Words(dataclasses.replace(content, pairs=[proposed]), Formats(Lang.ZH))
    said = words.pair_sentence(partner)
    assert said is not None and "拟安排本网点帮扶" in said and helped.name in said
    assert "的结对帮扶网点" not in said
    both = Words(
        dataclasses.replace(content, pairs=[proposed, confirmed]),
        Formats(Lang.ZH),
    ).pair_sentence(partner)
    assert both is not None
    assert f"本网点为{other.name}的结对帮扶网点" in both and helped.name in both
