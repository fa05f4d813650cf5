"""``stillmotion demo``: the main job end to end on the embedded preview provider.

Why a real run and not a recording: the demo renders sample media, writes a sample timeline,
starts the local ``/v1/videos`` server on 127.0.0.1, generates at a playhead, conforms, places
and stitches, exactly as an editor's run would, so a new user sees the whole product work with
no key and no network. Everything goes into a new folder; nothing existing is touched.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console

DEMO_RATE = Fraction(24)
DEMO_FRAMES = 48
DEMO_PLAYHEAD = "01:00:02:12"
DEMO_PROMPT = (
    "Start static 0.5 s, slow dolly in over 2 s, hold 1 s, pan left 0.5 s; warm evening light; "
    "ambient room tone"
)


def fresh_folder(wanted: Path) -> Path:
    """``wanted`` if it does not exist, else ``wanted-2``, ``wanted-3`` … (never reused)."""
    candidate, number = wanted, 2
    while candidate.exists():
        candidate = wanted.with_name(f"{wanted.name}-{number}")
        number += 1
    candidate.mkdir(parents=True)
    return candidate


# A sub-app holding the demo command; stillmotion.cli merges it into the root app.
app = typer.Typer()


@app.command()
def demo(
    out: Annotated[Path, typer.Option(
        "--out", help="Folder for the demo (a new one, numbered if it exists).")] = Path(
        "stillmotion-demo"),
) -> None:
    """Run the whole job offline on the built-in preview provider (no key, no network)."""
    from stillmotion.cli.generate_commands import run_prepared
    from stillmotion.cli.progress import progress_bar
    from stillmotion.jobs.shots import prepare_shot
    from stillmotion.media.credentials import chosen_identity, signed_master, signing_note
    from stillmotion.media.segments import Segment
    from stillmotion.media.stitch import stitch
    from stillmotion.media.synth import ClipSpec, render_clip
    from stillmotion.settings import load_settings
    from stillmotion.timeline.io import write_timeline
    from stillmotion.timeline.shots import sample_timeline

    folder = fresh_folder(out.absolute())
    media = folder / "source_media"
    media.mkdir()
    console.print(f"Rendering sample media into {media}", markup=False)
    clips = []
    for label in ("A", "B"):
        path = render_clip(media / f"shot_{label}.mp4", ClipSpec(
            1280, 720, DEMO_RATE, DEMO_FRAMES, audio_rate=48000, label=f"SHOT {label}"))
        clips.append((path, DEMO_FRAMES))
    timeline_path = write_timeline(
        sample_timeline("stillmotion demo", clips, DEMO_RATE, 86400), folder / "demo.otio")
    settings = load_settings(provider="preview", data_dir=folder / ".stillmotion",
                             ledger=folder / ".stillmotion" / "ledger.sqlite3")
    console.print(f"Generating at {DEMO_PLAYHEAD} with the local preview provider",
                  markup=False)
    shot = prepare_shot(timeline_path, DEMO_PLAYHEAD, DEMO_PROMPT, provider="preview")
    result = run_prepared(shot, settings, quiet=False)
    preview = folder / "demo_preview.mp4"
    parts = [clips[0][0], Path(result["conformed"])]
    # Signed like any stitched master: the shot and the generated clip are its ingredients.
    identity = chosen_identity(settings)
    with progress_bar("Stitching the preview") as update, \
            signed_master(preview, parts, identity) as unsigned:
        stitch([Segment(path) for path in parts], unsigned, preset="h264-web",
               size=(1280, 720), rate=DEMO_RATE, on_progress=update)
    console.print(signing_note(identity, preview), markup=False)
    console.print("Done. Everything is in " + str(folder), markup=False)
    rows = (
        ("source timeline", timeline_path),
        ("new timeline", result["timeline"]),
        ("generated clip", result["conformed"]),
        ("original download", result["original"]),
        ("stitched preview", preview),
    )
    for name, path in rows:
        console.print(f"  {name:<18} {path}", markup=False)
    console.print(f"  the clip sits on track \"{result['track']}\" at {DEMO_PLAYHEAD}; "
                  f"job {result['job_id']}", markup=False)
