"""Kling, Seedance and Wan answers read into the common job model: status words, refusals at
create and later, unknown words, and the half-set Kling key pair.

Each provider runs against an ``httpx.MockTransport`` answering in the vendor's documented
shapes (tests/data/vendors), so the readings are checked without a server; the end-to-end runs
against ``stillmotion serve`` are in test_providers_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stillmotion.api.providers.base import GenerationRequest, JobStatus
from stillmotion.api.providers.dialect import DialectProvider
from stillmotion.api.providers.kling import KlingProvider
from stillmotion.api.providers.seedance import SeedanceProvider
from stillmotion.api.providers.wan import WanProvider
from stillmotion.errors import ConfigError, PolicyRejectedError
from support.dialects import NO_WAIT, Script, Stills, make_stills
from support.generate_env import cli, isolate

SECRET = "s" * 8


@pytest.fixture(scope="module")
def stills(tmp_path_factory: pytest.TempPathFactory) -> Stills:
    return make_stills(tmp_path_factory)


def _no_sleep(seconds: float) -> None:
    return None


def _open(vendor: str, script: Script) -> DialectProvider:
    common: dict[str, Any] = {"transport": script.transport, "retry": NO_WAIT,
                              "sleep": _no_sleep}
    if vendor == "kling":
        return KlingProvider.open("https://kling.example", "ak", secret=SECRET, **common)
    kind: type[DialectProvider] = SeedanceProvider if vendor == "seedance" else WanProvider
    return kind.open(f"https://{vendor}.example", "k", **common)


def _task(vendor: str, status: str, **fields: Any) -> dict[str, Any]:
    if vendor == "kling":
        return {"code": 0, "message": "SUCCEED", "data": {"task_id": "t", "task_status": status,
                                                          **fields}}
    if vendor == "seedance":
        return {"id": "cgt-1", "status": status, **fields}
    return {"request_id": "r", "output": {"task_id": "t", "task_status": status, **fields}}


@pytest.mark.parametrize(("vendor", "word", "status"), [
    ("kling", "submitted", JobStatus.QUEUED), ("kling", "processing", JobStatus.RUNNING),
    ("kling", "queueing", JobStatus.RUNNING), ("kling", "cancelled", JobStatus.FAILED),
    ("seedance", "queued", JobStatus.QUEUED), ("seedance", "running", JobStatus.RUNNING),
    ("seedance", "expired", JobStatus.FAILED), ("seedance", "cancelled", JobStatus.FAILED),
    ("seedance", "preparing", JobStatus.RUNNING),
    ("wan", "PENDING", JobStatus.QUEUED), ("wan", "RUNNING", JobStatus.RUNNING),
    ("wan", "CANCELED", JobStatus.FAILED), ("wan", "SUSPENDED", JobStatus.RUNNING),
])
def test_status_words(vendor: str, word: str, status: JobStatus) -> None:
    state = _open(vendor, Script().add(200, _task(vendor, word))).poll("t")
    assert (state.status, state.raw_status) == (status, word)


def test_a_wan_task_past_its_day_is_unknown_and_failed() -> None:
    state = _open("wan", Script().add(200, _task("wan", "UNKNOWN"))).poll("t")
    assert state.status is JobStatus.FAILED
    assert "more than 24 h old" in (state.error_message or "")


@pytest.mark.parametrize(("vendor", "answer", "named"), [
    ("kling", {"code": 1301, "message": "Trigger the content security policy of the "
               "platform"}, "the request was refused"),
    ("seedance", {"error": {"code": "InputTextSensitiveContentDetected", "message": "The "
                            "request failed because the input text may contain sensitive "
                            "information.", "type": "BadRequest"}}, "the prompt was refused"),
    ("wan", {"code": "DataInspectionFailed", "message": "Input image data may contain "
             "inappropriate content."}, "the reference image was refused"),
])
def test_refusals_at_create_name_the_input(vendor: str, answer: dict[str, Any], named: str,
                                           stills: Stills) -> None:
    script = Script().add(400, answer)
    with pytest.raises(PolicyRejectedError) as refused:
        _open(vendor, script).submit(GenerationRequest(
            prompt="p", model=None, seconds=5, size=(1280, 720), first_frame=stills.first))
    assert f"{named} by {vendor}'s content policy" in refused.value.message
    assert len(script.seen) == 1  # a refusal is never retried


@pytest.mark.parametrize(("vendor", "fields", "named"), [
    ("kling", {"task_status_msg": "The input image failed the content security check"},
     "the reference image was refused"),
    ("seedance", {"error": {"code": "OutputVideoSensitiveContentDetected", "message": "x"}},
     "the generated video was refused"),
    ("wan", {"code": "DataInspectionFailed", "message": "Input text data may contain "
             "inappropriate content."}, "the prompt was refused"),
])
def test_refused_tasks_name_the_input(vendor: str, fields: dict[str, Any], named: str) -> None:
    with pytest.raises(PolicyRejectedError, match=named):
        _open(vendor, Script().add(200, _task(vendor, "failed" if vendor != "wan" else
                                              "FAILED", **fields))).poll("t")


def test_a_plain_failure_is_not_a_refusal() -> None:
    state = _open("seedance", Script().add(200, _task(
        "seedance", "failed", error={"code": "InternalServiceError", "message": "boom"}))).poll("t")
    assert (state.status, state.error_code, state.error_message) == \
        (JobStatus.FAILED, "InternalServiceError", "boom")


@pytest.mark.parametrize(("access", "secret", "missing"), [
    ("ak", None, "KLING_SECRET_KEY"), (None, "sk", "KLING_ACCESS_KEY")])
def test_half_a_kling_key_pair_names_the_missing_variable(
        access: str | None, secret: str | None, missing: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLING_SECRET_KEY", raising=False)
    script = Script()
    with pytest.raises(ConfigError, match=f"{missing} is not; set {missing} too"):
        KlingProvider.open("https://kling.example", access, secret=secret,
                           transport=script.transport)
    assert script.seen == []


def test_the_kling_secret_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    provider = KlingProvider.open("https://kling.example", "ak")
    assert set(provider.http.target.credentials) == {"Authorization"}
    assert SECRET not in repr(provider.http.target) + repr(provider.http)


def test_providers_shows_both_halves_of_the_kling_pair(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("KLING_ACCESS_KEY", "an-access-key")
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET)
    code, out, _ = cli(capsys, "providers")
    assert code == 0
    assert "kling: key KLING_ACCESS_KEY + KLING_SECRET_KEY: set (KLING_ACCESS_KEY)" in out
    assert "an-access-key" not in out and SECRET not in out
    monkeypatch.delenv("KLING_SECRET_KEY")
    code, out, _ = cli(capsys, "providers", "--json")
    kling = next(e for e in json.loads(out) if e["provider"] == "kling")
    assert (kling["key_set"], kling["key_pair"]) == (False, "KLING_SECRET_KEY")
    assert {m["model"]: m["last_frame"] for m in kling["models"]} == \
        {"kling-v3": True, "kling-v2-6": False}
