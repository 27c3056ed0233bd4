"""One exception type for every user-facing failure, so the CLI prints a sentence instead of a traceback."""


class EvalkitError(Exception):
    """A problem the user can fix (bad input, missing file, unknown name). The message is shown as is."""


class DataError(EvalkitError):
    """A benchmark or input file is malformed; the message names the file and line."""


def first_line(err: BaseException) -> str:
    """The first sentence of a library's exception message, for embedding in our one-sentence errors."""
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return text.split(". ")[0].rstrip(".: ")
