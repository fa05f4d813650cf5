"""Which models, sizes and durations the local server accepts, refused in the original's words.

Why the server keeps its own table (rather than importing the client's capability table): it is
the test double of the service, so a wrong client-side table must be caught by it, not mirrored.

==================  ==========================================  ==========  ===============
model               sizes                                       seconds     extension adds
==================  ==========================================  ==========  ===============
sora-2 (+ dated)    720x1280, 1280x720                          4, 8, 12    4, 8, 12, 16, 20
sora-2-pro (+dated) the above, 1024x1792, 1792x1024,            4, 8, 12    4, 8, 12, 16, 20
                    1080x1920, 1920x1080
extra (``preview``) any even WxH, each side 16..1920            1..20       1..20
==================  ==========================================  ==========  ===============

Defaults as the original: model ``sora-2``, size ``720x1280``, seconds ``"4"``. An extended
video may reach 120 s in at most six extensions. ``seconds`` must be a string. ``GET /v1/models``
lists every accepted model in OpenAI's list shape (ids only, as OpenAI's does: no capability
fields), so clients can check a model name before they send a job.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stillmotion.server.errors import APIError, invalid_value, quoted_choices

DEFAULT_MODEL = "sora-2"
DEFAULT_SIZE = "720x1280"
DEFAULT_SECONDS = "4"
MAX_EXTENDED_SECONDS = 120
MAX_EXTENSIONS = 6
PROMPT_MAX = 32000
FREE_SIDE = (16, 1920)
FREE_SECONDS = (1, 20)
OWNER = "stillmotion"

_SIZES_720P = ("720x1280", "1280x720")
_SIZES_PRO = (*_SIZES_720P, "1024x1792", "1792x1024", "1080x1920", "1920x1080")
_SORA_SECONDS = ("4", "8", "12")
_SORA_EXTENSION_SECONDS = ("4", "8", "12", "16", "20")


@dataclass(frozen=True)
class ModelRule:
    """One model's limits; ``sizes``/``seconds`` None means the free (local engine) ranges."""

    name: str
    sizes: tuple[str, ...] | None
    seconds: tuple[str, ...] | None
    extension_seconds: tuple[str, ...] | None


class Catalog:
    """The accepted models: the sora-2 family plus configurable free-form extra models."""

    def __init__(self, extra_models: Iterable[str] = ("preview",)) -> None:
        sora = ModelRule("sora-2", _SIZES_720P, _SORA_SECONDS, _SORA_EXTENSION_SECONDS)
        pro = ModelRule("sora-2-pro", _SIZES_PRO, _SORA_SECONDS, _SORA_EXTENSION_SECONDS)
        rules = {
            "sora-2": sora, "sora-2-2025-10-06": sora, "sora-2-2025-12-08": sora,
            "sora-2-pro": pro, "sora-2-pro-2025-10-06": pro,
        }
        for name in extra_models:
            rules.setdefault(name, ModelRule(name, None, None, None))
        self._rules = rules
        self._created = int(time.time())

    @property
    def models(self) -> list[str]:
        """Every accepted model name, in table order."""
        return list(self._rules)

    def model_list(self) -> dict[str, Any]:
        """``GET /v1/models``: ``{"object": "list", "data": [{"id", "object": "model",
        "created", "owned_by"}]}``, every accepted model in table order."""
        return {"object": "list", "data": [
            {"id": name, "object": "model", "created": self._created, "owned_by": OWNER}
            for name in self._rules]}

    def rule(self, model: str) -> ModelRule:
        """The rule for ``model``; 400 ``Invalid value`` naming the accepted models."""
        found = self._rules.get(model)
        if found is None:
            raise invalid_value("model", model, quoted_choices(self.models))
        return found

    def check_size(self, rule: ModelRule, size: str) -> tuple[int, int]:
        """``size`` as (width, height) if ``rule`` accepts it, else 400 in the original's words."""
        if rule.sizes is not None:
            if size not in rule.sizes:
                raise invalid_value("size", size, quoted_choices(list(rule.sizes)))
            width, _, height = size.partition("x")
            return int(width), int(height)
        low, high = FREE_SIDE
        parsed = _parse_size(size)
        if parsed is None or not all(low <= side <= high and side % 2 == 0 for side in parsed):
            raise invalid_value(
                "size", size, f"'WxH' with even sides from {low} to {high} pixels")
        return parsed

    def check_seconds(self, rule: ModelRule, seconds: object, *, extension: bool = False) -> int:
        """``seconds`` (a string) as an int if accepted, else 400 in the original's words."""
        if not isinstance(seconds, str):
            raise APIError(
                400, f"Invalid type for 'seconds': expected a string, but got "
                f"{_json_type(seconds)} instead.", param="seconds", code="invalid_type")
        allowed = rule.extension_seconds if extension else rule.seconds
        if allowed is not None:
            if seconds not in allowed:
                raise invalid_value("seconds", seconds, quoted_choices(list(allowed)))
            return int(seconds)
        low, high = FREE_SECONDS
        if not (seconds.isdigit() and low <= int(seconds) <= high):
            raise invalid_value("seconds", seconds, f"whole numbers from '{low}' to '{high}'")
        return int(seconds)


def check_prompt(prompt: object, param: str = "prompt") -> str:
    """The prompt if it is a string of 1..32000 characters, else 400 in the original's words."""
    if prompt is None:
        raise APIError(400, f"Missing required parameter: '{param}'.", param=param,
                       code="missing_required_parameter")
    if not isinstance(prompt, str):
        raise APIError(400, f"Invalid type for '{param}': expected a string, but got "
                       f"{_json_type(prompt)} instead.", param=param, code="invalid_type")
    if not prompt:
        raise APIError(400, f"Invalid '{param}': string too short. Expected a string with "
                       "minimum length 1, but got an empty string instead.", param=param,
                       code="string_below_min_length")
    if len(prompt) > PROMPT_MAX:
        raise APIError(400, f"Invalid '{param}': string too long. Expected a string with "
                       f"maximum length {PROMPT_MAX}, but got a string with length "
                       f"{len(prompt)} instead.", param=param, code="string_above_max_length")
    return prompt


def _parse_size(text: str) -> tuple[int, int] | None:
    width, sep, height = text.partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        return None
    return int(width), int(height)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"
