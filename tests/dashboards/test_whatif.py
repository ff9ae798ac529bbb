"""The director's what-if over HTTP: the real app on the generated network, who may run it,
and the charts it answers with once the background job is done."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcounter.web.whatif_jobs import (
    FOLDER,
    MAX_WAITING,
    STALE_SECONDS,
    Job,
    TooManyJobsError,
    WhatIfJobs,
    this_worker,
)
from tests.dashboards.kit import BRANCH_A, BRANCH_B, Site

API_A = f"/api/branches/{BRANCH_A}/whatif"
API_B = f"/api/branches/{BRANCH_B}/whatif"
POLLS = 600  # a job is polled at most this often (0.2 s apart) before the test gives up


@pytest.fixture(autouse=True)
def quick_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer calibration rounds: these tests are about the page, not the fit."""
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_ROUNDS", "2")
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_VISITS", "500")


def finished(client: TestClient, url: str, job_id: str) -> dict[str, object]:
    """Poll the job until it is done or failed."""
    for _ in range(POLLS):
        answer = client.get(f"{url}/{job_id}")
        assert answer.status_code == 200, answer.text
        job: dict[str, object] = answer.json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the what-if {job_id} did not finish")


def test_the_director_runs_a_what_if_and_gets_the_charts(site: Site) -> None:
    director = site.client("director-A")
    page = director.get(f"/branches/{BRANCH_A}/whatif")
    assert page.status_code == 200
    assert 'id="whatif-form"' in page.text and "现金与非现金分离办理" in page.text
    assert 'id="nav-whatif"' in page.text

    start = director.post(API_A, json={"smart_counters": 1, "specialists": 1, "replications": 3})
    assert start.status_code == 202, start.text
    job = finished(director, API_A, start.json()["job_id"])
    assert job["state"] == "done", job.get("message")
    html = str(job["html"])
    assert html.count("<svg") == 4  # two charts, wide and narrow
    assert "各时段迁移率" in html and "各时段平均等待" in html
    assert "智能柜台·方案" in html and "柜面·现状" in html  # the waits' legend
    # The settings table marks what the scenario changed: a smart counter and a specialist more.
    changed = re.findall(r'<tr class="changed"><th scope="row">([^<]+)</th>', html)
    assert changed == ["智能柜台", "智能柜台服务专员"]
    assert "<script" not in html

    # The job is kept in the store folder, where every worker of the web app reads it.
    kept = json.loads((site.root / FOLDER / f"{start.json()['job_id']}.json").read_text("utf-8"))
    assert kept["state"] == "done" and set(kept["html"]) == {"zh", "en"}

    # The same job read in English; another user cannot read it.
    english = director.get(f"{API_A}/{start.json()['job_id']}?lang=en").json()
    assert "Migration rate by hour" in english["html"]
    other = site.client("analyst").get(f"{API_A}/{start.json()['job_id']}")
    assert other.status_code == 404


def test_who_may_run_a_what_if(site: Site) -> None:
    director = site.client("director-A")
    assert director.post(API_B, json={}).status_code == 403
    assert director.get(f"/branches/{BRANCH_B}/whatif").status_code == 403
    assert site.client("teller-A").post(API_A, json={}).status_code == 403
    assert site.client().post(API_A, json={}).status_code == 401
    analyst = site.client("analyst")
    assert analyst.get(f"/branches/{BRANCH_B}/whatif").status_code == 200
    # Out of range: refused before anything runs.
    assert director.post(API_A, json={"replications": 1}).status_code == 422
    assert director.post(API_A, json={"tellers": 99}).status_code == 422
    assert director.get(f"{API_A}/{'0' * 32}").status_code == 404


def test_a_job_whose_worker_stopped_is_reported_failed(tmp_path: Path) -> None:
    """A job left running (its worker stopped) is failed once stale, not polled forever."""
    job = Job(job_id="a" * 32, owner="user:1", branch_id=BRANCH_A, created=0.0)
    job.state, job.started = "running", 10.0
    (tmp_path / f"{job.job_id}.json").write_text(job.model_dump_json(), encoding="utf-8")
    fresh = WhatIfJobs(tmp_path, clock=lambda: 10.0 + STALE_SECONDS - 1).get(
        job.job_id, "user:1", BRANCH_A
    )
    assert fresh is not None and fresh.state == "running"
    stale = WhatIfJobs(tmp_path, clock=lambda: 10.0 + STALE_SECONDS + 1).get(
        job.job_id, "user:1", BRANCH_A
    )
    assert stale is not None and stale.state == "failed" and stale.error_key
    assert WhatIfJobs(tmp_path).get(job.job_id, "user:2", BRANCH_A) is None


def _kept(folder: Path, job: Job) -> None:
    (folder / f"{job.job_id}.json").write_text(job.model_dump_json(), encoding="utf-8")


def _gone_worker() -> str:
    """``host:pid`` of a process of this host that has exited."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return f"{socket.gethostname()}:{int(child.stdout)}"


def test_jobs_of_a_worker_that_is_gone_fail_at_once_and_free_their_places(tmp_path: Path) -> None:
    """A worker restarted or killed leaves its queued and running jobs behind: the next poll
    says they stopped, and they no longer count against the jobs the server takes."""
    gone = _gone_worker()
    now = 1000.0
    for k in range(MAX_WAITING):
        job = Job(job_id=f"{k:032x}", owner="user:1", branch_id=BRANCH_A, created=now, worker=gone)
        if k == 0:
            job.state, job.started = "running", now
        _kept(tmp_path, job)
    jobs = WhatIfJobs(tmp_path, clock=lambda: now + 1)
    polled = jobs.get(f"{0:032x}", "user:1", BRANCH_A)
    assert polled is not None and polled.state == "failed"
    assert polled.error_key == "whatif.page.stale"
    # The failure is written, for every worker to read.
    kept = json.loads((tmp_path / f"{0:032x}.json").read_text("utf-8"))
    assert kept["state"] == "failed"
    # All four were held by the gone worker: a new what-if finds room.
    done = jobs.submit("user:2", BRANCH_A, lambda _advance: {"zh": "好", "en": "ok"})
    assert done.worker == this_worker()
    assert jobs.get(f"{3:032x}", "user:1", BRANCH_A).state == "failed"  # type: ignore[union-attr]


def test_jobs_of_a_live_worker_or_another_host_wait_as_long_as_they_may(tmp_path: Path) -> None:
    now = 1000.0
    mine = Job(
        job_id="b" * 32, owner="user:1", branch_id=BRANCH_A, created=now, worker=this_worker()
    )
    elsewhere = Job(
        job_id="c" * 32, owner="user:1", branch_id=BRANCH_A, created=now, worker="another-host:1"
    )
    for job in (mine, elsewhere):
        _kept(tmp_path, job)
    soon = WhatIfJobs(tmp_path, clock=lambda: now + 60)
    assert soon.get(mine.job_id, "user:1", BRANCH_A).state == "queued"  # type: ignore[union-attr]
    assert soon.get(elsewhere.job_id, "user:1", BRANCH_A).state == "queued"  # type: ignore[union-attr]
    late = WhatIfJobs(tmp_path, clock=lambda: now + STALE_SECONDS + 1)
    assert late.get(elsewhere.job_id, "user:1", BRANCH_A).state == "failed"  # type: ignore[union-attr]
    # While four wait on live workers, a fifth is refused.
    for k in range(MAX_WAITING - 2):
        _kept(
            tmp_path,
            Job(
                job_id=f"{k:032x}",
                owner="user:1",
                branch_id=BRANCH_A,
                created=now,
                worker=this_worker(),
            ),
        )
    _kept(
        tmp_path,
        Job(job_id="d" * 32, owner="user:1", branch_id=BRANCH_A, created=now, worker=this_worker()),
    )
    with pytest.raises(TooManyJobsError):
        soon.submit("user:2", BRANCH_A, lambda _advance: {"zh": "好", "en": "ok"})


def test_the_director_finds_the_cheapest_staffing_by_hour(site: Site) -> None:
    """The optimisation runs in the background as a what-if does, counts its plans as it
    goes, and answers with ``simulate optimise --out``'s tables and charts."""
    director = site.client("director-A")
    page = director.get(f"/branches/{BRANCH_A}/whatif")
    assert 'id="optimise-form"' in page.text and "排班优化" in page.text
    url = f"/api/branches/{BRANCH_A}/optimise"
    asked = {"target_rate": 0.8, "max_wait_min": 15, "replications": 2, "confirm_replications": 2}
    start = director.post(url, json=asked)
    assert start.status_code == 202, start.text
    job = finished(director, url, start.json()["job_id"])
    assert job["state"] == "done", job.get("message")
    assert job["total"] > 0 and job["done"] == job["total"]
    html = str(job["html"])
    assert html.startswith('<div class="optimise-result">')
    assert html.count("<svg") == 3  # the trade-off, the rate and the waits by hour
    assert "目标" in html and "<script" not in html and "<html" not in html
    assert "--max" not in html and "--target-rate" not in html  # no command options here
    english = director.get(f"{url}/{start.json()['job_id']}?lang=en").json()
    assert "Cost" in english["html"] or "cost" in english["html"]
    # An optimisation is not a what-if: each is read at its own address.
    assert director.get(f"{API_A}/{start.json()['job_id']}").status_code == 404
    # Targets out of range are refused before anything runs; others may not start one.
    assert director.post(url, json={"target_rate": 1.5}).status_code == 422
    assert director.post(f"/api/branches/{BRANCH_B}/optimise", json={}).status_code == 403
