"""What the live channel's packets are read with: Python's json, except that a packet whose JSON cannot be read
still reaches the hub and gets its answer.

python-socketio parses a packet's JSON after its type and ack id. Left to itself, a malformed payload, one nested
some thousand levels deep (RecursionError) or an integer of 4,301+ digits (ValueError) raised out of the engine's
message handler: the server logged it and the client's ack never came. Here such a payload reads as the event
MALFORMED carrying the error code, which the hub answers in the one error shape on the same ack.
"""

from __future__ import annotations

import json
from typing import Any

from ..vocabulary import ErrorCode

MALFORMED = "\x00malformed"  # not an event a client can name by mistake
UNREADABLE: ErrorCode = "malformed_json"
TOO_COMPLEX: ErrorCode = "json_too_complex"


class PacketJson:
    """The `json` module python-socketio is given (it calls `dumps` and `loads` only)."""

    @staticmethod
    def dumps(value: Any, **options: Any) -> str:
        return json.dumps(value, **options)

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        try:
            return json.loads(text, **options)
        except json.JSONDecodeError:
            return [MALFORMED, UNREADABLE]
        except (RecursionError, ValueError):
            return [MALFORMED, TOO_COMPLEX]
