"""Every rule and all database access, as plain Python (no Reflex import), in layers.

From the bottom: `clock`, `validation`, `audit`, `formats` (CSV and XLSX writers) and `messaging`
(notifications, the outbox's delivery, sealing); then `reference`, `identity`, `applications`,
`election_day`, `reporting`. A module imports from its own layer or below, never above
(tests/unit/test_layers.py keeps that true). Exceptions live in `remote_vote_app.errors`, below
`db.py`, which imports no service.
"""

# The reference cache's flush hook must be registered before any session flushes reference rows.
from remote_vote_app.services.reference import refcache as _refcache  # noqa: F401
