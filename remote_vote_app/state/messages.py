"""Error display: a service error as the entries every page's error summary renders."""

from __future__ import annotations

from remote_vote_app.errors import FieldErrors, ServiceError


def error_entries(exc: ServiceError) -> dict[str, dict[str, str]]:
    """A service error as {field: {key, **params}}; form-level errors use the field 'form'."""
    if isinstance(exc, FieldErrors):
        return {field: {"key": err.code, **{k: str(v) for k, v in err.params.items()}} for field, err in exc.errors.items()}
    return {exc.field or "form": {"key": exc.code, **{k: str(v) for k, v in exc.params.items()}}}


# The error summary's heading says what happened (GOV.UK): a wrong code, a deadline, an application
# that exists get their own; "there is a problem" is for answers to correct, a plain "could not be
# done" for anything else.
SUMMARY_TITLES = {
    "error.forbidden": "ux.summary_forbidden", "error.qr_expired": "ux.summary_expired",
    "error.code_expired": "ux.summary_expired", "error.qr_refused": "ux.summary_expired",
    "error.code_wrong": "ux.summary_code", "error.code_attempts": "ux.summary_code",
    "error.deadline_passed": "ux.summary_closed", "error.already_applied": "ux.summary_already",
    "error.unavailable": "ux.summary_unavailable",
}


def summary_title_key(entries: dict[str, dict[str, str]]) -> str:
    """The error summary's heading for these error entries (see SUMMARY_TITLES)."""
    for entry in entries.values():
        if entry.get("key") in SUMMARY_TITLES:
            return SUMMARY_TITLES[entry["key"]]
    return "apply.errors_title" if any(field != "form" for field in entries) else "ux.summary_problem"


def as_strings(row: dict) -> dict[str, str]:
    """A service dict as UI strings (booleans as "1" / ""), matching the typed State vars."""
    return {k: ("1" if v else "") if isinstance(v, bool) else str(v) for k, v in row.items()}
