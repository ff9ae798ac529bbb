"""HTML pages: login, the lobby tablet, the teller window, set-up, the kiosk, the calling display.

Pages are thin shells: they carry the CSRF token and the messages, and their script talks
to the REST API (the same one any client uses) and listens to the server-sent events.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from smartcounter.accounts import service as accounts
from smartcounter.accounts.roles import Actor, Permission, Role
from smartcounter.accounts.tokens import csrf_token, new_token, same
from smartcounter.i18n import Lang, Translator, messages
from smartcounter.lobby import repository as repo
from smartcounter.lobby.errors import NotAuthenticated
from smartcounter.web.deps import (
    DEVICE_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    BranchId,
    Caller,
    ContextDep,
    LangDep,
    SessionDep,
    SettingsDep,
    identify,
)
from smartcounter.web.routes.auth import client_address, set_session_cookies

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("smartcounter.web") / "templates"))
LOGIN_CSRF_COOKIE = "sc_login_csrf"
PAGE_PERMISSIONS: dict[str, Permission] = {
    "tablet": Permission.VIEW,
    "window": Permission.SERVE,
    "setup": Permission.SETUP,
    "kiosk": Permission.ISSUE,
    "display": Permission.BOARD,
}


# The messages page scripts use, by the name they use them under (the key less its prefix).
JS_PREFIXES = {"web.js.": "", "lobby.page.": "", "lobby.voice.": "voice_"}


def _js_messages(lang: Lang) -> str:
    found = {
        alias + key.removeprefix(prefix): text
        for key, text in messages(lang).items()
        for prefix, alias in JS_PREFIXES.items()
        if key.startswith(prefix)
    }
    # Embedded in a <script type="application/json">: keep "</" from closing it.
    return json.dumps(found, ensure_ascii=False).replace("</", "<\\/")


def _home(actor: Actor) -> str:
    if actor.can(Permission.NETWORK_DASHBOARD):
        return "/dashboards/network"
    if actor.branch_id is None:
        return "/branches"
    if actor.role is Role.TELLER or actor.role is Role.WEALTH_MANAGER:
        return f"/branches/{quote(actor.branch_id)}/window"
    if actor.role is Role.DIRECTOR:
        return f"/branches/{quote(actor.branch_id)}/dashboard"
    return f"/branches/{quote(actor.branch_id)}/tablet"


def forbidden_page(request: Request, caller: Caller, lang: Lang, secret: str) -> HTMLResponse:
    """The page a signed-in user sees where their role or branch does not reach (403)."""
    return _render(
        request,
        "message.html",
        lang=lang,
        caller=caller,
        secret=secret,
        title=Translator(lang)("lobby.errors.forbidden"),
        status_code=403,
    )


def not_found_page(request: Request, lang: Lang, secret: str) -> HTMLResponse:
    """The page a browser gets for an address that is no page (404), with a way home."""
    return _render(
        request,
        "message.html",
        lang=lang,
        caller=None,
        secret=secret,
        title=Translator(lang)("lobby.errors.no_such_path"),
        status_code=404,
    )


def _render(
    request: Request,
    name: str,
    *,
    lang: Lang,
    caller: Caller | None,
    secret: str,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    t = Translator(lang)
    csrf = csrf_token(secret, caller.cookie_token) if caller and caller.cookie_token else ""
    context: dict[str, Any] = {
        "t": t,
        "lang": lang.value,
        "other_lang": "en" if lang is Lang.ZH else "zh",
        "caller": caller,
        "actor": caller.actor if caller else None,
        "user": caller.user if caller else None,
        "csrf": csrf,
        "js_messages": _js_messages(lang),
        "Permission": Permission,
        **extra,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax", path="/")
    return response


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back to this page after logging in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    lang: LangDep,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=500)] = "/",
) -> HTMLResponse:
    """The login form."""
    token = new_token()
    response = _render(
        request,
        "login.html",
        lang=lang,
        caller=None,
        secret=settings.secret_key,
        login_csrf=token,
        next=_safe_next(next),
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


def _safe_next(target: str) -> str:
    # Only local paths: never send a user on to another site after login.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_model=None)
def login_form(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the login form; on success set the cookie and go on."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    t = Translator(lang)
    error = None
    if not expected or not csrf or not same(expected, csrf):
        error = t("web.login.expired")
    else:
        try:
            user = accounts.log_in(
                session=session,
                ctx=ctx,
                username=username,
                password=password,
                client=client_address(request),
            )
        except NotAuthenticated as exc:  # wrong, or locked out until a time it names
            error = t(exc.key, **exc.params)
    if error is not None:
        token = new_token()
        response = _render(
            request,
            "login.html",
            lang=lang,
            caller=None,
            secret=settings.secret_key,
            login_csrf=token,
            next=_safe_next(next),
            error=error,
            username=username,
            status_code=401,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login"
        )
        return response
    opened = accounts.open_session(
        session=session,
        user=user,
        now=ctx.now(),
        hours=settings.lobby.session_hours,
        client=client_address(request),
    )
    target = _safe_next(next)
    redirect = RedirectResponse(
        target if target != "/" else _home(accounts.actor_of_user(user)), status_code=303
    )
    set_session_cookies(
        redirect, opened.token, user, settings.lobby.cookie_secure, settings.lobby.session_hours
    )
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout", response_model=None)
def logout_form(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Log out from a page (the form carries the CSRF token)."""
    caller = identify(request, session, ctx)
    if (
        caller is not None
        and caller.cookie_token
        and caller.user is not None
        and same(csrf, csrf_token(settings.secret_key, caller.cookie_token))
    ):
        accounts.close_session(session=session, token=caller.cookie_token, now=ctx.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_model=None)
def home(request: Request, session: SessionDep, ctx: ContextDep) -> Response:
    """Each role's own page."""
    caller = identify(request, session, ctx)
    if caller is None:
        return RedirectResponse("/login", status_code=303)
    if caller.user is None and caller.actor.branch_id is not None:
        kind = "kiosk" if caller.actor.can(Permission.ISSUE) else "display"
        return RedirectResponse(
            f"/branches/{quote(caller.actor.branch_id)}/{kind}", status_code=303
        )
    return RedirectResponse(_home(caller.actor), status_code=303)


@router.get("/devices/activate", response_model=None)
def activate_device(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: LangDep,
    token: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    """Open a kiosk or display with its token: the token goes into a cookie, the page opens."""
    device = accounts.resolve_device(session=session, token=token)
    if device is None:
        return _render(
            request,
            "message.html",
            lang=lang,
            caller=None,
            secret=settings.secret_key,
            title=Translator(lang)("web.device.invalid"),
            status_code=401,
        )
    page = "kiosk" if device.kind.value == "kiosk" else "display"
    response = RedirectResponse(f"/branches/{quote(device.branch_id)}/{page}", status_code=303)
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.lobby.cookie_secure,
        path="/",
        max_age=400 * 24 * 3600,
    )
    return response


@router.get("/branches", response_model=None)
def branches_page(
    request: Request, session: SessionDep, ctx: ContextDep, lang: LangDep, settings: SettingsDep
) -> Response:
    """The branches the user may open (a centre analyst sees all)."""
    caller = identify(request, session, ctx)
    if caller is None:
        return login_redirect(request)
    visible = [b for b in repo.list_branches(session) if caller.actor.sees(b.branch_id)]
    return _render(
        request,
        "branches.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        branches=visible,
        page="branches",
    )


def _branch_page(
    page: str,
    request: Request,
    branch_id: str,
    session: SessionDep,
    ctx: ContextDep,
    lang: Lang,
    settings: SettingsDep,
) -> Response:
    caller = identify(request, session, ctx)
    if caller is None:
        return login_redirect(request)
    branch = repo.get_branch(session, branch_id)
    if not caller.actor.can(PAGE_PERMISSIONS[page], branch_id) or branch is None:
        return forbidden_page(request, caller, lang, settings.secret_key)
    return _render(
        request,
        f"{page}.html",
        lang=lang,
        caller=caller,
        secret=settings.secret_key,
        branch=branch,
        page=page,
        device=caller.user is None,
    )


@router.get("/branches/{branch_id}/tablet", response_model=None)
def tablet_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """The lobby tablet (PAD): issue, triage, prompts, authorisations."""
    return _branch_page("tablet", request, branch_id, session, ctx, lang, settings)


@router.get("/branches/{branch_id}/window", response_model=None)
def window_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """A service point's console: a teller window or a smart counter."""
    return _branch_page("window", request, branch_id, session, ctx, lang, settings)


@router.get("/branches/{branch_id}/setup", response_model=None)
def setup_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """The director's page: set-up, devices, close of day, audit log."""
    return _branch_page("setup", request, branch_id, session, ctx, lang, settings)


@router.get("/branches/{branch_id}/kiosk", response_model=None)
def kiosk_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """The ticket kiosk."""
    return _branch_page("kiosk", request, branch_id, session, ctx, lang, settings)


@router.get("/branches/{branch_id}/display", response_model=None)
def display_page(
    request: Request,
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    lang: LangDep,
    settings: SettingsDep,
) -> Response:
    """The calling display (叫号屏)."""
    return _branch_page("display", request, branch_id, session, ctx, lang, settings)
