"""Which capability row a job uses: the user's ``models`` table, ours, or the vendor's catalogue.

Why one function: the pipeline, ``fill-gap`` and ``providers`` must agree on where a model's
limits and price come from, in one order: a row the user declared in settings wins (they may
correct ours), then the built-in table, then the vendor's list (OpenRouter's
``/videos/models``, a /v1/videos gateway's ``/models``), read only when the model is in
neither, and cached. A model found
nowhere is refused before anything is sent, naming how to declare it.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import TYPE_CHECKING, Any

from stillmotion.api import capabilities
from stillmotion.api.capabilities import ModelCapability
from stillmotion.api.declared import declared_rows
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.settings import Settings

if TYPE_CHECKING:
    import httpx


def dialect_key(provider: str) -> str | None:
    """The key of a vendor dialect from its own variables (the first one set)."""
    for name in DIALECTS[provider].keys:
        value = os.environ.get(name)
        if value:
            return value
    return None


GATEWAY = "openai"
"""The /v1/videos gateways: their list is ``GET /models`` at ``--base-url``, read with the
gateway key (:mod:`stillmotion.api.providers.gateway_catalogue`)."""


def has_catalogue(provider: str) -> bool:
    """Whether ``provider`` lists its models (a vendor catalogue, or a gateway's ``/models``)."""
    dialect = DIALECTS.get(provider)
    return provider == GATEWAY or (dialect is not None and dialect.catalogue)


def _catalogue_module(provider: str) -> ModuleType | None:
    """The module reading ``provider``'s list (``<dialect module>_catalogue``), if it has one."""
    if not has_catalogue(provider):
        return None
    module = "gateway" if provider == GATEWAY else DIALECTS[provider].module
    return importlib.import_module(f"stillmotion.api.providers.{module}_catalogue")


def catalogue_root(provider: str, settings: Settings) -> str | None:
    """The API root whose list counts: ``--base-url``, else the vendor's own (a gateway has
    none: without a base URL there is no list to read)."""
    if provider == GATEWAY:
        return settings.base_url
    return settings.base_url or DIALECTS[provider].root


def _listed(provider: str, model: str, root: str, settings: Settings,
            transport: httpx.BaseTransport | None) -> tuple[ModelCapability, ...]:
    """The rows ``provider``'s list gives for a model we do not know (read through the cache).

    A vendor catalogue gives all its rows (lookup then refuses a model it lacks, naming them);
    a gateway's list gives the one model's row, refuses a model it does not list, or gives
    nothing when the gateway has no list.
    """
    module = _catalogue_module(provider)
    if module is None:
        return ()
    common: dict[str, Any] = {"timeout": settings.request_timeout, "transport": transport}
    if provider == GATEWAY:
        row: ModelCapability | None = module.gateway_row(
            model, root, settings.resolved_api_key(), settings.cache_dir,
            settings.catalogue_ttl, **common)
        return () if row is None else (row,)
    rows: tuple[ModelCapability, ...] = module.catalogue_rows(
        root, dialect_key(provider), settings.cache_dir, settings.catalogue_ttl, **common)
    return rows


def find(provider: str, model: str | None, settings: Settings, *,
         transport: httpx.BaseTransport | None = None) -> ModelCapability:
    """The row for ``provider``/``model`` (None: the provider's default), as described above."""
    declared = declared_rows(settings.models)
    chosen = model or capabilities.DEFAULT_MODEL.get(provider)
    known = any(r.provider == provider and r.model == chosen
                for r in (*declared, *capabilities.capabilities()))
    root = catalogue_root(provider, settings) if has_catalogue(provider) else None
    listed: tuple[ModelCapability, ...] = ()
    if not known and chosen is not None and root is not None:
        listed = _listed(provider, chosen, root, settings, transport)
    return capabilities.lookup(provider, model, extra=(*declared, *listed))


def cached_catalogue(provider: str, settings: Settings) -> tuple[ModelCapability, ...] | None:
    """The catalogue rows kept in the cache for ``provider`` (no network); None when it has no
    catalogue or none is kept (fresh)."""
    module = _catalogue_module(provider)
    root = catalogue_root(provider, settings) if module is not None else None
    if module is None or root is None:
        return None
    rows: tuple[ModelCapability, ...] | None = module.cached_rows(
        root, settings.cache_dir, settings.catalogue_ttl)
    return rows


def known_rows(provider: str, settings: Settings) -> tuple[ModelCapability, ...]:
    """The rows ``provider`` has now, each model once in :func:`find`'s order of precedence:
    declared, built-in, then the cached catalogue (never read from the network here)."""
    declared = [r for r in declared_rows(settings.models) if r.provider == provider]
    built_in = [r for r in capabilities.capabilities() if r.provider == provider]
    chosen: dict[str, ModelCapability] = {}
    for row in (*declared, *built_in, *(cached_catalogue(provider, settings) or ())):
        chosen.setdefault(row.model, row)
    return tuple(chosen.values())
