"""A /v1/videos gateway's model list (``GET /models``, OpenAI's shape): which models it offers.

Why: a gateway serves models we have no row for ("muse"), and OpenAI's sora-2 names are dead,
so a model name is easy to get wrong; asking the gateway which models it lists lets a wrong name
be refused before a job is sent, naming the ones it does list. OpenAI's list
(``{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}``) says only
which models exist; a gateway that adds OpenRouter's capability fields to an entry
(``supported_durations``, ``supported_sizes``, ``pricing_skus`` …, read by
:mod:`stillmotion.api.catalogues`) gives a row by itself. What the list does not give comes from
the user: a listed model without those fields, like a gateway without a list (404, 405, or
an answer that is not a list), is held to the /v1/videos rule of
:func:`stillmotion.api.capabilities.lookup` (the /v1/videos durations, sizes the gateway
decides), and its price must come from the settings (the ``models`` table or
``STILLMOTION_PRICES``): the budget guard refuses it unpriced, saying so, before anything is
sent. A row declared in the settings wins over all of this and needs no list.

The list is read only for a model in neither our table nor the settings (see
:mod:`stillmotion.api.model_rows`), through the same key rule as every call of the dialect, and
kept by the shared cache rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from stillmotion.api import catalogues
from stillmotion.api.capabilities import ModelCapability
from stillmotion.api.client import SETTINGS_KEY_VARIABLE, VideosClient
from stillmotion.errors import ConfigError, ResponseValidationError, ServiceStatusError

NAME = "openai"
NO_LIST = frozenset({404, 405})
"""Answers that mean the gateway has no model list (not that it failed)."""
NAMED_AT_MOST = 20
"""How many listed models a refusal names (a gateway may list hundreds of chat models)."""


def listed(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The model ids of a ``/models`` answer, in its order."""
    ids = (e.get("id") for e in catalogues.entries(body))
    return tuple(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def rows_from(body: Mapping[str, Any]) -> tuple[ModelCapability, ...]:
    """The listed models whose entries carry capability fields, as rows."""
    return catalogues.rows_from(NAME, body)


def _fetch(root: str, key: str | None, timeout: float,
           transport: httpx.BaseTransport | None) -> dict[str, Any] | None:
    client = VideosClient(root, api_key=key, key_variable=SETTINGS_KEY_VARIABLE,
                          timeout=timeout, transport=transport)
    try:
        return client.list_models().model_dump(mode="json")
    except ServiceStatusError as exc:
        if exc.status_code in NO_LIST:
            return None
        raise
    except ResponseValidationError:
        return None
    finally:
        client.close()


def catalogue_body(root: str, key: str | None, cache_dir: Path, ttl: float, *,
                   timeout: float = 60.0, clock: Callable[[], float] = time.time,
                   transport: httpx.BaseTransport | None = None) -> dict[str, Any] | None:
    """The gateway's list: from the cache while fresh, else read and kept (None: it has none)."""
    return catalogues.read_through(NAME, root, cache_dir, ttl,
                                   lambda: _fetch(root, key, timeout, transport), clock=clock)


def catalogue_rows(root: str, key: str | None, cache_dir: Path, ttl: float, *,
                   timeout: float = 60.0, clock: Callable[[], float] = time.time,
                   transport: httpx.BaseTransport | None = None) -> tuple[ModelCapability, ...]:
    """The rows the gateway's list gives (read through the cache)."""
    body = catalogue_body(root, key, cache_dir, ttl, timeout=timeout, clock=clock,
                          transport=transport)
    return () if body is None else rows_from(body)


def cached_rows(root: str, cache_dir: Path, ttl: float, *,
                clock: Callable[[], float] = time.time) -> tuple[ModelCapability, ...] | None:
    """The rows of the list kept for ``root`` (None when none is kept fresh; no network)."""
    body = catalogues.cached_body(NAME, root, cache_dir, ttl, clock=clock)
    return None if body is None else rows_from(body)


def _names(models: tuple[str, ...]) -> str:
    shown = ", ".join(models[:NAMED_AT_MOST])
    more = len(models) - NAMED_AT_MOST
    return shown + (f" and {more} more" if more > 0 else "")


def gateway_row(model: str, root: str, key: str | None, cache_dir: Path, ttl: float, *,
                timeout: float = 60.0, clock: Callable[[], float] = time.time,
                transport: httpx.BaseTransport | None = None) -> ModelCapability | None:
    """The row for ``model`` from the gateway's list; None when the gateway has no list or
    lists the model without its sizes and durations (the /v1/videos rule then applies).

    A model the list does not name is a ConfigError naming those it does (nothing has been sent
    yet).
    """
    body = catalogue_body(root, key, cache_dir, ttl, timeout=timeout, clock=clock,
                          transport=transport)
    if body is None:
        return None
    models = listed(body)
    if model not in models:
        host = httpx.URL(root).netloc.decode("ascii", "replace")
        offered = f"it lists {_names(models)}" if models else "it lists no models"
        raise ConfigError(f"The gateway at {host} does not offer the model '{model}' "
                          f"({offered}); choose one of those with --model, or, if it serves "
                          f"'{model}' unlisted, declare it in the settings' models table "
                          f"(models.\"{NAME}/{model}\") or STILLMOTION_MODELS.")
    return next((row for row in rows_from(body) if row.model == model), None)
