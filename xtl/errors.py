"""The one exception type users see: its message is one line that names the fix."""


class XtlError(Exception):
    """A user-facing error. The CLI prints `error: <message>` and exits 2, without a traceback."""
