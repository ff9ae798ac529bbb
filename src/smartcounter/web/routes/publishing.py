"""The centre's publishing page: approve a week's bulletin for the branches, and the delivery log.

Centre analysts only. The form posts back with the session's CSRF token, as the other
forms do; approving runs the same service as ``smartcounter publish --approve``, in the
settings' language (``lang``), whatever language the page is read in.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from smartcounter.accounts.roles import Permission
from smartcounter.accounts.tokens import csrf_token, same
from smartcounter.errors import SmartCounterError
from smartcounter.i18n import Lang, Translator, resolve_lang
from smartcounter.publish import repository
from smartcounter.publish.models import Edition
from smartcounter.publish.service import PublishRequest, publish, publishable_weeks
from smartcounter.store.layout import Store, StoreError
from smartcounter.web.deps import Caller, ContextDep, DatabaseDep, LangDep, SettingsDep, identify
from smartcounter.web.pages import forbidden_page, login_redirect
from smartcounter.web.routes.dashboards import _render

router = APIRouter(include_in_schema=False)

PAGE = "/dashboards/publish"
WEEK_PATTERN = r"^\d{4}-W\d{2}$"


def _centre(request: Request, database: DatabaseDep, ctx: ContextDep) -> Caller | None:
    # A read-only session: publishing writes the log in units of its own, and SQLite
    # takes one writer at a time.
    with database.unit_of_work(write=False) as session:
        return identify(request, session, ctx)


@router.get(PAGE, response_model=None)
def publish_page(
    request: Request,
    database: DatabaseDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    week: Annotated[str | None, Query(pattern=WEEK_PATTERN)] = None,
    sent: Annotated[int | None, Query(ge=0)] = None,
    failed: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The weeks that may be approved, and every delivery so far."""
    caller = _centre(request, database, ctx)
    if caller is None:
        return login_redirect(request)
    if not caller.actor.can(Permission.NETWORK_DASHBOARD):
        return forbidden_page(request, caller, lang, settings.secret_key)
    done = None
    if week is not None and sent is not None:
        done = Translator(lang)("publish.page.done", week=week, sent=sent, failed=failed or 0)
    return _page(request, caller, database, ctx, lang, settings, done=done)


@router.post(PAGE + "/approve", response_model=None)
def approve(
    request: Request,
    database: DatabaseDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    week: Annotated[str, Form(max_length=16)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Send the approved issue of ``week`` to the branches, the centre and the regions
    (only with the box ticked that says the draft was reviewed: one click sends every
    branch its mail)."""
    caller = _centre(request, database, ctx)
    if caller is None:
        return login_redirect(request)
    if not caller.actor.can(Permission.NETWORK_DASHBOARD):
        return forbidden_page(request, caller, lang, settings.secret_key)
    t = Translator(lang)
    expected = csrf_token(settings.secret_key, caller.cookie_token) if caller.cookie_token else ""
    if not expected or not csrf or not same(csrf, expected):
        return _page(
            request, caller, database, ctx, lang, settings, error=t("lobby.errors.csrf"), code=403
        )
    if confirm != "yes":
        return _page(
            request,
            caller,
            database,
            ctx,
            lang,
            settings,
            error=t("publish.page.not_confirmed"),
            code=422,
        )
    try:
        store = Store.open(settings.store)
        if week not in publishable_weeks(store, ctx.today(), count=520):
            return _page(
                request,
                caller,
                database,
                ctx,
                lang,
                settings,
                error=t("publish.page.bad_week", week=week),
                code=422,
            )
        report = publish(
            settings=settings,
            store=store,
            database=database,
            # The mails in the service's language, not the page's: an analyst reading the
            # dashboard in English must not send every branch an English bulletin.
            request=PublishRequest(
                week=week, edition=Edition.APPROVED, lang=resolve_lang(settings.lang)
            ),
            actor=caller.actor,
        )
    except SmartCounterError as exc:
        return _page(
            request, caller, database, ctx, lang, settings, error=t(exc.key, **exc.params), code=409
        )
    except StoreError as exc:
        error = t("app.store_error", detail=str(exc))
        return _page(request, caller, database, ctx, lang, settings, error=error, code=409)
    query = urlencode({"week": week, "sent": len(report.sent), "failed": len(report.failed)})
    return RedirectResponse(f"{PAGE}?{query}", status_code=303)


def _page(
    request: Request,
    caller: Caller,
    database: DatabaseDep,
    ctx: ContextDep,
    lang: Lang,
    settings: SettingsDep,
    *,
    error: str | None = None,
    done: str | None = None,
    code: int = 200,
) -> Response:
    try:
        weeks = publishable_weeks(Store.open(settings.store), ctx.today())
    except StoreError:
        weeks = []
    with database.unit_of_work(write=False) as session:
        summary = repository.weeks_delivered(session)
        log = repository.recent(session, limit=200)
    return _render(
        request,
        "dashboards/publish.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        status_code=code,
        page="dashboard-publish",
        weeks=weeks,
        summary=summary,
        log=log,
        local=ctx.local,
        error=error,
        done=done,
        configured=bool(settings.publish.smtp_host and settings.publish.sender),
    )
