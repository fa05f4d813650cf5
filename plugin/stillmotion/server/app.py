"""The FastAPI application: the routers onto :class:`VideoService`, errors in the OpenAI envelope.

Why bodies are read by hand (not declared as FastAPI models): the same call arrives as JSON or
as multipart with bracketed nested fields, and refusals must use the original's wording and
envelope, which FastAPI's automatic 422 does not. The routes live on module-level routers
(:mod:`.routes_videos` for /v1, behind its gate; :mod:`.routes_admin` for ``/healthz`` and the
test-mode ``/_faults``, ``/_stats``); :func:`create_app` puts the service on ``app.state`` for
them, adds the error handlers and includes the routers, then the vendor dialects.

Why one app is built at a time (:data:`_BUILDING`): FastAPI builds each route parameter's
validator inside ``warnings.catch_warnings()`` to silence pydantic's
``UnsupportedFieldAttributeWarning`` about the aliases it sets itself. ``catch_warnings`` swaps
the process-wide filter list and is not thread-safe, so two servers started at once (the
embedded preview server of concurrent jobs) restored each other's filters mid-build and the
warning escaped (``alias='sig'``, ``alias='model'``). Building apps one after another keeps
FastAPI's own silencing intact; serving stays concurrent.
"""

from __future__ import annotations

import re
import secrets
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stillmotion.server import routes_admin, routes_videos
from stillmotion.server.dialects import mount_dialects, route_key
from stillmotion.server.errors import (
    SERVER_ERROR,
    APIError,
    envelope,
    invalid_value,
    quoted_choices,
)
from stillmotion.server.service import VideoService


class RequestIdMiddleware:
    """Adds ``x-request-id: req_…`` to every answer (clients quote it in error messages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ("req_" + secrets.token_hex(12)).encode("ascii")

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
            await send(message)

        await self.app(scope, receive, stamped)


def _json_error(exc: APIError) -> JSONResponse:
    return JSONResponse(exc.envelope(), status_code=exc.status, headers=exc.headers)


def _validation_error(exc: RequestValidationError) -> APIError:
    """FastAPI's validation failure reworded as the original would (first problem only)."""
    first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    param = ".".join(loc) or None
    kind = first.get("type", "")
    given = first.get("input")
    ctx = first.get("ctx") or {}
    if kind == "greater_than_equal":
        return APIError(400, f"Invalid '{param}': integer below minimum value. Expected a value "
                        f"greater than or equal to {ctx.get('ge')}, but got {given} instead.",
                        param=param, code="integer_below_min_value")
    if kind == "less_than_equal":
        return APIError(400, f"Invalid '{param}': integer above maximum value. Expected a value "
                        f"less than or equal to {ctx.get('le')}, but got {given} instead.",
                        param=param, code="integer_above_max_value")
    if kind == "int_parsing":
        return APIError(400, f"Invalid '{param}': expected an integer, but got '{given}' "
                        "instead.", param=param, code="invalid_type")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return invalid_value(param or "value", str(given), quoted_choices(choices))
    return APIError(400, f"Invalid '{param}': {first.get('msg', 'invalid value')}.",
                    param=param, code="invalid_value")


_BUILDING = threading.Lock()
"""Held while an app's routes are built (see the module docstring)."""


def create_app(service: VideoService) -> FastAPI:
    """The ASGI app serving ``service`` under ``/v1`` (plus ``/_faults``, ``/_stats`` in test
    mode and ``/healthz``); one app is built at a time."""
    with _BUILDING:
        return _build_app(service)


def _build_app(service: VideoService) -> FastAPI:
    app = FastAPI(title="stillmotion serve", version="1", docs_url="/docs", redoc_url=None)
    app.state.service = service  # what the routers' ServiceDep hands each route
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        return _json_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            service.faults.count_request(route_key(request))
            message = f"Invalid URL ({request.method} {request.url.path})"
            return _json_error(APIError(404, message, code="unknown_url"))
        if exc.status_code == 405:
            return _json_error(APIError(405, f"Method {request.method} is not allowed on "
                                        f"{request.url.path}.", code="method_not_allowed"))
        return _json_error(APIError(exc.status_code, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json_error(_validation_error(exc))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(envelope("The server had an error while processing your request.",
                                     type=SERVER_ERROR, code="internal_error"), status_code=500)

    app.include_router(routes_videos.router)
    app.include_router(routes_admin.health_router)
    if service.options.test_mode:
        app.include_router(routes_admin.test_router)
    mount_dialects(app, service)  # every vendor dialect on its own paths (after every route)
    return app
