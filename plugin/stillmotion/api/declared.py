"""The user's own model rows: the settings' ``models`` table (or ``STILLMOTION_MODELS`` JSON).

Why: a gateway or vendor serves models we have never heard of ("muse" on a /v1/videos gateway,
a new fal model id). The user states what the model takes, and that row is checked by the same
rules as ours (:func:`stillmotion.api.capabilities.validate`) before anything is sent. Each
entry is keyed ``"provider/model"`` (the model part may hold slashes: ``"openrouter/alibaba/
wan-2.7"``) and holds::

    sizes = ["1280x720", "720x1280"]        # or: resolutions = ["720p"], aspect_ratios = ["16:9"]
    durations = [5, 10]                     # seconds the model takes
    default_seconds = 5                     # optional: the first duration otherwise
    first_frame = true                      # optional, default true
    last_frame = false                      # optional, default false
    audio = false                           # optional, default false
    price_per_second = 0.12                 # optional: without it the model is refused unpriced

``STILLMOTION_MODELS`` entries join the settings file's field by field (pydantic-settings merges
the two): the environment's fields win, the file's others stay. A mistake in an entry is a
ConfigError naming the entry and the field, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from stillmotion.api.capabilities import SETTINGS, ModelCapability, sizes_for
from stillmotion.errors import ConfigError
from stillmotion.timecode import parse_size

FIELDS = frozenset({"sizes", "resolutions", "aspect_ratios", "durations", "default_seconds",
                    "first_frame", "last_frame", "audio", "price_per_second"})


def _bad(key: str, what: str) -> ConfigError:
    return ConfigError(f"The models entry '{key}' in settings {what}; fix it in the settings "
                       "file or STILLMOTION_MODELS.")


def _strings(entry: Mapping[str, Any], name: str, key: str) -> list[str]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(key, f"has '{name}' that is not a list of strings")
    return list(value)


def _flag(entry: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
    value = entry.get(name, default)
    if not isinstance(value, bool):
        raise _bad(key, f"has '{name}' that is not true or false")
    return value


def _sizes(entry: Mapping[str, Any], key: str) -> tuple[tuple[int, int], ...]:
    sizes: list[tuple[int, int]] = []
    for text in _strings(entry, "sizes", key):
        try:
            sizes.append(parse_size(text))
        except (ConfigError, ValueError):
            raise _bad(key, f"has the size '{text}', which is not WxH") from None
    resolutions = _strings(entry, "resolutions", key)
    aspects = _strings(entry, "aspect_ratios", key)
    if bool(resolutions) != bool(aspects):
        raise _bad(key, "names resolutions without aspect_ratios (or the other way round); "
                   "give both")
    shaped = sizes_for(resolutions, aspects)
    if len(shaped) < len(resolutions) * len(aspects):
        raise _bad(key, "has a resolution or aspect ratio that is not understood (use words "
                   "like 720p and 16:9)")
    found = tuple(dict.fromkeys((*sizes, *shaped)))
    if not found:
        raise _bad(key, "gives no sizes; list sizes (WxH) or resolutions and aspect_ratios")
    return found


def _durations(entry: Mapping[str, Any], key: str) -> tuple[int, ...]:
    value = entry.get("durations")
    if not isinstance(value, list) or not value or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise _bad(key, "needs 'durations', a list of whole seconds above zero")
    return tuple(sorted(set(value)))


def _price(entry: Mapping[str, Any], key: str) -> tuple[tuple[str, str], ...]:
    if "price_per_second" not in entry:
        return ()
    value = entry["price_per_second"]
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise _bad(key, "has a price_per_second that is not a non-negative number of dollars")
    return ((key, str(amount)),)


def declared_row(key: str, entry: Any) -> ModelCapability:
    """One ``models`` entry as a capability row (source ``settings``)."""
    provider, _, model = key.partition("/")
    if not provider or not model:
        raise _bad(key, "is not keyed provider/model (e.g. \"openai/muse\")")
    if not isinstance(entry, Mapping):
        raise _bad(key, "is not a table of sizes, durations and flags")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise _bad(key, f"has the unknown field '{unknown[0]}' (known: "
                   f"{', '.join(sorted(FIELDS))})")
    durations = _durations(entry, key)
    default = entry.get("default_seconds", durations[0])
    if default not in durations:
        raise _bad(key, f"has default_seconds {default!r}, which is not one of its durations")
    return ModelCapability(
        provider, model, _sizes(entry, key), durations, int(default),
        first_frame=_flag(entry, "first_frame", key, True),
        last_frame=_flag(entry, "last_frame", key, False),
        audio=_flag(entry, "audio", key, False), source=SETTINGS,
        prices=_price(entry, key))


def declared_rows(models: Mapping[str, Any]) -> tuple[ModelCapability, ...]:
    """Every entry of the settings' ``models`` table as rows, in the table's order."""
    return tuple(declared_row(key, entry) for key, entry in models.items())
