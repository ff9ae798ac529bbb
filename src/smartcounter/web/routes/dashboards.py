"""The dashboards: the centre analyst's network page, the director's branch page, their JSON.

Pages and API call the same services (``smartcounter.dashboards.service``); pages add the
charts and the director's score form, which posts here with its CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from smartcounter.accounts.roles import Actor, Permission
from smartcounter.accounts.tokens import csrf_token, same
from smartcounter.bulletin.formats import Formats
from smartcounter.dashboards import bulletins, service
from smartcounter.dashboards.errors import NoData, WeekNotFound
from smartcounter.dashboards.figures import DashboardFigures
from smartcounter.dashboards.schemas import (
    BranchDashboard,
    DirectorScoreIn,
    DirectorScoresIn,
    DirectorScoresSaved,
    NetworkDashboard,
)
from smartcounter.i18n import Lang, Translator
from smartcounter.lobby.errors import SmartCounterError
from smartcounter.store.layout import StoreBusyError
from smartcounter.web.deps import (
    LANG_COOKIE,
    BranchId,
    Caller,
    ContextDep,
    LangDep,
    Require,
    SessionDep,
    SettingsDep,
    identify,
)
from smartcounter.web.pages import forbidden_page, login_redirect, templates
from smartcounter.web.routes import whatif

router = APIRouter()
api = APIRouter(prefix="/api", tags=["dashboards"])
pages = APIRouter(include_in_schema=False)

NetworkViewer = Annotated[Actor, Depends(Require(Permission.NETWORK_DASHBOARD, everywhere=True))]
BranchViewer = Annotated[Actor, Depends(Require(Permission.BRANCH_DASHBOARD))]
Scorer = Annotated[Actor, Depends(Require(Permission.STAFF_SCORE))]

WEEK_PATTERN = r"^\d{4}-W\d{2}$"
QUARTER_PATTERN = r"^\d{4}-Q[1-4]$"
WeekQuery = Annotated[
    str | None, Query(pattern=WEEK_PATTERN, description="ISO week (default: the latest)")
]
QuarterQuery = Annotated[
    str | None, Query(pattern=QUARTER_PATTERN, description="Quarter (default: the week's)")
]
RegionQuery = Annotated[str | None, Query(min_length=1, max_length=64)]
GroupQuery = Annotated[str | None, Query(min_length=1, max_length=32)]
# Pages take what a hand-edited address holds and answer "no such week" rather than 422.
PageText = Annotated[str | None, Query(max_length=64)]
MAX_FORM_ROWS = 500


# -- JSON ----------------------------------------------------------------------------------


@api.get("/dashboards/network", response_model=NetworkDashboard)
def network_json(
    actor: NetworkViewer,
    settings: SettingsDep,
    lang: LangDep,
    week: WeekQuery = None,
    region: RegionQuery = None,
    group: GroupQuery = None,
) -> NetworkDashboard:
    """The centre analyst's dashboard: every branch in one week, benchmarks, pairs, bulletin."""
    return service.network_dashboard(
        store=service.open_store(settings),
        settings=settings,
        actor=actor,
        lang=lang,
        week=week,
        region=region,
        group=group,
    )


@api.get("/branches/{branch_id}/dashboard", response_model=BranchDashboard)
def branch_json(
    branch_id: BranchId,
    actor: BranchViewer,
    settings: SettingsDep,
    lang: LangDep,
    week: WeekQuery = None,
    quarter: QuarterQuery = None,
) -> BranchDashboard:
    """A branch's dashboard: its week, trend, un-migrated business, funnel, pair, scorecards."""
    return service.branch_dashboard(
        store=service.open_store(settings),
        settings=settings,
        actor=actor,
        branch_id=branch_id,
        lang=lang,
        week=week,
        quarter=quarter,
    )


@api.put("/branches/{branch_id}/director-scores/{quarter}", response_model=DirectorScoresSaved)
def put_director_scores(
    branch_id: BranchId,
    quarter: Annotated[str, PathParam(pattern=QUARTER_PATTERN)],
    scores_in: DirectorScoresIn,
    session: SessionDep,
    ctx: ContextDep,
    actor: Scorer,
    settings: SettingsDep,
) -> DirectorScoresSaved:
    """Enter the director's quarterly scores (0–100) of the branch's staff."""
    return service.enter_director_scores(
        session=session,
        store=service.open_store(settings),
        actor=actor,
        branch_id=branch_id,
        quarter=quarter,
        scores_in=scores_in,
        now=ctx.now(),
    )


@api.get(
    "/bulletins/{week}/{fmt}",
    response_class=FileResponse,
    responses={200: {"description": "The bulletin file"}},
)
def bulletin_download(
    week: Annotated[str, PathParam(pattern=WEEK_PATTERN)],
    fmt: Literal["html", "xlsx", "pdf"],
    actor: NetworkViewer,
    settings: SettingsDep,
    lang: LangDep,
) -> FileResponse:
    """The week's bulletin as HTML, Excel or PDF (built on first download, then kept)."""
    store = service.open_store(settings)
    chosen, _weeks = service.choose_week(store, week)
    path = bulletins.bulletin_file(store=store, settings=settings, week=chosen, lang=lang, fmt=fmt)
    return FileResponse(
        path,
        media_type=bulletins.MEDIA_TYPES[fmt],
        filename=bulletins.file_name(chosen, lang, fmt),
        # Downloaded, not shown: the bulletin's own styles are inline, which this site's
        # content policy would block on a page.
        content_disposition_type="attachment",
    )


# -- pages ---------------------------------------------------------------------------------


def _lang_url(request: Request, other: str) -> str:
    params = {k: v for k, v in request.query_params.items() if k not in ("lang", "saved")}
    params["lang"] = other
    return f"{request.url.path}?{urlencode(params)}"


def _render(
    request: Request,
    name: str,
    *,
    lang: Lang,
    caller: Caller,
    secret: str,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    other = "en" if lang is Lang.ZH else "zh"
    context: dict[str, Any] = {
        "t": Translator(lang),
        "f": Formats(lang),
        "fig": DashboardFigures(lang),
        "lang": lang.value,
        "other_lang": other,
        "lang_url": _lang_url(request, other),
        "caller": caller,
        "actor": caller.actor,
        "user": caller.user,
        "csrf": csrf_token(secret, caller.cookie_token) if caller.cookie_token else "",
        "js_messages": "{}",
        "Permission": Permission,
        **extra,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax", path="/")
    return response


def _empty(
    request: Request,
    caller: Caller,
    lang: Lang,
    secret: str,
    exc: SmartCounterError,
    **extra: Any,
) -> HTMLResponse:
    """The dashboard's frame with why there is nothing to show (no data yet, no such week)."""
    t = Translator(lang)
    return _render(
        request,
        "dashboards/empty.html",
        lang=lang,
        caller=caller,
        secret=secret,
        message=t(exc.key, **exc.params),
        status_code=200 if isinstance(exc, NoData) else exc.status_code,
        **extra,
    )


@pages.get("/dashboards/network", response_model=None)
def network_page(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    week: PageText = None,
    region: PageText = None,
    group: PageText = None,
) -> Response:
    """The centre analyst's dashboard."""
    caller = identify(request, session, ctx)
    if caller is None:
        return login_redirect(request)
    if not caller.actor.can(Permission.NETWORK_DASHBOARD):
        return forbidden_page(request, caller, lang, settings.secret_key)
    try:
        view = service.network_dashboard(
            store=service.open_store(settings),
            settings=settings,
            actor=caller.actor,
            lang=lang,
            week=week or None,
            region=region or None,
            group=group or None,
        )
    except (NoData, WeekNotFound) as exc:
        return _empty(request, caller, lang, settings.secret_key, exc, page="dashboard-network")
    return _render(
        request,
        "dashboards/network.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        view=view,
        page="dashboard-network",
    )


def _branch_view(
    request: Request,
    caller: Caller,
    branch_id: str,
    lang: Lang,
    settings: SettingsDep,
    week: str | None,
    quarter: str | None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    try:
        view = service.branch_dashboard(
            store=service.open_store(settings),
            settings=settings,
            actor=caller.actor,
            branch_id=branch_id,
            lang=lang,
            week=week or None,
            quarter=quarter or None,
        )
    except SmartCounterError as exc:
        return _empty(
            request,
            caller,
            lang,
            settings.secret_key,
            exc,
            page="dashboard-branch",
            branch_id=branch_id,
        )
    return _render(
        request,
        "dashboards/branch.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        view=view,
        page="dashboard-branch",
        branch=view.branch,
        status_code=status_code,
        **extra,
    )


@pages.get("/branches/{branch_id}/dashboard", response_model=None)
def branch_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    week: PageText = None,
    quarter: PageText = None,
    saved: Annotated[int | None, Query(ge=0, le=MAX_FORM_ROWS)] = None,
) -> Response:
    """The branch director's dashboard (a centre analyst may open any branch's)."""
    caller = identify(request, session, ctx)
    if caller is None:
        return login_redirect(request)
    if not caller.actor.can(Permission.BRANCH_DASHBOARD, branch_id):
        return forbidden_page(request, caller, lang, settings.secret_key)
    return _branch_view(request, caller, branch_id, lang, settings, week, quarter, saved=saved)


def _score_rows(
    staff_ids: list[str], scores: list[str], notes: list[str], t: Translator
) -> tuple[list[DirectorScoreIn], dict[str, str]]:
    """The filled-in rows of the form as scores, and a message per row that is not one."""
    entered: list[DirectorScoreIn] = []
    errors: dict[str, str] = {}
    for staff_id, raw, note in zip(staff_ids, scores, notes, strict=True):
        text = raw.strip()
        if not text:
            continue  # left blank: the score stays as it was
        try:
            value = float(text)
        except ValueError:
            errors[staff_id] = t("dashboards.scores.not_a_number")
            continue
        try:
            entered.append(
                DirectorScoreIn.model_validate(
                    {"staff_id": staff_id, "score": value, "note": note.strip() or None}
                )
            )
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "score"
            errors[staff_id] = t(
                "dashboards.scores.out_of_range"
                if field == "score"
                else "dashboards.scores.bad_note"
            )
    return entered, errors


@pages.post("/branches/{branch_id}/dashboard/scores", response_model=None)
def scores_form(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    quarter: Annotated[str, Form(max_length=16)] = "",
    week: Annotated[str, Form(max_length=16)] = "",
    staff_id: Annotated[list[str] | None, Form(max_length=MAX_FORM_ROWS)] = None,
    score: Annotated[list[str] | None, Form(max_length=MAX_FORM_ROWS)] = None,
    note: Annotated[list[str] | None, Form(max_length=MAX_FORM_ROWS)] = None,
) -> Response:
    """The director's score form: check, save, audit, and back to the scorecards."""
    caller = identify(request, session, ctx)
    if caller is None:
        return login_redirect(request)
    t = Translator(lang)
    expected = csrf_token(settings.secret_key, caller.cookie_token) if caller.cookie_token else ""
    if not expected or not csrf or not same(csrf, expected):
        return _render(
            request,
            "message.html",
            lang=lang,
            caller=caller,
            secret=settings.secret_key,
            title=t("lobby.errors.csrf"),
            status_code=403,
        )
    if not caller.actor.can(Permission.STAFF_SCORE, branch_id):
        return forbidden_page(request, caller, lang, settings.secret_key)
    ids, values, notes = staff_id or [], score or [], note or []
    if not len(ids) == len(values) == len(notes):
        return _branch_view(
            request,
            caller,
            branch_id,
            lang,
            settings,
            week,
            quarter,
            status_code=422,
            form_error=t("dashboards.scores.malformed"),
        )
    entered, errors = _score_rows(ids, values, notes, t)
    typed = dict(zip(ids, zip(values, notes, strict=True), strict=True))
    if errors or not entered:
        return _branch_view(
            request,
            caller,
            branch_id,
            lang,
            settings,
            week,
            quarter,
            status_code=422,
            form_error=t("dashboards.scores.fix_rows") if errors else t("dashboards.scores.none"),
            row_errors=errors,
            typed=typed,
        )
    try:
        result = service.enter_director_scores(
            session=session,
            store=service.open_store(settings),
            actor=caller.actor,
            branch_id=branch_id,
            quarter=quarter,
            scores_in=DirectorScoresIn(scores=entered),
            now=ctx.now(),
        )
    except SmartCounterError as exc:
        # Nothing was saved: the audit entries already added go too.
        session.rollback()
        return _branch_view(
            request,
            caller,
            branch_id,
            lang,
            settings,
            week,
            quarter,
            status_code=exc.status_code,
            form_error=t(exc.key, **exc.params),
            typed=typed,
        )
    except StoreBusyError as exc:
        session.rollback()
        return _branch_view(
            request,
            caller,
            branch_id,
            lang,
            settings,
            week,
            quarter,
            status_code=503,
            form_error=t("lobby.errors.store_busy", holder=str(exc)),
            typed=typed,
        )
    query = urlencode(
        {"week": week, "quarter": result.quarter, "saved": result.new + result.replaced}
    )
    return RedirectResponse(
        f"/branches/{quote(branch_id)}/dashboard?{query}#scorecards", status_code=303
    )


router.include_router(api)
router.include_router(pages)
router.include_router(whatif.router)  # the director's what-if (routes/whatif.py)
