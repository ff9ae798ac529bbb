"""Log in and out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from smartcounter.accounts import service as accounts
from smartcounter.accounts.models import User
from smartcounter.accounts.policy import PasswordPolicy
from smartcounter.accounts.schemas import (
    LoginIn,
    PasswordChange,
    SessionPublic,
    UserPreferences,
    UserPublic,
)
from smartcounter.accounts.tokens import csrf_token
from smartcounter.errors import SmartCounterError
from smartcounter.i18n import Translator
from smartcounter.web.deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    ContextDep,
    CurrentUser,
    SessionDep,
    SettingsDep,
    TranslatorDep,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


def user_public(user: User, t: Translator) -> UserPublic:
    """A user as the API shows them."""
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,
        role_name=t(f"lobby.role.{user.role.value}"),
        branch_id=user.branch_id,
        staff_id=user.staff_id,
        display_name=user.display_name,
        lang=user.lang,
    )


def client_address(request: Request) -> str | None:
    """The address a request came from (behind a trusted proxy: the one it forwarded)."""
    return request.client.host if request.client else None


@router.post("/login", response_model=SessionPublic)
def login(
    login_in: LoginIn,
    request: Request,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    t: TranslatorDep,
) -> SessionPublic:
    """Log in with username and password; sets the session cookie.

    429 with the time to try again after too many failures of the account or from the
    address.
    """
    client = client_address(request)
    try:
        user = accounts.log_in(
            session=session,
            ctx=ctx,
            username=login_in.username,
            password=login_in.password,
            client=client,
        )
    except SmartCounterError:
        session.commit()  # the failure counts and its audit entry stay, the answer is 401/429
        raise
    opened = accounts.open_session(
        session=session, user=user, now=ctx.now(), hours=settings.lobby.session_hours, client=client
    )
    set_session_cookies(
        response, opened.token, user, settings.lobby.cookie_secure, settings.lobby.session_hours
    )
    return SessionPublic(
        user=user_public(user, t),
        csrf_token=csrf_token(settings.secret_key, opened.token),
        expires_at=ctx.local(opened.record.expires_at),
    )


@router.post("/password", status_code=204)
def change_password(
    change_in: PasswordChange, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> None:
    """Change one's own password: the current one, the new one and its confirmation."""
    accounts.change_password(
        session=session,
        user=user,
        old=change_in.old_password,
        new=change_in.new_password,
        confirm=change_in.confirm_password,
        now=ctx.now(),
        policy=PasswordPolicy.of(ctx.settings),
    )


def set_session_cookies(
    response: Response, token: str, user: User, secure: bool, hours: float
) -> None:
    """The login cookie (HTTP-only, same-site) and the user's language."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    if user.lang:
        response.set_cookie(LANG_COOKIE, user.lang, samesite="lax", secure=secure, path="/")


@router.post("/logout", status_code=204)
def logout(
    caller: CallerDep,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
) -> None:
    """End this login session."""
    if caller.user is not None and caller.cookie_token is not None:
        accounts.close_session(session=session, token=caller.cookie_token, now=ctx.now())
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.lobby.cookie_secure, httponly=True
    )


@router.get("/me", response_model=SessionPublic)
def me(
    caller: CallerDep, user: CurrentUser, ctx: ContextDep, settings: SettingsDep, t: TranslatorDep
) -> SessionPublic:
    """The logged-in user and the CSRF token their forms must send."""
    assert caller.cookie_token is not None
    return SessionPublic(
        user=user_public(user, t),
        csrf_token=csrf_token(settings.secret_key, caller.cookie_token),
        expires_at=ctx.local(caller.expires_at or ctx.now()),
    )


@router.patch("/me", response_model=UserPublic)
def update_me(
    prefs_in: UserPreferences,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    settings: SettingsDep,
    t: TranslatorDep,
) -> UserPublic:
    """Change the user's own preferences (language)."""
    updated = accounts.set_preferences(session=session, user=user, prefs_in=prefs_in)
    if updated.lang:
        response.set_cookie(
            LANG_COOKIE,
            updated.lang,
            samesite="lax",
            secure=settings.lobby.cookie_secure,
            path="/",
        )
    return user_public(updated, t)
