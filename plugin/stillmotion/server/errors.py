"""HTTP errors of the local server, always answered in the OpenAI error envelope.

Why one type: clients (ours, the official SDK, gateways' readers) parse
``{"error": {"message", "type", "param", "code"}}`` for every failed call, so each refusal the
server makes is an :class:`APIError` carrying exactly those four fields plus the HTTP status and
any extra headers (``Retry-After`` on a 429).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


class APIError(Exception):
    """A refusal the server answers with ``status`` and the OpenAI error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def envelope(self) -> dict[str, Any]:
        """The JSON body: ``{"error": {"message", "type", "param", "code"}}``."""
        return envelope(self.message, type=self.type, param=self.param, code=self.code)


def envelope(
    message: str, *, type: str = INVALID_REQUEST, param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """An OpenAI error envelope with all four keys present (nullable ones as null)."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def invalid_value(param: str, value: str, supported: str) -> APIError:
    """400 in the original's words: ``Invalid value: '10'. Supported values are: …``."""
    return APIError(400, f"Invalid value: '{value}'. Supported values are: {supported}.",
                    param=param, code="invalid_value")


def missing(param: str) -> APIError:
    """400 for a required field that was not sent."""
    return APIError(400, f"Missing required parameter: '{param}'.", param=param,
                    code="missing_required_parameter")


def not_found(kind: str, ident: str, param: str | None = None) -> APIError:
    """404 for an unknown id (video, character, file)."""
    return APIError(404, f"{kind} with id '{ident}' not found.", param=param,
                    code="not_found")


def quoted_choices(values: list[str]) -> str:
    """``'4', '8', and '12'`` / ``'a' and 'b'``: the original's way of listing choices."""
    items = [f"'{v}'" for v in values]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]
