"""A mistyped setting is named on stderr, once, with the nearest known name, and ignored.

Why: pydantic-settings drops names it does not know, so ``STILLMOTION_BUDGT=5`` (or ``budgt = 5``
in the settings file) left the budget cap unset while the editor believed it was there. The
checks run the real ``stillmotion`` in a subprocess on cheap commands (``jobs list`` on an empty
ledger, ``providers``) and read its raw bytes: the command still works, the warning is one line,
and the value never appears (it may be a key). Variables the code reads itself rather than
through the settings (STILLMOTION_CONFIG, serve's and the webhook's secrets …) are not warned
about, and a scan of the source keeps that list complete.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import pytest

from stillmotion import settings as settings_module
from stillmotion.settings import OTHER_VARIABLES, PREFIX, Settings, load_settings
from support.crash_run import stillmotion_command

ROOT = Path(__file__).resolve().parents[1]
WARNING = "stillmotion: warning: "


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Ours without any STILLMOTION_* variable, the user folders under ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(PREFIX)}
    env["STILLMOTION_DATA_DIR"] = str(tmp_path / "user-data")
    env["STILLMOTION_CACHE_DIR"] = str(tmp_path / "user-cache")
    return {**env, **extra}


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    """``stillmotion ARGS`` (default: ``jobs list`` on a ledger that does not exist)."""
    command = list(args) or ["jobs", "list", "--ledger", str(tmp_path / "empty.sqlite3")]
    return subprocess.run([*stillmotion_command(), *command], env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


def _warnings(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [line for line in done.stderr.decode().splitlines() if line.startswith(WARNING)]


@pytest.mark.parametrize("args", [[], ["providers"]])
def test_a_mistyped_variable_is_named_once_with_the_right_name(args: list[str],
                                                               tmp_path: Path) -> None:
    value = secrets.token_hex(12)
    done = _run(tmp_path, _env(tmp_path, STILLMOTION_BUDGT=value), *args)
    assert done.returncode == 0, done.stderr
    assert _warnings(done) == [
        "stillmotion: warning: STILLMOTION_BUDGT is not a stillmotion setting (did you mean "
        "STILLMOTION_BUDGET?); it is ignored."]
    assert done.stderr.decode().count("\n") == 1  # nothing else on stderr
    assert value.encode() not in done.stdout + done.stderr


def test_names_are_compared_as_the_settings_read_them_ignoring_case(tmp_path: Path) -> None:
    """pydantic-settings reads ``stillmotion_daily_budget`` as the setting; its misspelling is
    named as the user wrote it."""
    value = secrets.token_hex(12)
    done = _run(tmp_path, _env(tmp_path, stillmotion_daily_budget="3",
                               stillmotion_api_ky=value, STILLMOTION_NOTHING_LIKE_IT=value))
    assert done.returncode == 0, done.stderr
    assert _warnings(done) == [
        "stillmotion: warning: STILLMOTION_NOTHING_LIKE_IT is not a stillmotion setting; it is "
        "ignored.",
        "stillmotion: warning: stillmotion_api_ky is not a stillmotion setting (did you mean "
        "STILLMOTION_API_KEY?); it is ignored."]
    assert value.encode() not in done.stdout + done.stderr


def test_a_mistyped_key_in_the_settings_file_is_named_with_the_file(tmp_path: Path) -> None:
    value = secrets.token_hex(12)
    config = tmp_path / "settings.toml"
    config.write_text(f'Daily_Budget = 4\nbudgt = 5\napi_ky = "{value}"\n'
                      f'STILLMOTION_CREDENTIALS = false\n[prices]\n"preview/preview" = 0\n',
                      encoding="utf-8")
    done = _run(tmp_path, _env(tmp_path, STILLMOTION_CONFIG=str(config)), "providers")
    assert done.returncode == 0, done.stderr
    where = f"in the settings file {config} is not a stillmotion setting"
    assert _warnings(done) == [
        f"stillmotion: warning: the key budgt {where} (did you mean budget?); it is ignored.",
        f"stillmotion: warning: the key api_ky {where} (did you mean api_key?); it is ignored.",
        f"stillmotion: warning: the key STILLMOTION_CREDENTIALS {where} (did you mean "
        "credentials?); it is ignored."]
    assert done.stderr.decode().count("\n") == 3
    assert value.encode() not in done.stdout + done.stderr


def test_a_mistyped_name_is_still_ignored_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Warned, not refused: a file written for a newer stillmotion must still load."""
    monkeypatch.setattr(settings_module, "_WARNED", set())
    config = tmp_path / "settings.toml"
    config.write_text("budgt = 5\nbudget = 7\n", encoding="utf-8")
    monkeypatch.setenv("STILLMOTION_CONFIG", str(config))
    assert load_settings().budget == 7
    assert "the key budgt" in capsys.readouterr().err


def _valid(name: str, tmp_path: Path) -> str:
    """A value of the right kind for setting ``name``, as a variable holds it."""
    field = Settings.model_fields[name]
    annotation = field.annotation
    if get_origin(annotation) in (Union, UnionType):
        annotation = next(a for a in get_args(annotation) if a is not NoneType)
    by_kind: dict[Any, str] = {float: "5", bool: "true", dict: "{}", Path: str(tmp_path / name)}
    return by_kind.get(get_origin(annotation) or annotation, "preview" if name == "provider"
                       else "text")


def test_every_known_name_passes_without_a_word(tmp_path: Path) -> None:
    """Every setting, and every STILLMOTION_* variable read outside the settings."""
    config = tmp_path / "settings.toml"
    config.write_text("budget = 5\n", encoding="utf-8")
    known = {f"{PREFIX}{name.upper()}": _valid(name, tmp_path) for name in Settings.model_fields
             if name not in ("signing_key", "signing_cert")}  # set together, checked on signing
    others = dict.fromkeys(OTHER_VARIABLES, "set")
    done = _run(tmp_path, {**_env(tmp_path), **known, **others,
                           "STILLMOTION_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""


def test_each_mistyped_name_is_said_once_per_process(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """load_settings runs for every job of a batch and every click in the Resolve dialog."""
    monkeypatch.setattr(settings_module, "_WARNED", set())
    monkeypatch.setenv("STILLMOTION_PREST", "resolve-prores-hq")
    for _ in range(3):
        load_settings()
    assert capsys.readouterr().err == (
        "stillmotion: warning: STILLMOTION_PREST is not a stillmotion setting (did you mean "
        "STILLMOTION_PRESET?); it is ignored.\n")


def test_every_variable_the_code_reads_is_known() -> None:
    """A STILLMOTION_* name the code reads itself (an option's envvar, os.environ) must be in
    OTHER_VARIABLES or be a setting, or users setting it would be told it is a typo."""
    fields = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
    found: dict[str, Path] = {}
    for folder in ("plugin", "otio_adapters", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".lua"):
                for name in re.findall(r"STILLMOTION_[A-Z][A-Z0-9_]*", path.read_text("utf-8")):
                    found.setdefault(name, path)
    assert "STILLMOTION_SERVE_KEY" in found and "STILLMOTION_BUDGET" in found  # the scan works
    unknown = {name: str(path) for name, path in found.items()
               if name not in fields | OTHER_VARIABLES}
    assert unknown == {}
