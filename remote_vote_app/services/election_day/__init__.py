"""Election day: the check-in desk of a remote precinct (application mode), identification at any
precinct (the law of 2025), which desk a member gets, turnout and where a voter can vote.
May import: applications, identity, reference and below."""
