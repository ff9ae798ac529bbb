"""Why a bulletin cannot be built; each carries a message key of ``bulletin.toml``."""

from __future__ import annotations


class BulletinError(Exception):
    """A bulletin that cannot be built, with a message key and its parameters."""

    key = "bulletin.error.generic"

    def __init__(self, **params: str) -> None:
        super().__init__(", ".join(f"{k}={v}" for k, v in params.items()) or self.key)
        self.params = params


class NoDataError(BulletinError):
    """The week holds no transactions in the scope asked for."""

    key = "bulletin.error.no_data"


class UnknownRegionError(BulletinError):
    """No branch of the store is in the region asked for."""

    key = "bulletin.error.unknown_region"


class UnknownBranchError(BulletinError):
    """A branch asked for by ``--branch`` that the bulletin does not cover."""

    key = "bulletin.error.unknown_branch"
