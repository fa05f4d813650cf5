"""stillmotion: generate video from the still under the playhead, place it back on the timeline.

:func:`lazy_exports` lives here, beneath every layer, because the packages whose public names
pull in heavy libraries (``stillmotion.api``: httpx and pydantic; ``stillmotion.server``:
FastAPI and uvicorn) share it to load those names on first use (PEP 562).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__version__ = "0.1.0"


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name in ``homes`` is imported from its
    home module when first used (a home equal to ``package.name`` is that submodule itself),
    then kept in the package, so importing one light submodule loads none of the others."""

    def load(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(home)
        value = module if home == f"{package}.{name}" else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    return load
