"""The ``stillmotion_render`` OTIO adapter signs its master by the same rule as
``stitch --timeline`` (``stillmotion.timeline.master``), and honours the same off switch.

Two clips are generated through the CLI with the preview provider (the real local preview
server), placed on one timeline; the timeline is written through
``otio.adapters.write_to_file(..., adapter_name="stillmotion_render")``. An independent
``c2pa.Reader`` (not our code) validates the master's signature and finds both generated clips
as components, each chaining to its download. With ``STILLMOTION_CREDENTIALS=false`` (no CLI
flag reaches an adapter: the environment or settings file does) the master has no manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import c2pa
import opentimelineio as otio
import pytest

from stillmotion.media.identity import LOCAL_NAME
from stillmotion.media.manifest_store import AI_SOURCE
from support.generate_env import generate_two_takes, isolate

PROMPT = "Slow dolly in over 1 s; warm evening light"


def test_render_adapter_signs_the_master_like_stitch_and_honours_the_off_switch(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    project = tmp_path / "project"
    clips, _ = generate_two_takes(capsys, media_dir, project, tmp_path / "ledger.sqlite3",
                                  PROMPT)
    edit = otio.adapters.read_from_file(str(project / "two.otio"))

    master = tmp_path / "master.mov"
    notes: list[str] = []
    otio.adapters.write_to_file(edit, str(master), adapter_name="stillmotion_render",
                                size="320x180", base_dir=str(project), on_note=notes.append)
    assert notes == [f"Content Credentials on {master.name} signed with a local, untrusted "
                     f"identity ({LOCAL_NAME})."]
    with c2pa.Reader(str(master)) as reader:
        state, store = reader.get_validation_state(), json.loads(reader.json())
    failures = {f["code"] for f in store["validation_results"]["activeManifest"]
                .get("failure", [])}
    assert state == "Valid" and failures <= {"signingCredential.untrusted"}
    active = store["manifests"][store["active_manifest"]]
    assert active["claim_generator_info"][0]["name"] == "stillmotion"
    parts = {i["title"]: i for i in active["ingredients"]}
    for clip in clips:
        part = parts[Path(clip["conformed"]).name]
        assert part["relationship"] == "componentOf"
        # Each component chains on to the vendor's download.
        assert store["manifests"][part["active_manifest"]]["ingredients"][0]["title"] \
            == Path(clip["original"]).name
    sources = {a.get("digitalSourceType") for m in store["manifests"].values()
               for x in m["assertions"] if x["label"].startswith("c2pa.actions")
               for a in x["data"]["actions"]}
    assert AI_SOURCE in sources

    # The same switch as stitch's --no-credentials, reaching the adapter through settings.
    monkeypatch.setenv("STILLMOTION_CREDENTIALS", "false")
    unsigned, notes = tmp_path / "unsigned.mov", []
    otio.adapters.write_to_file(edit, str(unsigned), adapter_name="stillmotion_render",
                                size="320x180", base_dir=str(project), on_note=notes.append)
    assert unsigned.stat().st_size > 0
    assert notes == [f"Wrote {unsigned.name} without Content Credentials (--no-credentials)."]
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader(str(unsigned))
    assert not list(tmp_path.glob(".unsigned*"))  # no partial sibling left behind
