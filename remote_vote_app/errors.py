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


def collect(**checks) -> dict[str, object]:
    """Runs every check (field name -> zero-argument callable) and returns their values; if any
    fails, FieldErrors names every wrong field at once (a person fixes a form in one go, GOV.UK's
    error summary lists them all). A single wrong field stays a plain ServiceError."""
    values: dict[str, object] = {}
    errors: dict[str, ServiceError] = {}
    for field, check in checks.items():
        try:
            values[field] = check()
        except ServiceError as exc:
            errors[field] = exc if exc.field else ServiceError(exc.code, field=field, **exc.params)
    if len(errors) == 1:
        raise next(iter(errors.values()))
    if errors:
        raise FieldErrors(errors)
    return values


class Refusal(ServiceError):
    """A refusal whose bookkeeping must be kept (a counted failure, its audit row): the session
    scope commits the caller's transaction before passing the error on, instead of rolling back."""


class Unavailable(ServiceError):
    """The database (or another service the request needs) cannot be reached just now."""
