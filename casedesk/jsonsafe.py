"""JSON that is the same data and still safe to print on a terminal.

``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but leaves C1 controls, DEL,
bidirectional overrides and lone surrogates raw: the first act on a terminal (``\\x9b`` is
a CSI), the last cannot even be encoded as UTF-8. :func:`dumps` writes those as
``\\uXXXX`` escapes, which every JSON reader decodes back to the very same string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

#: Only ever inside JSON strings (outside them JSON is plain ASCII), so escaping is exact.
_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def dumps(value: Any, default: Callable[[Any], Any] | None = str) -> str:
    """``value`` as one line of JSON, non-ASCII kept readable, unsafe characters escaped."""
    text = json.dumps(value, ensure_ascii=False, default=default)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
