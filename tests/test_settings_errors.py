"""Badly typed settings end in one sentence, the ConfigError exit code, and nothing done.

A setting of the wrong type (``STILLMOTION_BUDGET=abc``, ``credentials = "maybe"`` in the settings
file, a path that is a number) once ended in pydantic's ValidationError traceback. These tests run
the real ``generate`` on a real timeline against a real local server and check that such a run
names the setting the way the user set it and the kind of value it wants, prints nothing on
stdout, sends no job, writes no ledger and no timeline, and never echoes a value, a secret above
all (checked on the raw bytes of a real subprocess).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from stillmotion.errors import ConfigError
from stillmotion.server import RunningServer
from stillmotion.settings import Settings, load_settings
from support.generate_env import FAST, clean_env, cli, isolate, one_clip_cut, snapshot

PROMPT = "Slow push in over 1 s"
CONFIG_EXIT = ConfigError.exit_code


@pytest.fixture
def cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A timeline with frame-coded media, no STILLMOTION_* settings, the data folder (where the
    ledger would go) under ``tmp_path`` too."""
    isolate(monkeypatch, tmp_path)
    return one_clip_cut(tmp_path, (320, 180), "S")


@pytest.fixture
def settings_toml(user_folders: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the settings file goes: the test's own user config folder, named by
    STILLMOTION_CONFIG (set here; a test writes the file)."""
    path = user_folders / "xdg-config" / "stillmotion" / "settings.toml"
    path.parent.mkdir(parents=True)
    monkeypatch.setenv("STILLMOTION_CONFIG", str(path))
    return path


def _generate(cut: Path, server: RunningServer) -> list[str]:
    return ["generate", str(cut), "--at", "10:00:00:05", "--prompt", PROMPT,
            "--provider", "preview", "--base-url", server.base_url, *FAST]


def _refused(capsys: pytest.CaptureFixture[str], cut: Path, server: RunningServer,
             tmp_path: Path) -> str:
    """Run generate expecting a settings refusal; its one line, after checking nothing ran."""
    before = snapshot(tmp_path)
    code, out, err = cli(capsys, *_generate(cut, server))
    assert code == CONFIG_EXIT, err
    assert out == ""
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("stillmotion: ")
    assert snapshot(tmp_path) == before  # no timeline, no media, no ledger
    assert not (tmp_path / "user-data" / "ledger.sqlite3").exists()
    assert server.stats()["total_requests"] == 0
    return line.removeprefix("stillmotion: ")


def test_good_settings_reach_the_ledger_and_the_server(
        cut: Path, clean_server: RunningServer, tmp_path: Path, settings_toml: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The control: the same run with well-typed settings does send a job and write a ledger
    where the refusals below must not."""
    monkeypatch.setenv("STILLMOTION_BUDGET", "5")
    settings_toml.write_text('credentials = false\n[prices]\n"preview/preview" = 0\n',
                             encoding="utf-8")
    code, _, err = cli(capsys, *_generate(cut, clean_server))
    assert code == 0, err
    assert (tmp_path / "user-data" / "ledger.sqlite3").exists()
    assert clean_server.stats()["total_requests"] > 0


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("STILLMOTION_BUDGET", "abc", "STILLMOTION_BUDGET must be a number of dollars"),
    ("STILLMOTION_DAILY_BUDGET", "ten", "STILLMOTION_DAILY_BUDGET must be a number of dollars"),
    ("STILLMOTION_CREDENTIALS", "maybe", "STILLMOTION_CREDENTIALS must be true or false"),
    ("STILLMOTION_POLL_DEADLINE", "soon", "STILLMOTION_POLL_DEADLINE must be a number of seconds"),
    ("STILLMOTION_PRICES", "cheap please",
     'STILLMOTION_PRICES must be a table of dollars per second keyed "provider/model/WxH", '
     "written as JSON"),
    ("STILLMOTION_PRICES", '{"preview/preview": "nothing"}',
     'STILLMOTION_PRICES (its entry "preview/preview") must be a number of dollars per second'),
    ("STILLMOTION_MODELS", '{"openai/muse": 3}',
     'STILLMOTION_MODELS (its entry "openai/muse") must be a table'),
])
def test_a_badly_typed_variable_is_one_sentence_and_nothing_runs(
        variable: str, value: str, said: str, cut: Path, clean_server: RunningServer,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(variable, value)
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line == f"{said}; fix it and run again."
    assert value not in line


def test_the_variable_is_named_as_the_user_spelled_it(
        cut: Path, clean_server: RunningServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """pydantic-settings reads variable names in any case; the sentence names the one set."""
    monkeypatch.setenv("stillmotion_budget", "abc")
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line.startswith("stillmotion_budget must be a number of dollars")


@pytest.mark.parametrize(("text", "said"), [
    ('budget = "abc"\n', "The key budget in the settings file {file} must be a number of "
     "dollars"),
    ('credentials = "maybe"\n', "The key credentials in the settings file {file} must be true "
     "or false"),
    ("trust_anchors = 5\n", "The key trust_anchors in the settings file {file} must be a path "
     "in quotes"),
    ("ffmpeg = 7\n", "The key ffmpeg in the settings file {file} must be text in quotes"),
    ('[prices]\n"preview/preview" = "nothing"\n', 'The key prices."preview/preview" in the '
     "settings file {file} must be a number of dollars per second"),
    ("models = 3\n", "The key models in the settings file {file} must be a table of model "
     'tables keyed "provider/model"'),
])
def test_a_badly_typed_file_key_is_one_sentence_and_nothing_runs(
        text: str, said: str, cut: Path, clean_server: RunningServer, tmp_path: Path,
        settings_toml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings_toml.write_text(text, encoding="utf-8")
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line == f"{said.format(file=settings_toml)}; fix it and run again."


def test_the_variable_wins_over_the_file_and_is_the_one_named(
        cut: Path, clean_server: RunningServer, tmp_path: Path, settings_toml: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A good file value under a bad variable: the variable is what the user must fix."""
    settings_toml.write_text("budget = 5\n", encoding="utf-8")
    monkeypatch.setenv("STILLMOTION_BUDGET", "abc")
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line.startswith("STILLMOTION_BUDGET must be")
    assert str(settings_toml) not in line


def test_several_bad_settings_are_still_one_sentence(
        cut: Path, clean_server: RunningServer, tmp_path: Path, settings_toml: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STILLMOTION_BUDGET", "abc")
    monkeypatch.setenv("STILLMOTION_CREDENTIALS", "maybe")
    settings_toml.write_text('request_timeout = "slow"\nwebhook_fallback = "often"\n'
                             "catalogue_ttl = [1]\n", encoding="utf-8")
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line.startswith("5 settings have values of the wrong kind: ")
    assert line.endswith(f", and 2 more; fix them (the keys are in the settings file "
                         f"{settings_toml}) and run again.")
    assert line.count(" must be ") == 3
    assert line.count(".") == 1 + str(settings_toml).count(".")  # one sentence, one full stop


def test_an_unreadable_settings_file_is_one_sentence(
        cut: Path, clean_server: RunningServer, tmp_path: Path, settings_toml: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings_toml.write_text('budget = 5\ncredentials = \n', encoding="utf-8")
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line == (f"The settings file {settings_toml} is not valid TOML (at line 2, column 15);"
                    " fix it and run again.")


@pytest.mark.parametrize(("folder", "what"), [(False, "does not exist"),
                                              (True, "is a folder, not a file")])
def test_a_missing_settings_file_is_refused_not_skipped(
        folder: bool, what: str, cut: Path, clean_server: RunningServer, tmp_path: Path,
        settings_toml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Skipping it silently would drop the budget it holds and spend without one."""
    if folder:
        settings_toml.mkdir()
    line = _refused(capsys, cut, clean_server, tmp_path)
    assert line == (f"STILLMOTION_CONFIG names the settings file {settings_toml}, which {what}; "
                    "create it or point STILLMOTION_CONFIG at the right file.")


def test_a_bad_option_value_is_named_as_given_to_the_command() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(budget="lots")
    assert str(caught.value) == ("The budget given to the command must be a number of dollars; "
                                 "fix it and run again.")


def test_a_secret_holding_setting_of_the_wrong_type_is_never_echoed(
        cut: Path, clean_server: RunningServer, tmp_path: Path, settings_toml: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The API key and the signing key reference badly typed in the file, and a key-like value
    in a variable of the wrong type: the raw output of a real run holds none of the three."""
    file_key, signing, env_key = (secrets.token_hex(16) for _ in range(3))
    settings_toml.write_text(f'api_key = {{ value = "{file_key}" }}\n'
                             f'signing_key = ["{signing}"]\n', encoding="utf-8")
    monkeypatch.setenv("STILLMOTION_BUDGET", json.dumps({"key": env_key}))
    # Without the translation these would all be printed: pydantic echoes each input.
    with pytest.raises(ValidationError) as raw:
        Settings()
    assert all(secret in str(raw.value) for secret in (file_key, signing, env_key))

    before = snapshot(tmp_path)
    script = Path(sys.executable).with_name("stillmotion")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "from stillmotion.cli import main; main()"]
    env = clean_env(tmp_path, STILLMOTION_CONFIG=str(settings_toml),
                    STILLMOTION_BUDGET=json.dumps({"key": env_key}))
    done = subprocess.run([*command, *_generate(cut, clean_server)], env=env,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=120,
                          check=False)
    output = done.stdout + done.stderr
    assert done.returncode == CONFIG_EXIT, output
    assert done.stdout == b""
    assert b"Traceback" not in output
    assert len(done.stderr.splitlines()) == 1
    for secret in (file_key, signing, env_key):
        assert secret.encode() not in output
    said = done.stderr.decode()
    assert "the key api_key must be text in quotes" in said
    assert "the key signing_key must be text in quotes" in said
    assert "STILLMOTION_BUDGET must be a number of dollars" in said
    assert snapshot(tmp_path) == before
    assert clean_server.stats()["total_requests"] == 0
