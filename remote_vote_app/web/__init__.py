"""HTTP around the Reflex app: security headers, the session cookie routes, open data."""
