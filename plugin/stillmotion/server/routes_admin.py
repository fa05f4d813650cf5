"""The routes beside /v1: ``/healthz`` always, and in test mode ``/_faults`` and ``/_stats``
(read or replace the fault plan, read or zero the request counters).

Why apart from /v1: they skip the /v1 gate (no key, not counted, no faults fire on them), and
:func:`stillmotion.server.app.create_app` includes :data:`test_router` only when the server runs
with ``test_mode``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from stillmotion.server.errors import APIError
from stillmotion.server.faults import FaultPlan
from stillmotion.server.requests import ServiceDep, read_body

health_router = APIRouter()
test_router = APIRouter()


@health_router.get("/healthz")
async def health() -> JSONResponse:
    # A ready Response: FastAPI's encoder of returned dicts swaps the process-wide warning
    # filters, which must not race another server's build (see stillmotion.server.app).
    return JSONResponse({"status": "ok"})


@test_router.get("/_faults")
async def get_faults(service: ServiceDep) -> JSONResponse:
    return JSONResponse(service.faults.plan().model_dump())


@test_router.post("/_faults")
async def set_faults(request: Request, service: ServiceDep) -> JSONResponse:
    try:
        plan = FaultPlan.model_validate(await read_body(request))
    except ValidationError as exc:
        raise APIError(400, f"Invalid fault plan: {exc.errors()[0]['msg']}.",
                       code="invalid_value") from None
    service.faults.replace(plan)
    return JSONResponse(service.faults.plan().model_dump())


@test_router.get("/_stats")
async def get_stats(service: ServiceDep) -> JSONResponse:
    return JSONResponse(service.faults.stats())


@test_router.delete("/_stats")
async def reset_stats(service: ServiceDep) -> JSONResponse:
    service.faults.reset_stats()
    return JSONResponse(service.faults.stats())
