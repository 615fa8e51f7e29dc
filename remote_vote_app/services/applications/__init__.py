"""The application procedure (local councils): filing, changing and withdrawing applications,
capacity, exclusion lists, reminders, voter passes and the voter's activity log.
May import: identity, reference and below."""
