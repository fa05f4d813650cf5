"""``stillmotion serve``: a local /v1/videos server rendering real clips with the preview engine.

Public API: :func:`serve_in_background` (in-process, random free port) returning a
:class:`RunningServer`; :func:`embedded_base_url` (the embedded preview server the entry points
hand to the jobs layer); :class:`ServerOptions`; :class:`FaultPlan` for fault injection.
"""

from __future__ import annotations

from stillmotion.server.faults import FaultPlan
from stillmotion.server.options import ServerOptions
from stillmotion.server.running import (
    RunningServer,
    embedded_base_url,
    serve_forever,
    serve_in_background,
)

__all__ = [
    "FaultPlan", "RunningServer", "ServerOptions", "embedded_base_url", "serve_forever",
    "serve_in_background",
]
