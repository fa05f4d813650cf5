"""The ``P[:MODEL]`` provider choices of a multi-model run, parsed; no job machinery.

Why apart from :mod:`stillmotion.jobs.multi`: the Resolve form reads the editor's second model
while the dialog is open, and the runner of the jobs pulls in the whole pipeline (ffmpeg, PyAV,
c2pa, OTIO); parsing a choice needs none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stillmotion.errors import ConfigError


@dataclass(frozen=True)
class ModelChoice:
    """One ``--provider P[:MODEL]``; ``model`` None means the provider's default."""

    provider: str
    model: str | None = None

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider


def parse_choices(values: Sequence[str]) -> list[ModelChoice]:
    """``["runway:gen4.5", "fal"]`` -> choices; the model part may hold slashes, not colons."""
    choices: list[ModelChoice] = []
    for value in values:
        provider, _, model = value.strip().partition(":")
        if not provider or (":" in value and not model.strip()):
            raise ConfigError(f"'{value}' is not a provider choice; write PROVIDER or "
                              "PROVIDER:MODEL, e.g. --provider runway:gen4.5.")
        choice = ModelChoice(provider.strip(), model.strip() or None)
        if choice in choices:
            raise ConfigError(f"{choice.label} is given twice; name each model once (use "
                              "--new-take for another take of the same model).")
        choices.append(choice)
    return choices
