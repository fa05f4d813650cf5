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


def catalogue_reader(provider: str) -> CatalogueReader | None:
    """The dialect's ``catalogue_rows`` (its ``<module>_catalogue`` module), if it has one."""
    dialect = DIALECTS.get(provider)
    if dialect is None or not dialect.catalogue:
        return None
    module = importlib.import_module(f"stillmotion.api.providers.{dialect.module}_catalogue")
    reader: CatalogueReader = module.catalogue_rows
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
