"""Which capability row a job uses: the user's ``models`` table, ours, or the vendor's catalogue.

Why one function: the pipeline, ``fill-gap`` and ``providers`` must agree on where a model's
limits and price come from, in one order: a row the user declared in settings wins (they may
correct ours), then the built-in table, then the vendor's catalogue (OpenRouter's
``/videos/models``, read only when the model is in neither, and cached). A model found nowhere
is refused before anything is sent, naming how to declare it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType

import httpx

from stillmotion.api import capabilities
from stillmotion.api.capabilities import ModelCapability
from stillmotion.api.declared import declared_rows
from stillmotion.api.providers.registry import DIALECTS
from stillmotion.settings import Settings

CatalogueReader = Callable[..., tuple[ModelCapability, ...]]


def dialect_key(provider: str) -> str | None:
    """The key of a vendor dialect from its own variables (the first one set)."""
    for name in DIALECTS[provider].keys:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _catalogue_module(provider: str) -> ModuleType | None:
    """The dialect's ``<module>_catalogue`` module, if the dialect lists its models."""
    dialect = DIALECTS.get(provider)
    if dialect is None or not dialect.catalogue:
        return None
    return importlib.import_module(f"stillmotion.api.providers.{dialect.module}_catalogue")


def catalogue_reader(provider: str) -> CatalogueReader | None:
    """The dialect's ``catalogue_rows`` (reads the network when the cache is stale)."""
    module = _catalogue_module(provider)
    reader: CatalogueReader | None = None if module is None else module.catalogue_rows
    return reader


def catalogue_root(provider: str, settings: Settings) -> str:
    """The API root whose catalogue counts: ``--base-url``, else the vendor's own."""
    return settings.base_url or DIALECTS[provider].root


def find(provider: str, model: str | None, settings: Settings, *,
         transport: httpx.BaseTransport | None = None) -> ModelCapability:
    """The row for ``provider``/``model`` (None: the provider's default), as described above."""
    declared = declared_rows(settings.models)
    chosen = model or capabilities.DEFAULT_MODEL.get(provider)
    known = any(r.provider == provider and r.model == chosen
                for r in (*declared, *capabilities.capabilities()))
    reader = None if known or chosen is None else catalogue_reader(provider)
    listed: tuple[ModelCapability, ...] = ()
    if reader is not None:
        listed = reader(catalogue_root(provider, settings), dialect_key(provider),
                        settings.cache_dir, settings.catalogue_ttl,
                        timeout=settings.request_timeout, transport=transport)
    return capabilities.lookup(provider, model, extra=(*declared, *listed))


def cached_catalogue(provider: str, settings: Settings) -> tuple[ModelCapability, ...] | None:
    """The catalogue rows kept in the cache for ``provider`` (no network); None when it has no
    catalogue or none is kept (fresh)."""
    module = _catalogue_module(provider)
    if module is None:
        return None
    rows: tuple[ModelCapability, ...] | None = module.cached_rows(
        catalogue_root(provider, settings), settings.cache_dir, settings.catalogue_ttl)
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
