"""Staff page states, one module per page, on the staff session of `session.py`.

Importing the package registers every staff page state (the session resets them all at login and
logout, and the role tests find them all through `StaffState.get_substates()`).
"""

from remote_vote_app.state.staff import (  # noqa: F401
    applications, audit, checkin, dashboard, elections, exclusions, in_person, login, precincts, reminders, session,
    voter_lists,
)
