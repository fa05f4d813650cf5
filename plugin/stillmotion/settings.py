"""User settings: provider, base URL, keys, folders, budget; read from STILLMOTION_* variables.

Why pydantic-settings: one typed place where the environment (and an optional TOML file named by
STILLMOTION_CONFIG) is read, so commands never call ``os.environ`` for configuration themselves.
Secrets are ``SecretStr`` so they never print in reprs, logs or errors. A value of the wrong
type (``STILLMOTION_BUDGET=abc``, ``credentials = "maybe"`` in the file) or an unreadable file ends
in one ConfigError naming the setting the way the user wrote it and the kind of value it wants,
never echoing the value (several settings hold secrets or references to them).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import platformdirs
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from stillmotion.errors import ConfigError

APP_NAME = "stillmotion"
PREFIX = "STILLMOTION_"

OTHER_VARIABLES = frozenset({
    "STILLMOTION_CONFIG",  # names the settings file (settings_file)
    "STILLMOTION_SERVE_KEY", "STILLMOTION_SERVE_KLING_SECRET",  # stillmotion serve's options
    "STILLMOTION_WEBHOOK_SECRET",  # the webhook secret's default variable (webhook_wait)
    "STILLMOTION_LAUNCHER_TEST",  # the Resolve Lua launcher's test switch
})
"""STILLMOTION_* names the code reads itself rather than through :class:`Settings`: known, so
never taken for a mistyped setting (tests/test_settings_typos.py checks every such name the code
mentions is here or a setting)."""


def default_data_dir() -> Path:
    """Per-user data folder (ledger, server data) from platformdirs."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_cache_dir() -> Path:
    """Per-user cache folder (grabbed stills, scratch renders)."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Everything a user may configure; each field is also ``STILLMOTION_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

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
        config_file = settings_file()
        if config_file is not None:
            sources.append(_read_settings_file(settings_cls, config_file))
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


def settings_file() -> Path | None:
    """The TOML settings file STILLMOTION_CONFIG names, if it names one."""
    config_file = os.environ.get("STILLMOTION_CONFIG")
    return Path(config_file) if config_file else None


def _read_settings_file(settings_cls: type[BaseSettings], path: Path) -> TomlConfigSettingsSource:
    """The file as a settings source; a missing, unreadable or non-TOML file is a ConfigError
    (pydantic-settings would skip a missing one silently, and a budget in it with it)."""
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ConfigError(f"STILLMOTION_CONFIG names the settings file {path}, which {what}; "
                          "create it or point STILLMOTION_CONFIG at the right file.")
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except OSError as exc:
        raise ConfigError(f"The settings file {path} could not be read "
                          f"({exc.strerror or type(exc).__name__}); check its permissions and "
                          "run again.") from None
    except ValueError as exc:  # tomllib's (tomli's before 3.11) TOMLDecodeError
        # The position only: the parser's message may quote a character of the file.
        found = re.search(r"at line \d+, column \d+|at end of document", str(exc))
        where = f" ({found.group(0)})" if found else ""
        raise ConfigError(f"The settings file {path} is not valid TOML{where}; fix it and run "
                          "again.") from None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with command-line overrides (None values are ignored).

    A value of the wrong type becomes one ConfigError (see :func:`_type_problem`). ``from None``
    on purpose: pydantic's own error repeats every bad value, and one may be a key. Mistyped
    names are warned about first (:func:`warn_unknown_names`): one may be why a value is missing.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    warn_unknown_names()
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = [_type_problem(tuple(error["loc"]), given) for error in exc.errors()]
    except SettingsError as exc:  # a JSON-valued variable (STILLMOTION_PRICES) is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        problems = [_type_problem((field.group(1),) if field else (), given)]
    raise ConfigError(_one_sentence(problems)) from None


_WARNED: set[str] = set()
"""The warnings already printed by this process (load_settings runs once per job, and the jobs
of a batch or of the Resolve dialog in threads: hence the lock)."""
_WARNING = threading.Lock()


def warn_unknown_names() -> None:
    """One line on stderr for each STILLMOTION_* variable and settings-file key that is not a
    setting, with the nearest known name; once per process, and never its value (it may be a
    secret).

    Why warn and not refuse: pydantic-settings drops unknown names (``extra="ignore"``), so a
    misspelt STILLMOTION_BUDGET left the budget cap unset without a word; but a settings file
    written for a newer stillmotion must still work with an older one, so the name is ignored
    as before, only no longer silently. Names are compared ignoring case, as pydantic-settings
    reads them.
    """
    fields = sorted(Settings.model_fields)
    variables = [f"{PREFIX}{name.upper()}" for name in fields] + sorted(OTHER_VARIABLES)
    for variable in sorted(os.environ):
        upper = variable.upper()
        if upper.startswith(PREFIX) and upper not in variables:
            _warn(variable, _nearest(upper, variables))
    config_file = settings_file()
    if config_file is None:
        return
    for key in _read_settings_file(Settings, config_file).toml_data:
        if key.lower() not in fields:
            _warn(f"the key {_toml_key(key)} in the settings file {config_file}",
                  _nearest(key.lower().removeprefix(PREFIX.lower()), fields))


def _nearest(name: str, known: list[str]) -> str | None:
    """The known name closest to ``name``, compared without the common prefix (which would
    make every STILLMOTION_ name look close), or None when none is close."""
    bare = {candidate.removeprefix(PREFIX): candidate for candidate in known}
    found = difflib.get_close_matches(name.removeprefix(PREFIX), list(bare), n=1, cutoff=0.7)
    return bare[found[0]] if found else None


def _warn(what: str, nearest: str | None) -> None:
    hint = f" (did you mean {nearest}?)" if nearest else ""
    line = f"stillmotion: warning: {what} is not a stillmotion setting{hint}; it is ignored."
    with _WARNING:
        if line in _WARNED or sys.stderr is None:  # pythonw (Resolve on Windows): no stderr
            return
        _WARNED.add(line)
    print(line, file=sys.stderr, flush=True)


# What each setting wants, in words, where its Python type alone would say too little.
_WANTS = {
    "budget": "a number of dollars",
    "daily_budget": "a number of dollars",
    "prices": 'a table of dollars per second keyed "provider/model/WxH"',
    "models": 'a table of model tables keyed "provider/model"',
    "catalogue_ttl": "a number of seconds",
    "request_timeout": "a number of seconds",
    "poll_deadline": "a number of seconds",
    "webhook_fallback": "a number of seconds",
}
_ENTRY_WANTS = {"prices": "a number of dollars per second", "models": "a table"}
_TYPE_WANTS: dict[Any, str] = {
    float: "a number", bool: "true or false", Path: "a path in quotes",
    str: "text in quotes", SecretStr: "text in quotes", dict: "a table",
}
_NAMED_AT_MOST = 3


def _wants(name: str, entry: bool) -> str:
    """The kind of value setting ``name`` (or an entry of it) takes, for a person."""
    if entry and name in _ENTRY_WANTS:
        return _ENTRY_WANTS[name]
    if name in _WANTS:
        return _WANTS[name]
    field = Settings.model_fields.get(name)
    annotation = field.annotation if field is not None else None
    if get_origin(annotation) in (Union, UnionType):
        annotation = next(a for a in get_args(annotation) if a is not NoneType)
    return _TYPE_WANTS.get(get_origin(annotation) or annotation, "a value of another kind")


def _environment_name(name: str) -> str | None:
    """The variable that set ``name``, as the user spelled it (pydantic-settings ignores case)."""
    wanted = f"stillmotion_{name}"
    return next((variable for variable in os.environ if variable.lower() == wanted), None)


@dataclass(frozen=True)
class _Problem:
    """One badly typed setting: how the user set it, and what it should be."""

    label: str  # STILLMOTION_BUDGET, the key budget, the budget given to the command
    wants: str
    in_file: bool = False


def _type_problem(loc: tuple[Any, ...], given: dict[str, Any]) -> _Problem:
    """Where the bad value at ``loc`` was set (by the sources' precedence: option, variable,
    key of the settings file) and what it should be. Entries of a table are named by their key
    (model names, never secrets); values never are."""
    if not loc:  # SettingsError's text did not name the field: a variable holding JSON did it
        return _Problem("a STILLMOTION_* variable holding a table", "written as JSON")
    name, entry = str(loc[0]), [str(part) for part in loc[1:]]
    wants = _wants(name, bool(entry))
    variable = _environment_name(name)
    if name in given:
        return _Problem(f"the {name} given to the command", wants)
    if variable is not None:
        if entry:
            return _Problem(f'{variable} (its entry "{entry[0]}")', wants)
        is_table = get_origin(Settings.model_fields[name].annotation) is dict
        return _Problem(variable, f"{wants}, written as JSON" if is_table else wants)
    if settings_file() is not None:
        key = ".".join([name, *(_toml_key(part) for part in entry)])
        return _Problem(f"the key {key}", wants, in_file=True)
    return _Problem(f"the setting {name}", wants)


def _toml_key(part: str) -> str:
    """A key as it is written in TOML: bare when it may be, else quoted."""
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'


def _one_sentence(found: list[_Problem]) -> str:
    """One sentence however many settings are wrong: the first few named, the rest counted, the
    settings file named once."""
    problems = list(dict.fromkeys(found))
    file_note = f" in the settings file {settings_file()}"
    if len(problems) == 1:
        only = problems[0]
        text = f"{only.label}{file_note if only.in_file else ''} must be {only.wants}"
        # "The key budget …", but a variable as the user spelled it: stillmotion_budget.
        return f"{'T' + text[1:] if text.startswith('the ') else text}; fix it and run again."
    said = [f"{problem.label} must be {problem.wants}" for problem in problems[:_NAMED_AT_MOST]]
    more = len(problems) - len(said)
    listed = ", ".join(said[:-1]) + (f", {said[-1]}, and {more} more" if more
                                     else f" and {said[-1]}")
    keys_note = (f" (the keys are{file_note})" if any(p.in_file for p in problems) else "")
    return (f"{len(problems)} settings have values of the wrong kind: {listed}; "
            f"fix them{keys_note} and run again.")
