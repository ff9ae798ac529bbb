"""What the accounts API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartcounter.accounts.roles import DeviceKind, Role

Username = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# Length and content are the password policy's (configurable), checked by the service.
NewPassword = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Name = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=200, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]
StaffId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    """Username and password."""

    username: Username
    password: Password


class UserCreate(_In):
    """A new user of a branch."""

    username: Username
    password: NewPassword
    role: Role
    display_name: Name | None = None
    staff_id: StaffId | None = None


class PasswordChange(_In):
    """A user's own new password, with the current one and the new one typed twice."""

    old_password: Password
    new_password: NewPassword
    confirm_password: NewPassword


class UserPreferences(_In):
    """What a user may change about themselves."""

    lang: str | None = Field(default=None, pattern=r"^(zh|en)$")


class DeviceCreate(_In):
    """A new kiosk or calling display."""

    kind: DeviceKind
    name: Name


class UserPublic(BaseModel):
    id: int
    username: str
    role: Role
    role_name: str
    branch_id: str | None
    staff_id: str | None
    display_name: str | None
    lang: str | None


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str
    expires_at: datetime


class DevicePublic(BaseModel):
    id: int
    kind: DeviceKind
    name: str
    branch_id: str
    created_at: datetime
    revoked: bool


class DeviceCreated(DevicePublic):
    token: str
    activate_url: str


class AuditEntryPublic(BaseModel):
    id: int
    ts: datetime
    actor: str
    branch_id: str | None
    action: str
    target: str | None
    detail: str | None
