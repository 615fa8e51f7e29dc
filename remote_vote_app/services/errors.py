"""Errors that carry an i18n message key, so the UI can say what went wrong in the user's language."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, field: str = "", **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


class NotFound(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class FieldErrors(ServiceError):
    """Several fields of one form are wrong at once; `errors` maps field -> error."""

    def __init__(self, errors: dict[str, ServiceError]) -> None:
        super().__init__("error.form_invalid")
        self.errors = errors


class Refusal(ServiceError):
    """A refusal whose bookkeeping must be kept (a counted failure, its audit row): the session
    scope commits the caller's transaction before passing the error on, instead of rolling back."""


class Unavailable(ServiceError):
    """The database (or another service the request needs) cannot be reached just now."""
