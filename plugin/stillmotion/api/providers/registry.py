"""Which vendor dialects exist, where their code lives, their API roots and key variables.

Why a table of names instead of imports: listing providers (``stillmotion providers``, the
Resolve dialog, the settings check) must not load every vendor's client and its HTTP stack; a
dialect's module is imported only when a job opens it (:func:`load`). The vendor modules read
their own root and key variables from this table, so each fact is written once.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stillmotion.api.providers.dialect import DialectProvider


@dataclass(frozen=True)
class Dialect:
    """A vendor dialect as known before its module is imported."""

    name: str
    module: str
    """Module (under ``stillmotion.api.providers``) holding the provider class."""
    cls: str
    root: str
    """The vendor's documented API root; ``--base-url`` replaces it."""
    keys: tuple[str, ...]
    """Environment variables holding the key, looked up in order (names, never values)."""
    pair: str | None = None
    """The variable holding the second half of a key pair (Kling's secret key), which the
    provider class reads itself when it is opened; None for single-key vendors."""
    catalogue: bool = False
    """Whether the vendor lists its models' capabilities and prices (``catalogue_rows``)."""


DIALECTS: dict[str, Dialect] = {d.name: d for d in (
    Dialect("veo", "veo", "VeoProvider", "https://generativelanguage.googleapis.com",
            ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    Dialect("runway", "runway", "RunwayProvider", "https://api.dev.runwayml.com",
            ("RUNWAYML_API_SECRET",)),
    Dialect("fal", "fal", "FalProvider", "https://queue.fal.run", ("FAL_KEY",)),
    Dialect("kling", "kling", "KlingProvider", "https://api-singapore.klingai.com",
            ("KLING_ACCESS_KEY",), pair="KLING_SECRET_KEY"),
    Dialect("seedance", "seedance", "SeedanceProvider",
            "https://ark.ap-southeast.bytepluses.com", ("ARK_API_KEY",)),
    Dialect("wan", "wan", "WanProvider", "https://dashscope-intl.aliyuncs.com",
            ("DASHSCOPE_API_KEY",)),
    Dialect("openrouter", "openrouter", "OpenRouterProvider", "https://openrouter.ai/api/v1",
            ("OPENROUTER_API_KEY",), catalogue=True),
)}
"""Every vendor dialect by provider name."""


def load(name: str) -> type[DialectProvider]:
    """Import dialect ``name``'s module and return its provider class."""
    entry = DIALECTS[name]
    module = importlib.import_module(f"stillmotion.api.providers.{entry.module}")
    provider: type[DialectProvider] = getattr(module, entry.cls)
    return provider
