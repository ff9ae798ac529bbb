"""Every error becomes a JSON answer in one place, with a message in the caller's language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartcounter.errors import SmartCounterError
from smartcounter.i18n import Translator, resolve_lang
from smartcounter.i18n.problems import problem_said
from smartcounter.lobby.prompts import RulesError
from smartcounter.store.layout import StoreBusyError, StoreError
from smartcounter.web.deps import LANG_COOKIE

log = logging.getLogger("smartcounter.web")


def _translator(request: Request) -> Translator:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    default = getattr(getattr(request.app.state, "settings", None), "lang", None)
    return Translator(resolve_lang(asked or default))


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _a_browser(request: Request) -> bool:
    """A page asked for by a browser (not the API, not a script wanting JSON)."""
    wants = request.headers.get("accept", "")
    return not request.url.path.startswith("/api") and "text/html" in wants


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: domain errors, bad requests, and the unexpected."""

    @app.exception_handler(SmartCounterError)
    async def _domain(request: Request, exc: SmartCounterError) -> JSONResponse:
        t = _translator(request)
        params = {k: _plain(v) for k, v in exc.params.items()}
        try:
            message = t(exc.key, **params)
        except (KeyError, IndexError):
            message = t(exc.key)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            {"detail": message, "code": exc.key.removeprefix("lobby.errors."), "params": params},
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        t = _translator(request)
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()))
            said = problem_said(
                t, str(error.get("type", "")), error.get("ctx") or {}, str(error.get("msg", ""))
            )
            # ``problem``: pydantic's English, as scripts have read it; ``message``: in words.
            problems.append({"field": where, "problem": str(error.get("msg", "")), "message": said})
        summary = t("app.problem_sep").join(
            t("app.config_problem_at", where=p["field"], problem=p["message"]) for p in problems[:5]
        )
        return JSONResponse(
            {
                "detail": t("lobby.errors.validation", problems=summary),
                "code": "validation",
                "errors": problems,
            },
            status_code=422,
        )

    @app.exception_handler(StoreBusyError)
    async def _busy(request: Request, exc: StoreBusyError) -> JSONResponse:
        t = _translator(request)
        return JSONResponse(
            {"detail": t("lobby.errors.store_busy", holder=str(exc)), "code": "store_busy"},
            status_code=503,
        )

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        t = _translator(request)
        return JSONResponse(
            {
                "detail": t("lobby.errors.store_unavailable", detail=str(exc)),
                "code": "store_unavailable",
            },
            status_code=503,
        )

    @app.exception_handler(RulesError)
    async def _rules(request: Request, exc: RulesError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "code": "rules"}, status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        t = _translator(request)
        detail = exc.detail if isinstance(exc.detail, str) else t("lobby.errors.bad_request")
        if exc.status_code == 404 and detail == "Not Found" and _a_browser(request):
            from smartcounter.web.pages import not_found_page

            settings = getattr(request.app.state, "settings", None)
            return not_found_page(request, t.lang, getattr(settings, "secret_key", ""))
        if exc.status_code == 404 and detail == "Not Found":
            detail = t("lobby.errors.no_such_path")
        if exc.status_code == 405:
            detail = t("lobby.errors.method_not_allowed")
        return JSONResponse(
            {"detail": detail, "code": "http"}, status_code=exc.status_code, headers=exc.headers
        )
