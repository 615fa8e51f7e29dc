"""One-time codes as a tester reads them from an SMS: 6 digits, or a strong code (XXXX-XXXX-XXXXX)
once wrong codes were tried for the PIN (services.identity.auth)."""

import re

CODE = re.compile(r"\b(\d{6}|[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})\b")


def code_in(text: str) -> str:
    found = CODE.search(text)
    if found is None:
        raise AssertionError(f"no code in {text!r}")
    return found.group(1)
