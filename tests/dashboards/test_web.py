"""The dashboards over HTTP: who sees what, the figures on the page, the director's score form."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
import sqlalchemy as sa

from smartcounter.accounts.models import AuditEntry
from smartcounter.bulletin.formats import Formats
from smartcounter.i18n import Lang
from smartcounter.lobby.database import open_database
from smartcounter.metrics import Period, open_metrics
from smartcounter.scorecard.director_scores import load_scores
from smartcounter.scorecard.service import scorecards
from smartcounter.store.reading import read_table
from tests.dashboards.kit import BRANCH_A, BRANCH_B, LATEST, QUARTER, Site, form_csrf
from tests.dashboards.page import parse

ZH = Formats(Lang.ZH)
NETWORK = "/dashboards/network"
PAGE_A = f"/branches/{BRANCH_A}/dashboard"
PAGE_B = f"/branches/{BRANCH_B}/dashboard"


def staff(site: Site, branch_id: str, role: str) -> str:
    frame = read_table(site.store, "staff")
    chosen = frame.filter((pl.col("branch_id") == branch_id) & (pl.col("role") == role))
    return sorted(chosen["staff_id"].to_list())[0]


class TestLanding:
    @pytest.mark.parametrize(
        ("who", "home"), [("analyst", NETWORK), ("director-A", PAGE_A), ("teller-A", None)]
    )
    def test_login_lands_each_role_on_its_page(self, site: Site, who: str, home: str) -> None:
        client = site.client()
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token is not None
        username, password = site.logins[who]
        answer = client.post(
            "/login",
            data={"username": username, "password": password, "csrf": token.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        if home is None:
            assert answer.headers["location"].endswith("/window")
        else:
            assert answer.headers["location"] == home


class TestAccess:
    def test_unauthenticated_pages_go_to_login_and_the_api_answers_401(self, site: Site) -> None:
        client = site.client()
        for path in (NETWORK, PAGE_A, f"{PAGE_A}?week={LATEST}"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=")
        answer = client.post(
            f"{PAGE_A}/scores", data={"csrf": "x", "quarter": QUARTER}, follow_redirects=False
        )
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        for path in (
            "/api/dashboards/network",
            f"/api/branches/{BRANCH_A}/dashboard",
            f"/api/bulletins/{LATEST}/pdf",
        ):
            assert client.get(path).status_code == 401
        put = client.put(
            f"/api/branches/{BRANCH_A}/director-scores/{QUARTER}",
            json={"scores": [{"staff_id": "X", "score": 1}]},
        )
        assert put.status_code == 401

    def test_a_director_of_a_gets_403_on_b_and_on_the_network(self, site: Site) -> None:
        client = site.client("director-A")
        assert client.get(PAGE_B).status_code == 403
        assert client.get(f"/api/branches/{BRANCH_B}/dashboard").status_code == 403
        assert client.get(NETWORK).status_code == 403
        assert client.get("/api/dashboards/network").status_code == 403
        assert client.get(f"/api/bulletins/{LATEST}/html").status_code == 403
        page = client.get(PAGE_A)
        token = form_csrf(page.text)
        post = client.post(
            f"{PAGE_B}/scores",
            data={
                "csrf": token,
                "quarter": QUARTER,
                "week": LATEST,
                "staff_id": staff(site, BRANCH_B, "teller"),
                "score": "90",
                "note": "",
            },
        )
        assert post.status_code == 403
        put = client.put(
            f"/api/branches/{BRANCH_B}/director-scores/{QUARTER}",
            json={"scores": [{"staff_id": staff(site, BRANCH_B, "teller"), "score": 90}]},
        )
        assert put.status_code == 403
        assert load_scores(site.store) == {}

    def test_a_teller_gets_403_on_both_dashboards_and_on_score_entry(self, site: Site) -> None:
        client = site.client("teller-A")
        for path in (NETWORK, PAGE_A, PAGE_B):
            assert client.get(path).status_code == 403, path
        for path in ("/api/dashboards/network", f"/api/branches/{BRANCH_A}/dashboard"):
            assert client.get(path).status_code == 403, path
        put = client.put(
            f"/api/branches/{BRANCH_A}/director-scores/{QUARTER}",
            json={"scores": [{"staff_id": staff(site, BRANCH_A, "teller"), "score": 90}]},
        )
        assert put.status_code == 403
        me = client.get("/api/auth/me").json()["csrf_token"]
        post = client.post(
            f"{PAGE_A}/scores",
            data={"csrf": me, "quarter": QUARTER, "staff_id": "x", "score": "1", "note": ""},
        )
        assert post.status_code == 403

    def test_an_analyst_opens_every_branch_but_enters_no_score(self, site: Site) -> None:
        client = site.client("analyst")
        for path in (PAGE_A, PAGE_B):
            page = client.get(path)
            assert page.status_code == 200
            assert 'id="score-form"' in page.text and 'name="score"' not in page.text
        put = client.put(
            f"/api/branches/{BRANCH_A}/director-scores/{QUARTER}",
            json={"scores": [{"staff_id": staff(site, BRANCH_A, "teller"), "score": 90}]},
        )
        assert put.status_code == 403


class TestFiguresOnThePage:
    def test_the_network_page_shows_the_metrics_apis_figures(self, site: Site) -> None:
        html = site.client("analyst").get(NETWORK).text
        doc = parse(html)
        with open_metrics(site.store, site.settings) as m:
            wow = m.week_over_week(LATEST, []).to_dicts()[0]
            attained = m.attainment(
                site.settings.bulletin.target_rate, Period.week(LATEST), []
            ).to_dicts()[0]
            ranking = m.ranking(LATEST)
        assert doc.find(data_figure="network-rate").text == ZH.pct(wow["rate"])
        assert ZH.points(wow["change_pp"]) in doc.find(data_figure="network-change").text
        assert doc.find(data_figure="branches-reporting").text == str(attained["branches"])
        assert doc.find(data_figure="share-at-target").text == ZH.pct(attained["share_at_target"])
        assert doc.find(data_figure="shortfall").text == ZH.count(attained["shortfall"])
        rows = {
            r.attrs["data-branch"]: r
            for r in doc.find_all("tr", data_branch=True)
            if r.find_all("td", data_rate=True)
        }
        assert set(rows) == set(ranking["branch_id"].to_list())
        for r in ranking.iter_rows(named=True):
            row = rows[r["branch_id"]]
            rate_cell = row.find("td", data_rate=True)
            assert rate_cell.text == ZH.pct(r["rate"])
            assert float(rate_cell.attrs["data-v"]) == r["rate"]
            assert row.find(data_interval=True).text == ZH.interval(r["ci_low"], r["ci_high"])
            assert row.find("td", data_shrunk=True).text == ZH.pct(r["shrunk_rate"])
            assert row.find("td", data_network_rank=True).text == str(r["network_rank"])
            assert row.find("svg")  # the interval figure

    def test_the_branch_page_shows_the_metrics_apis_figures(self, site: Site) -> None:
        doc = parse(site.client("director-A").get(PAGE_A).text)
        period = Period.week(LATEST)
        with open_metrics(site.store, site.settings) as m:
            r = m.ranking(LATEST).filter(pl.col("branch_id") == BRANCH_A).to_dicts()[0]
            business = m.unmigrated("business", period, ["branch"]).filter(
                pl.col("branch_id") == BRANCH_A
            )
            funnel = m.funnel(period, ["branch"]).filter(pl.col("branch_id") == BRANCH_A)
        assert doc.find(data_figure="branch-rate").text == ZH.pct(r["rate"])
        assert (
            ZH.interval(r["ci_low"], r["ci_high"]) in doc.find(data_figure="branch-interval").text
        )
        assert doc.find(data_figure="branch-shrunk").text == ZH.pct(r["shrunk_rate"])
        assert doc.find(data_figure="peer-rank").text == str(r["peer_rank"])
        assert doc.find(data_figure="network-rank").text == str(r["network_rank"])
        shown = doc.find(data_dimension="business").find_all("tr", data_pareto="business")
        assert [(tr.attrs["data-value"], tr.find(data_count=True).text) for tr in shown] == [
            (v, ZH.count(c))
            for v, c in zip(business["value"][:5], business["count"][:5], strict=True)
        ]
        for row in funnel.iter_rows(named=True):
            tr = doc.find("tr", data_stage=str(row["stage"]))
            assert tr.find(data_touches=True).text == ZH.count(row["touches"])
            assert tr.find(data_acceptance=True).text == ZH.pct(row["acceptance_rate"])
        paired = [
            e
            for e in doc.find_all(data_pair=True)
            if (e.attrs.get("data-pair") or "").startswith(f"{BRANCH_A}:")
        ]
        assert paired

    def test_the_json_is_the_same_view(self, site: Site) -> None:
        client = site.client("analyst")
        body = client.get(f"/api/dashboards/network?week={LATEST}&lang=en").json()
        with open_metrics(site.store, site.settings) as m:
            wow = m.week_over_week(LATEST, []).to_dicts()[0]
        assert body["week"] == LATEST and body["headline"]["rate"]["rate"] == wow["rate"]
        branch = client.get(f"/api/branches/{BRANCH_A}/dashboard?quarter={QUARTER}").json()
        assert branch["branch"]["branch_id"] == BRANCH_A and branch["quarter"] == QUARTER
        assert client.get("/api/dashboards/network?week=2018-10").status_code == 422
        missing = client.get("/api/dashboards/network?week=2017-W01")
        assert missing.status_code == 404 and "2017-W01" in missing.json()["detail"]

    def test_english_on_request_chinese_by_default(self, site: Site) -> None:
        client = site.client("analyst")
        assert "全辖智能柜台迁移率看板" in client.get(NETWORK).text
        english = client.get(f"{NETWORK}?lang=en").text
        assert "network dashboard" in english and 'lang="en"' in english

    def test_filters_and_unknown_weeks_on_the_page(self, site: Site) -> None:
        client = site.client("analyst")
        doc = parse(client.get(f"{NETWORK}?group=micro").text)
        assert [t.attrs["data-group"] for t in doc.find_all("table", data_group=True)] == ["micro"]
        assert len(doc.find(id="groups-table").find_all("tr", data_group=True)) == 4
        missing = client.get(f"{NETWORK}?week=2030-W01")
        assert missing.status_code == 404 and "2030-W01" in missing.text


class TestScoreEntry:
    def test_a_score_entered_on_the_page_is_what_the_scorecard_service_shows(
        self, own_site: Site
    ) -> None:
        client = own_site.client("director-A")
        page = client.get(PAGE_A)
        teller = staff(own_site, BRANCH_A, "teller")
        doc = parse(page.text)
        form = doc.find("form", id="score-form")
        ids = [i.attrs["value"] for i in form.find_all("input", name="staff_id")]
        assert teller in ids and staff(own_site, BRANCH_A, "director") not in ids
        answer = client.post(
            f"{PAGE_A}/scores",
            data={
                "csrf": form_csrf(page.text),
                "quarter": QUARTER,
                "week": LATEST,
                "staff_id": ids,
                "score": ["92.5" if s == teller else "" for s in ids],
                "note": ["主动引导客户" if s == teller else "" for s in ids],
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].endswith("saved=1#scorecards")
        shown = parse(client.get(answer.headers["location"]).text)
        assert shown.find(id="scores-saved")
        cell = shown.find("tr", data_staff=teller).find("td", data_part="director")
        assert cell.find("input", name="score").attrs["value"] == "92.5"
        with open_metrics(own_site.store, own_site.settings) as m:
            cards = scorecards(
                metrics=m, quarter=QUARTER, weights=own_site.settings.scorecard, branch_id=BRANCH_A
            )
        card = next(c for c in cards if c.figures.staff_id == teller)
        assert card.parts.director == 92.5 and card.director_note == "主动引导客户"
        assert shown.find("tr", data_staff=teller).find("td", data_part="score").text == ZH.decimal(
            card.score
        )
        database = open_database(own_site.settings)
        try:
            with database.unit_of_work() as session:
                entries = session.scalars(
                    sa.select(AuditEntry).where(AuditEntry.action == "scorecard.director_score")
                ).all()
                assert [(e.target, e.branch_id) for e in entries] == [(teller, BRANCH_A)]
                assert json.loads(entries[0].detail or "{}")["score"] == 92.5
        finally:
            database.dispose()

    def test_the_command_line_shows_the_entered_score(self, own_site: Site, run_cli) -> None:  # type: ignore[no-untyped-def]
        client = own_site.client("director-A")
        teller = staff(own_site, BRANCH_A, "teller")
        put = client.put(
            f"/api/branches/{BRANCH_A}/director-scores/{QUARTER}",
            json={"scores": [{"staff_id": teller, "score": 77, "note": "ok"}]},
        )
        assert put.status_code == 200 and put.json()["new"] == 1
        result = run_cli(
            "scorecard",
            "--quarter",
            QUARTER,
            "--branch",
            BRANCH_A,
            "--format",
            "json",
            "--store",
            own_site.root,
        )
        assert result.exit_code == 0, result.stderr
        rows = {r["staff_id"]: r for r in json.loads(result.stdout)}
        assert rows[teller]["director_score"] == 77 and rows[teller]["director_note"] == "ok"

    @pytest.mark.parametrize("typed", ["101", "-3", "abc"])
    def test_a_bad_score_is_shown_back_and_nothing_is_saved(
        self, own_site: Site, typed: str
    ) -> None:
        client = own_site.client("director-A")
        page = client.get(PAGE_A)
        teller = staff(own_site, BRANCH_A, "teller")
        answer = client.post(
            f"{PAGE_A}/scores",
            data={
                "csrf": form_csrf(page.text),
                "quarter": QUARTER,
                "week": LATEST,
                "staff_id": teller,
                "score": typed,
                "note": "",
            },
        )
        assert answer.status_code == 422
        doc = parse(answer.text)
        assert doc.find(id="scores-error")
        row = doc.find("tr", data_staff=teller)
        assert row.attrs["class"] == "row-error" and row.find(class_="field-error")
        assert row.find("input", name="score").attrs["value"] == typed
        assert load_scores(own_site.store) == {}
        assert (
            client.put(
                f"/api/branches/{BRANCH_A}/director-scores/{QUARTER}",
                json={"scores": [{"staff_id": teller, "score": typed}]},
            ).status_code
            == 422
        )

    def test_the_form_needs_its_csrf_token(self, own_site: Site) -> None:
        client = own_site.client("director-A")
        teller = staff(own_site, BRANCH_A, "teller")
        for token in ("", "forged"):
            answer = client.post(
                f"{PAGE_A}/scores",
                data={
                    "csrf": token,
                    "quarter": QUARTER,
                    "staff_id": teller,
                    "score": "80",
                    "note": "",
                },
            )
            assert answer.status_code == 403
        del client.headers["X-CSRF-Token"]
        put = client.put(
            f"/api/branches/{BRANCH_A}/director-scores/{QUARTER}",
            json={"scores": [{"staff_id": teller, "score": 80}]},
        )
        assert put.status_code == 403
        assert load_scores(own_site.store) == {}


class TestBulletinDownload:
    def test_built_once_per_week_and_language_then_kept(self, own_site: Site) -> None:
        client = own_site.client("analyst")
        first = client.get(f"/api/bulletins/{LATEST}/xlsx?lang=en")
        assert first.status_code == 200
        assert first.headers["content-disposition"].startswith("attachment")
        assert f"smartcounter-bulletin-{LATEST}-en.xlsx" in first.headers["content-disposition"]
        assert first.content[:2] == b"PK"
        kept = own_site.root / "bulletins" / LATEST / "en"
        assert {p.name for p in kept.iterdir()} >= {
            "bulletin.html",
            "bulletin.xlsx",
            "bulletin.pdf",
        }
        built = (kept / "bulletin.pdf").stat().st_mtime_ns
        pdf = client.get(f"/api/bulletins/{LATEST}/pdf?lang=en")
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
        assert (kept / "bulletin.pdf").stat().st_mtime_ns == built
        doc = parse(client.get(f"{NETWORK}?lang=en").text)
        links = doc.find(id="bulletin").find_all("a", data_lang="en")
        assert len(links) == 3 and all(a.find_all(class_="ready") for a in links)
        assert not any(
            a.find_all(class_="ready")
            for a in doc.find(id="bulletin").find_all("a", data_lang="zh")
        )

    def test_a_week_without_data_has_no_bulletin(self, site: Site) -> None:
        assert site.client("analyst").get("/api/bulletins/2017-W01/html").status_code == 404


class TestNoDataYet:
    def test_a_store_without_business_shows_an_empty_dashboard(self, own_site: Site) -> None:
        import shutil

        shutil.rmtree(own_site.root / "tables" / "transactions")
        for who, path in (("analyst", NETWORK), ("director-A", PAGE_A)):
            page = own_site.client(who).get(path)
            assert page.status_code == 200
            assert parse(page.text).find(id="empty-message").text
        answer = own_site.client("analyst").get("/api/dashboards/network")
        assert answer.status_code == 404 and answer.json()["code"] == "dashboards.errors.no_data"
