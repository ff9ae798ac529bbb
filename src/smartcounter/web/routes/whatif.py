"""The director's what-if: a form on the dashboards, the simulation in the background, charts.

``POST /api/branches/{branch_id}/whatif`` starts a what-if (staff and device changes as
additions or removals, triage rounds, cash split) and answers 202 with a job id at once;
``GET /api/branches/{branch_id}/whatif/{job_id}`` tells how far it is and, once done, gives
the charts and summary as HTML (``views.whatif``, the same as ``simulate --out``'s page).
``POST /api/branches/{branch_id}/optimise`` starts the staffing optimisation (``simulate
optimise``: the cheapest staffing by hour for a target rate and a longest p90 wait), polled
the same way (``GET …/optimise/{job_id}``), its answer ``simulate optimise --out``'s page
without the page around it; it counts the plans evaluated as it goes.
Who may: whoever sees the branch's dashboard (a director their own branch, the centre's
analysts any); a job is read only by the user who started it.

The simulator loads when a what-if is asked for, not with the web app (its package names
its functions lazily, and the app should start without it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from smartcounter.accounts.roles import Actor, Permission
from smartcounter.dashboards import service as dashboards
from smartcounter.dashboards.errors import NoData
from smartcounter.errors import SmartCounterError
from smartcounter.i18n import Lang, Translator
from smartcounter.metrics.period import PeriodError
from smartcounter.settings import Settings
from smartcounter.web.deps import (
    BranchId,
    ContextDep,
    LangDep,
    Require,
    SessionDep,
    SettingsDep,
    identify,
)
from smartcounter.web.pages import _js_messages, forbidden_page
from smartcounter.web.whatif_jobs import FOLDER, Job, JobFailedError, TooManyJobsError, WhatIfJobs

if TYPE_CHECKING:
    from smartcounter.kit.progress import Progress
    from smartcounter.simulation.model import Staffing
    from smartcounter.simulation.scenario import Scenario
    from smartcounter.views.whatif import WhatIfView

router = APIRouter()
api = APIRouter(prefix="/api", tags=["dashboards"])
pages = APIRouter(include_in_schema=False)

BranchViewer = Annotated[Actor, Depends(Require(Permission.BRANCH_DASHBOARD))]
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
DEFAULT_REPLICATIONS = 10
# Messages the page's script shows, by the key it asks for.
SCRIPT_MESSAGES = ("calculating", "queued", "failed", "evaluating")


class UnknownJobError(SmartCounterError):
    """No such what-if for this user and branch (or it expired)."""

    status_code: ClassVar[int] = 404
    key: ClassVar[str] = "whatif.page.error_unknown_job"


class WhatIfBusyError(SmartCounterError):
    """Too many what-ifs wait already."""

    status_code: ClassVar[int] = 503
    key: ClassVar[str] = "whatif.page.error_busy"


class WhatIfIn(BaseModel):
    """A what-if: staff and devices added (negative: removed), triage rounds, cash split."""

    smart_counters: int = Field(0, ge=-10, le=10, description="Smart counters to add")
    specialists: int = Field(0, ge=-10, le=10, description="Smart-counter specialists to add")
    tellers: int = Field(0, ge=-10, le=10, description="Tellers to add")
    triage_rounds: int | None = Field(None, ge=1, le=3, description="Triage rounds (as is: null)")
    cash_split: bool | None = Field(None, description="Cash split (as is: null)")
    replications: int = Field(DEFAULT_REPLICATIONS, ge=2, le=200, description="Simulated weeks")


class JobOut(BaseModel):
    """How far a what-if or optimisation is (with the steps done of the steps expected,
    where it counts them); ``html`` (charts and tables) once ``state`` is ``done``."""

    job_id: str
    state: str  # queued, running, done, failed
    ahead: int = 0  # jobs to run before this one
    elapsed_s: float
    done: int = 0
    total: int = 0
    html: str | None = None
    message: str | None = None


class OptimiseIn(BaseModel):
    """The staffing optimisation's targets and how many weeks each plan is simulated."""

    target_rate: float = Field(0.9, ge=0.3, le=0.99, description="Migration rate to reach")
    max_wait_min: float = Field(10.0, ge=1.0, le=60.0, description="Longest p90 wait, minutes")
    replications: int | None = Field(
        None, ge=2, le=50, description="Simulated weeks per plan (default: the settings')"
    )
    confirm_replications: int | None = Field(
        None,
        ge=2,
        le=200,
        description="Simulated weeks of the final check (default: the settings')",
    )


def scenario_of(changes: WhatIfIn, staffing: Staffing) -> Scenario:
    """The what-if's absolute settings from its additions to the branch's ``staffing``."""
    from smartcounter.simulation.scenario import Scenario

    def count(delta: int, have: int, least: int) -> int | None:
        return max(have + delta, least) if delta else None

    return Scenario(
        smart_counters=count(changes.smart_counters, staffing.smart_counters, 0),
        specialists=count(changes.specialists, staffing.specialists, 0),
        tellers=count(changes.tellers, staffing.tellers, 1),
        triage_rounds=changes.triage_rounds,
        cash_split=changes.cash_split,
    )


def branch_staffing(settings: Settings, branch_id: str) -> Staffing:
    """The branch's staff and devices as the simulator reads them (its calibration's)."""
    from smartcounter.simulation.calibrate import branch_row, staffing_of

    store = dashboards.open_store(settings)
    return staffing_of(store, branch_id, branch_row(store, branch_id))


def run(settings: Settings, branch_id: str, changes: WhatIfIn) -> WhatIfView:
    """Calibrate the branch on the store's latest weeks and simulate the what-if (seconds)."""
    from smartcounter.simulation.calibrate import CalibrationError
    from smartcounter.simulation.scenario import ScenarioError
    from smartcounter.simulation.service import calibration_weeks, run_what_if
    from smartcounter.views.whatif import whatif_view

    sim = settings.simulation
    try:
        store = dashboards.open_store(settings)
        weeks = calibration_weeks(store, week=None, weeks=None, default_weeks=sim.weeks)
        scenario = scenario_of(changes, branch_staffing(settings, branch_id))
        report = run_what_if(
            store=store,
            settings=settings,
            branch_id=branch_id,
            weeks=weeks,
            scenario=scenario,
            replications=changes.replications,
            seed=sim.seed,
        )
    except (CalibrationError, NoData, PeriodError) as exc:
        raise JobFailedError("whatif.page.failed", message=str(exc)) from exc
    except ScenarioError as exc:
        raise JobFailedError("simulation.bad_scenario", detail=str(exc)) from exc
    return whatif_view(report)


def optimised(
    settings: Settings, branch_id: str, asked: OptimiseIn, progress: Progress
) -> dict[str, str]:
    """Calibrate the branch on the store's latest weeks, find its cheapest staffing by hour
    (minutes for a busy branch) and render the answer in every language."""
    from smartcounter.simulation.calibrate import CalibrationError
    from smartcounter.simulation.optimise import Targets
    from smartcounter.simulation.optimise_page import optimise_fragment
    from smartcounter.simulation.optimise_service import Bounds, run_optimise
    from smartcounter.simulation.service import calibration_weeks

    sim = settings.simulation
    try:
        store = dashboards.open_store(settings)
        weeks = calibration_weeks(store, week=None, weeks=None, default_weeks=sim.weeks)
        answer = run_optimise(
            store=store,
            settings=settings,
            branch_id=branch_id,
            weeks=weeks,
            targets=Targets(rate=asked.target_rate, max_wait_s=asked.max_wait_min * 60.0),
            bounds=Bounds(),
            replications=asked.replications or sim.plan_replications,
            confirm_replications=asked.confirm_replications or sim.replications,
            seed=sim.seed,
            progress=progress,
        )
    except (CalibrationError, NoData, PeriodError) as exc:
        raise JobFailedError("whatif.page.failed", message=str(exc)) from exc
    return {
        lang.value: optimise_fragment(answer, Translator(lang), dashboard=True) for lang in Lang
    }


def rendered(view: WhatIfView) -> dict[str, str]:
    """The what-if's charts and tables in every language, as its job keeps them."""
    from smartcounter.views.whatif import WhatIfWords

    return {lang.value: str(WhatIfWords(lang).fragment(view)) for lang in Lang}


def jobs_of(settings: Settings) -> WhatIfJobs:
    """The what-if jobs of the settings' store (kept in its folder, seen by every worker)."""
    return WhatIfJobs(dashboards.open_store(settings).root / FOLDER)


def _owner(actor: Actor) -> str:
    return actor.label if actor.user_id is None else f"user:{actor.user_id}"


def _answer(jobs: WhatIfJobs, job: Job, lang: Lang) -> JobOut:
    t = Translator(lang)
    out = JobOut(
        job_id=job.job_id,
        state=job.state,
        ahead=jobs.ahead(job),
        elapsed_s=job.elapsed(jobs.now()),
        done=job.done,
        total=job.total,
    )
    if job.state == "done":
        out.html = job.html.get(lang.value)
    elif job.state == "failed" and job.error_key is not None:
        out.message = t(job.error_key, **job.error_params)
    return out


@api.post("/branches/{branch_id}/whatif", response_model=JobOut, status_code=202)
def start_whatif(
    branch_id: BranchId,
    changes: WhatIfIn,
    actor: BranchViewer,
    settings: SettingsDep,
    lang: LangDep,
) -> JobOut:
    """Start a what-if for the branch; poll its job until ``state`` is done or failed."""

    def work(_progress: Progress) -> dict[str, str]:
        return rendered(run(settings, branch_id, changes))

    return _start(settings, actor, branch_id, lang, "whatif", work)


@api.get("/branches/{branch_id}/whatif/{job_id}", response_model=JobOut)
def whatif_job(
    branch_id: BranchId,
    job_id: JobId,
    actor: BranchViewer,
    settings: SettingsDep,
    lang: LangDep,
) -> JobOut:
    """A what-if's progress, and its charts and summary once done."""
    return _job(settings, job_id, actor, branch_id, lang, "whatif")


@api.post("/branches/{branch_id}/optimise", response_model=JobOut, status_code=202)
def start_optimise(
    branch_id: BranchId,
    asked: OptimiseIn,
    actor: BranchViewer,
    settings: SettingsDep,
    lang: LangDep,
) -> JobOut:
    """Start the staffing optimisation for the branch; poll its job until done or failed."""

    def work(progress: Progress) -> dict[str, str]:
        return optimised(settings, branch_id, asked, progress)

    return _start(settings, actor, branch_id, lang, "optimise", work)


@api.get("/branches/{branch_id}/optimise/{job_id}", response_model=JobOut)
def optimise_job(
    branch_id: BranchId,
    job_id: JobId,
    actor: BranchViewer,
    settings: SettingsDep,
    lang: LangDep,
) -> JobOut:
    """The optimisation's progress (plans evaluated), and its answer once done."""
    return _job(settings, job_id, actor, branch_id, lang, "optimise")


def _start(
    settings: Settings,
    actor: Actor,
    branch_id: str,
    lang: Lang,
    kind: str,
    work: Callable[[Progress], dict[str, str]],
) -> JobOut:
    jobs = jobs_of(settings)
    try:
        job = jobs.submit(_owner(actor), branch_id, work, kind=kind)
    except TooManyJobsError as exc:
        raise WhatIfBusyError() from exc
    return _answer(jobs, job, lang)


def _job(
    settings: Settings, job_id: str, actor: Actor, branch_id: str, lang: Lang, kind: str
) -> JobOut:
    jobs = jobs_of(settings)
    job = jobs.get(job_id, _owner(actor), branch_id)
    if job is None or job.kind != kind:
        raise UnknownJobError()
    return _answer(jobs, job, lang)


@pages.get("/branches/{branch_id}/whatif", response_model=None)
def whatif_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """The director's what-if page: the form, and the charts once calculated."""
    from smartcounter.simulation.calibrate import CalibrationError
    from smartcounter.web.pages import login_redirect
    from smartcounter.web.routes.dashboards import _empty, _render

    caller = identify(request, session, ctx)
    if caller is None:
        return login_redirect(request)
    if not caller.actor.can(Permission.BRANCH_DASHBOARD, branch_id):
        return forbidden_page(request, caller, lang, settings.secret_key)
    try:
        staffing = branch_staffing(settings, branch_id)
    except (NoData, CalibrationError):
        return _empty(
            request,
            caller,
            lang,
            settings.secret_key,
            NoData(),
            page="dashboard-whatif",
            branch_id=branch_id,
        )
    t = Translator(lang)
    # The lobby scripts' own messages (errors the API answers), and the what-if's.
    messages: dict[str, Any] = json.loads(_js_messages(lang))
    messages.update({f"whatif_{k}": t(f"whatif.page.{k}") for k in SCRIPT_MESSAGES})
    return _render(
        request,
        "dashboards/whatif.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        page="dashboard-whatif",
        branch=_Branch(branch_id, _branch_name(settings, branch_id)),
        staffing=staffing,
        replications=DEFAULT_REPLICATIONS,
        plan_replications=settings.simulation.plan_replications,
        js_messages=json.dumps(messages, ensure_ascii=False).replace("</", "<\\/"),
    )


class _Branch:
    """What the dashboards' frame needs of the branch: its id and name."""

    def __init__(self, branch_id: str, name: str) -> None:
        self.branch_id, self.name = branch_id, name


def _branch_name(settings: Settings, branch_id: str) -> str:
    from smartcounter.simulation.calibrate import branch_row

    row = branch_row(dashboards.open_store(settings), branch_id)
    return str(row.get("name") or branch_id)


router.include_router(api)
router.include_router(pages)
