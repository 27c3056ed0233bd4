"""Decode LiveCodeBench's private tests, base64(zlib(pickle(json string))), without unpickling objects.

Pickle runs code on load (any `GLOBAL`/`REDUCE` opcode can call any function). This unpickler
resolves no global at all, so only built-in containers and scalars can be built, and anything but a
plain string (or bytes) as the result is refused. Decompression is bounded.
"""

from __future__ import annotations

import base64
import binascii
import io
import pickle
import zlib

MAX_DECOMPRESSED = 1 << 30


class UnsafePickle(ValueError):
    """The pickle tried to load a class or function, or produced something other than a string."""


class _StringsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise UnsafePickle(f"pickle refers to {module}.{name}; only plain strings are accepted")

    def persistent_load(self, pid):
        raise UnsafePickle("pickle uses persistent ids; only plain strings are accepted")


def loads_string(data: bytes) -> str:
    """Unpickle `data` if and only if it is a plain str (or bytes, decoded as UTF-8)."""
    try:
        value = _StringsOnly(io.BytesIO(data)).load()
    except UnsafePickle:
        raise
    except Exception as err:  # noqa: BLE001 -- any malformed pickle is the same user-facing error
        raise UnsafePickle(f"not a valid pickle ({type(err).__name__}: {err})") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if type(value) is not str:
        raise UnsafePickle(f"pickle holds a {type(value).__name__}; only plain strings are accepted")
    return value


def decode_lcb_private(field: str) -> str:
    """The JSON text of LCB's `private_test_cases`: plain JSON as is, else base64 -> zlib -> pickle."""
    text = field.strip()
    if text.startswith("["):
        return text
    try:
        packed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise UnsafePickle(f"not base64 ({err})") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, MAX_DECOMPRESSED)
    except zlib.error as err:
        raise UnsafePickle(f"not zlib data ({err})") from None
    if inflater.unconsumed_tail:
        raise UnsafePickle(f"decompresses to more than {MAX_DECOMPRESSED >> 20} MiB")
    return loads_string(raw)
