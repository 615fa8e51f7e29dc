"""A handler that fails: the log names where, never what; the page is told through its own banner."""

import logging

from remote_vote_app.components.ux import FAILED_EVENT, request_failed


def test_a_failed_handler_is_logged_without_its_message_and_the_page_is_told(caplog):
    from remote_vote_app.remote_vote_app import on_backend_error

    with caplog.at_level(logging.ERROR, logger="remote_vote_app"):
        try:
            raise ValueError("PIN 21234567890123")
        except ValueError as exc:
            event = on_backend_error(exc)
    assert "ValueError at" in caplog.text and "21234567890123" not in caplog.text
    code = dict((str(name), value) for name, value in event.args)["javascript_code"]
    assert str(code) == str(request_failed().args[0][1]) and FAILED_EVENT in str(code)
