"""User settings: provider, base URL, keys, folders, budget; read from STILLMOTION_* variables.

Why pydantic-settings: one typed place where the environment (and an optional TOML file named by
STILLMOTION_CONFIG) is read, so commands never call ``os.environ`` for configuration themselves.
Secrets are ``SecretStr`` so they never print in reprs, logs or errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "stillmotion"


def default_data_dir() -> Path:
    """Per-user data folder (ledger, server data) from platformdirs."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_cache_dir() -> Path:
    """Per-user cache folder (grabbed stills, scratch renders)."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Everything a user may configure; each field is also ``STILLMOTION_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="STILLMOTION_", extra="ignore")

    provider: str = "preview"
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    ledger: Path | None = None
    ffmpeg: str | None = None
    preset: str = "resolve-dnxhr-hq"
    size: str | None = None
    budget: float | None = None
    daily_budget: float | None = None
    prices: dict[str, float] = Field(default_factory=dict)
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """User-declared models, keyed ``"provider/model"`` (``[models."openai/muse"]`` in the
    settings file, or ``STILLMOTION_MODELS`` JSON): sizes or aspect ratios and resolutions,
    durations, first/last frame, audio, price per second. Checked by
    :mod:`stillmotion.api.declared` (a mistake there is a plain ConfigError, not a crash)."""
    catalogue_ttl: float = 6 * 3600.0
    """Seconds a vendor's model catalogue (OpenRouter's ``/videos/models``) is trusted."""
    request_timeout: float = 60.0
    poll_deadline: float = 1800.0
    webhook_fallback: float = 30.0
    """Seconds between fallback polls while webhooks are expected (``--webhook-port``)."""
    # Content Credentials: the PEM certificate chain and private key our outputs are signed
    # with (references only: key material is read when signing, never stored here). The key is
    # a file path, or ``keyring:SERVICE/NAME`` for an entry of the OS keyring holding the PEM
    # text (``stillmotion signing-key store KEYFILE`` puts it there and prints the value; the
    # user name may contain slashes, the service may not). Without them a local development
    # identity is made under data_dir. ``credentials`` False (``--no-credentials``) writes
    # none; ``trust_anchors`` is a PEM bundle of roots to trust.
    signing_cert: Path | None = None
    signing_key: str | None = None
    credentials: bool = True
    trust_anchors: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("STILLMOTION_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @property
    def ledger_path(self) -> Path:
        """The SQLite ledger: ``--ledger``/STILLMOTION_LEDGER, else in the data folder."""
        return self.ledger if self.ledger is not None else self.data_dir / "ledger.sqlite3"

    def resolved_api_key(self, fallback_env: str | None = "OPENAI_API_KEY") -> str | None:
        """The key for /v1/videos services: STILLMOTION_API_KEY, else the provider's variable."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if fallback_env:
            value = os.environ.get(fallback_env)
            return value or None
        return None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with command-line overrides (None values are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
