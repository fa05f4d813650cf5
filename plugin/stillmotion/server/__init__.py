"""``stillmotion serve``: a local /v1/videos server rendering real clips with the preview engine.

Public API: :func:`serve_in_background` (in-process, random free port) returning a
:class:`RunningServer`; :func:`embedded_base_url` (the embedded preview server the entry points
hand to the jobs layer); :class:`ServerOptions`; :class:`FaultPlan` for fault injection.

The re-exports load on first use (PEP 562), so importing a light submodule
(``stillmotion.server.options`` for the ``serve`` command's defaults) does not start FastAPI,
uvicorn and the preview renderer on every ``stillmotion`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stillmotion import lazy_exports

if TYPE_CHECKING:
    from stillmotion.server.faults import FaultPlan
    from stillmotion.server.options import ServerOptions
    from stillmotion.server.running import (
        RunningServer,
        embedded_base_url,
        serve_forever,
        serve_in_background,
    )

_HOMES = {
    "FaultPlan": "stillmotion.server.faults",
    "RunningServer": "stillmotion.server.running",
    "ServerOptions": "stillmotion.server.options",
    "embedded_base_url": "stillmotion.server.running",
    "serve_forever": "stillmotion.server.running",
    "serve_in_background": "stillmotion.server.running",
}
"""Where each public name lives (its module is imported when the name is first used)."""


__getattr__ = lazy_exports(__name__, _HOMES)


__all__ = [
    "FaultPlan", "RunningServer", "ServerOptions", "embedded_base_url", "serve_forever",
    "serve_in_background",
]
