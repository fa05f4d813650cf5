"""Reading a request the way the OpenAI API does: the body from JSON or a form, the key, the
service the app serves.

Why one module: the /v1 routes and the test-mode routes read bodies alike, and routers live at
module level, so each route finds its :class:`VideoService` on the app
(``app.state.service``, set by :func:`stillmotion.server.app.create_app`) through
:data:`ServiceDep` instead of a closure.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from stillmotion.server.errors import APIError
from stillmotion.server.inputs import MAX_VIDEO_BYTES, Upload, nest_form
from stillmotion.server.service import VideoService


def service_of(request: Request) -> VideoService:
    """The service the app answering ``request`` serves."""
    service: VideoService = request.app.state.service
    return service


ServiceDep = Annotated[VideoService, Depends(service_of)]
"""A route parameter typed with this receives the app's :class:`VideoService`."""


def presented_key(request: Request) -> str | None:
    """The key sent as ``Authorization: Bearer KEY`` or ``api-key: KEY``, else None."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("api-key") or None


async def read_body(request: Request) -> dict[str, Any]:
    """The request body as a dict, from JSON or a (multipart or urlencoded) form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_part_size=MAX_VIDEO_BYTES)
        items: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                items.append((key, Upload(await value.read(), value.filename)))
            else:
                items.append((key, value))
        return nest_form(items)
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise APIError(400, "We could not parse the JSON body of your request. (HINT: This "
                       "likely means you aren't using your HTTP library correctly. The OpenAI "
                       "API expects a JSON payload, but what was sent was not valid JSON.)",
                       code="invalid_json") from None
    if not isinstance(body, dict):
        raise APIError(400, "Invalid body: expected a JSON object.", code="invalid_type")
    return body
