"""One exception type for every user-facing failure, so the CLI prints a sentence instead of a traceback."""


class EvalkitError(Exception):
    """A problem the user can fix (bad input, missing file, unknown name). The message is shown as is."""


class DataError(EvalkitError):
    """A benchmark or input file is malformed; the message names the file and line."""
