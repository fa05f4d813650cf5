"""The Generate dialog without UIManager: request building, estimate text, worker thread, errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from stillmotion.errors import ConfigError, JobFailedError
from stillmotion.resolve.form import FormValues, build_args, compose_prompt, error_text
from stillmotion.resolve.ui import GenerateDialog, run_menu_script
from stillmotion.settings import Settings
from support.fake_resolve import FakeResolve
from support.resolve_dialog import RecordingView
from support.resolve_env import (
    Scene,
    StandInPipeline,
    build_scene,
    generated_clips,
    pipeline,
    settings,
)

__all__ = ["generated_clips", "pipeline", "settings"]  # fixtures


def test_five_part_prompt_or_free_prompt() -> None:
    text = compose_prompt(FormValues(framing="close-up of a cup", timing="slow dolly in over 2 s",
                                     avoid="text; logos"))
    assert text.splitlines() == ["Framing: close-up of a cup.", "Timing: slow dolly in over 2 s.",
                                 "Avoid: text; logos."]
    assert compose_prompt(FormValues(prompt="  steam rises  ")) == "steam rises"
    with pytest.raises(ConfigError, match="not both"):
        compose_prompt(FormValues(prompt="x", action="y"))
    with pytest.raises(ConfigError, match="prompt is empty"):
        compose_prompt(FormValues())


def test_auto_size_follows_the_timeline_aspect(settings: Settings) -> None:
    values = FormValues(prompt="slow push in over 4 s", provider="openai", model="sora-2")
    wide = build_args(values, timeline_size=(1920, 1080), settings=settings)
    tall = build_args(values, timeline_size=(1080, 1920), settings=settings)
    assert (wide.size, tall.size) == ((1280, 720), (720, 1280))
    assert wide.seconds == 4 and str(wide.estimate.amount) == "0.40"
    preview = build_args(FormValues(prompt="pan left over 2 s"), timeline_size=(320, 180),
                         settings=settings)
    assert (preview.provider, preview.size, preview.estimate.amount) == ("preview", (1280, 720),
                                                                         Decimal(0))


@pytest.mark.parametrize(("values", "words"), [
    (FormValues(prompt="x", provider="openai", model="sora-2", seconds="5"), "5 s is not allowed"),
    (FormValues(prompt="x", seconds="four"), "not a whole number of seconds"),
    (FormValues(prompt="x", provider="openai", model="sora-2", size="1920x1080"),
     "not allowed for sora-2"),
    (FormValues(prompt="x", provider="acme"), "Unknown provider 'acme'"),
    (FormValues(prompt="x", size="wide"), "not a size"),
])
def test_bad_fields_give_one_sentence(settings: Settings, values: FormValues, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        build_args(values, timeline_size=(1920, 1080), settings=settings)
    assert caught.value.message.endswith(".")


def test_unexpected_errors_still_read_as_one_sentence() -> None:
    assert error_text(KeyError("x")).startswith("stillmotion hit an unexpected KeyError")
    assert error_text(JobFailedError("The job failed; try again.")) == "The job failed; try again."


@pytest.fixture
def scene(make_clip: Callable[[str], Path]) -> Scene:
    return build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001))


def drive(dialog: GenerateDialog) -> None:
    """Tick like the UIManager timer until the job ends (the worker is a real thread)."""
    for _ in range(2000):
        if not dialog.poll():
            return
        time.sleep(0.01)
    raise AssertionError("the worker did not finish")


def test_generate_runs_in_a_worker_and_reports_progress(
    scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    view = RecordingView(FormValues(prompt="slow dolly in over 1 s", seconds="1", size="320x180"))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=pipeline,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    assert dialog.refresh() is not None
    assert view.summaries[-1].startswith("preview/preview, 320x180, 1 s: estimated $0.00")
    assert dialog.start()
    assert dialog.busy and view.busy == [True]
    assert not dialog.start()  # a second click while running does nothing
    drive(dialog)

    assert view.busy == [True, False]
    assert view.errors == []
    assert "Submitting to preview" in view.statuses
    assert "preview job: in_progress (50 %)" in view.statuses
    assert dialog.placed is not None
    assert view.statuses[-1].startswith(
        f"Placed job {dialog.placed.clip.job_id} at 01:00:00:12 on AI Generated (V2)")
    request, _ = pipeline.calls[0]
    assert (request.size, request.seconds, request.provider) == ((320, 180), 1, "preview")
    assert [i.start for i in scene.timeline.tracks[1].items] == [86412]


def test_worker_failure_is_shown_and_nothing_changes(
    scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    pipeline.error = JobFailedError("The preview job failed (moderation); change the prompt.")
    view = RecordingView(FormValues(prompt="slow dolly in over 1 s", seconds="1"))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=pipeline,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    before = scene.timeline.snapshot()
    assert dialog.start()
    drive(dialog)
    assert view.errors == ["The preview job failed (moderation); change the prompt."]
    assert scene.timeline.snapshot() == before
    assert not dialog.busy


def test_invalid_fields_never_touch_resolve(
    scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    view = RecordingView(FormValues(prompt=""))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=pipeline)
    assert not dialog.start()
    assert view.errors == ["The prompt is empty; describe the shot and its camera move."]
    assert scene.resolve.called("ExportCurrentFrameAsStill") == []
    assert pipeline.calls == []


def test_resolve_failure_during_grab_is_one_sentence(
    scene: Scene, pipeline: StandInPipeline, settings: Settings
) -> None:
    scene.resolve.failures["ExportCurrentFrameAsStill"] = False
    view = RecordingView(FormValues(prompt="slow dolly in over 1 s", seconds="1"))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=pipeline,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    assert not dialog.start()
    assert len(view.errors) == 1 and "ExportCurrentFrameAsStill returned False" in view.errors[0]
    assert not dialog.busy and pipeline.calls == []


def test_generate_for_selected_clips_shows_a_line_per_shot(
    make_clip: Callable[[str], Path], pipeline: StandInPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), left_offset=10,
                        playhead_offset=0)
    media = scene.timeline.tracks[0].items[0].media
    second = scene.timeline.put(1, media, 86400 + 62, duration=40)
    scene.timeline.select(scene.timeline.tracks[0].items[0], second)
    view = RecordingView(FormValues(prompt="slow dolly in over 1 s", seconds="1", size="320x180"))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=pipeline,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    assert dialog.start_selection()
    assert dialog.busy and not dialog.start() and not dialog.start_selection()
    drive(dialog)

    assert view.busy == [True, False] and view.errors == []
    final = view.statuses[-1].splitlines()
    assert final[0].startswith("hd_23976_tc.mov at 01:00:01:07: placed job ")
    assert final[1].startswith("hd_23976_tc.mov at 01:00:03:10: placed job ")
    assert final[-1] == "Done: Placed 2 of 2 clips"
    assert view.statuses[1].splitlines() == ["hd_23976_tc.mov at 01:00:01:07: waiting",
                                             "hd_23976_tc.mov at 01:00:03:10: waiting"]
    assert sorted(i.start for i in scene.timeline.tracks[1].items) == [86431, 86482]
    assert scene.resolve.manager.saves == 1

    bad = RecordingView(FormValues(prompt="x", seconds="1", size="320x180",
                                   marker_color="Mauve"))
    dialog = GenerateDialog(scene.resolve, bad, settings=settings, generate=pipeline)
    assert not dialog.start_selection()
    assert "'Mauve' is not a Resolve marker colour" in bad.errors[0]


class Widget:
    """A UIManager element: properties as attributes, children, combo-box items."""

    def __init__(self, kind: str, spec: object = None) -> None:
        self.kind = kind
        self.children: list[Widget] = []
        self.choices: list[str] = []
        self.Text = ""
        self.PlainText = ""
        self.CurrentText = ""
        self.Checked = False
        self.Enabled = True
        self.running = False
        if isinstance(spec, dict):
            self.__dict__.update(spec)
        elif isinstance(spec, list):
            self.children = spec
        elif isinstance(spec, Widget):
            self.children = [spec]

    def AddItem(self, text: str) -> None:
        self.choices.append(text)
        self.CurrentText = self.CurrentText or text

    def Clear(self) -> None:  # ComboBox
        self.choices, self.CurrentText = [], ""

    def Start(self) -> None:
        self.running = True

    def Stop(self) -> None:
        self.running = False

    def walk(self) -> list[Widget]:
        return [self, *[w for child in self.children for w in child.walk()]]


class Handlers:
    """``win.On.<ID>.<Event> = handler`` storage."""

    def __init__(self) -> None:
        self.by_id: dict[str, SimpleNamespace] = {}

    def __getattr__(self, name: str) -> SimpleNamespace:
        if name == "by_id":
            raise AttributeError(name)
        return self.by_id.setdefault(name, SimpleNamespace())


class RecordingUIManager:
    """Just enough of fusion.UIManager + bmd.UIDispatcher; RunLoop plays ``script``."""

    def __init__(self, script: Callable[[Any, Any], None]) -> None:
        self.script = script
        self.windows: list[Any] = []
        self.timers: list[Widget] = []

    def __getattr__(self, kind: str) -> Callable[[object], Widget]:
        def make(spec: object = None) -> Widget:
            widget = Widget(kind, spec)
            if kind == "Timer":
                self.timers.append(widget)
            return widget
        return make

    def UIDispatcher(self, _ui: object) -> Any:  # bmd.UIDispatcher
        manager = self
        dispatcher = SimpleNamespace(On=Handlers(), exited=False)

        def add_window(props: dict[str, Any], root: Widget) -> Any:
            items = {w.ID: w for w in root.walk() if hasattr(w, "ID")}
            window = SimpleNamespace(props=props, root=root, items=items, On=Handlers(),
                                     shown=False, GetItems=lambda: items)
            window.Show = lambda: setattr(window, "shown", True)
            window.Hide = lambda: setattr(window, "shown", False)
            manager.windows.append(window)
            return window

        dispatcher.AddWindow = add_window
        dispatcher.ExitLoop = lambda *a: setattr(dispatcher, "exited", True)
        dispatcher.RunLoop = lambda: manager.script(manager.windows[-1], dispatcher)
        return dispatcher


def test_menu_script_runs_the_window_end_to_end(
    make_clip: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Launcher entry point -> UIManager window -> worker + timer -> real pipeline -> placed."""
    for name in ("BASE_URL", "PROVIDER", "MODEL", "BUDGET", "DAILY_BUDGET", "LEDGER"):
        monkeypatch.delenv(f"STILLMOTION_{name}", raising=False)
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STILLMOTION_CACHE_DIR", str(tmp_path / "cache"))
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001), still_delay=0)
    seen: dict[str, Any] = {}

    def editor(window: Any, dispatcher: Any) -> None:
        items = window.items
        assert items["provider"].choices[0] == "preview"
        assert items["grab"].choices == ["viewer", "source"]
        items["prompt"].PlainText = "slow dolly in over 1 s"
        items["seconds"].Text = "1"
        items["size"].Text = "320x180"
        items["grab"].CurrentText = "source"
        window.On.prompt.TextChanged(None)
        seen["summary"] = items["summary"].Text
        window.On.generate.Clicked(None)
        seen["disabled"] = not items["generate"].Enabled
        for _ in range(3000):
            if not manager.timers[0].running:
                break
            dispatcher.On.Timeout(None)
            time.sleep(0.01)
        seen["status"] = items["status"].Text
        window.On.stillmotionGenerate.Close(None)
        seen["exited"] = dispatcher.exited

    manager = RecordingUIManager(editor)
    run_menu_script({"resolve": scene.resolve, "fusion": SimpleNamespace(UIManager=manager),
                     "bmd": manager})
    assert seen["summary"].startswith("preview/preview, 320x180, 1 s: estimated $0.00")
    assert seen["disabled"] and seen["exited"]
    assert seen["status"].startswith("Placed job ") and "on AI Generated (V2)" in seen["status"]
    [item] = scene.timeline.tracks[1].items
    assert item.start == 86412 and item.duration == 24


def test_menu_script_shows_an_error_window(capsys: pytest.CaptureFixture[str]) -> None:
    def click_ok(window: Any, dispatcher: Any) -> None:
        window.On.ok.Clicked(None)

    manager = RecordingUIManager(click_ok)
    resolve = FakeResolve()  # no project open
    run_menu_script({"resolve": resolve, "fusion": SimpleNamespace(UIManager=manager),
                     "bmd": manager})
    [window] = manager.windows
    [label] = [w for w in window.root.walk() if w.kind == "Label"]
    assert label.Text.startswith("No project is open in DaVinci Resolve (GetCurrentProject")
    assert not window.shown
    out = capsys.readouterr().out
    assert out.startswith("stillmotion: No project is open in DaVinci Resolve")
    run_menu_script({})
    assert "Workspace > Scripts" in capsys.readouterr().out


def test_selection_menu_entry_titles_the_window_and_offers_both_buttons(
    settings: Settings,
) -> None:
    from stillmotion.resolve.ui import FusionView

    manager = RecordingUIManager(lambda window, dispatcher: None)
    view = FusionView(SimpleNamespace(UIManager=manager), manager, (320, 180), settings,
                      "selection")
    [window] = manager.windows
    assert window.props["WindowTitle"] == "stillmotion: generate for selected clips"
    assert window.items["selection"].Text == "Generate for selected clips"
    window.items["marker_color"].Text = "Green"
    assert view.values().marker_color == "Green"
    view.set_busy(True)
    assert not window.items["selection"].Enabled and not window.items["generate"].Enabled


@pytest.mark.parametrize(("mode", "title"), [
    ("turnover", "stillmotion: turn AI shots over to finishing"),
    ("ingest", "stillmotion: ingest artists' versions as takes"),
])
def test_handoff_menu_entries_title_the_window_and_read_its_fields(
    settings: Settings, mode: str, title: str
) -> None:
    from stillmotion.resolve.ui import FusionView

    manager = RecordingUIManager(lambda window, dispatcher: None)
    view = FusionView(SimpleNamespace(UIManager=manager), manager, (320, 180), settings, mode)
    [window] = manager.windows
    items = window.items
    assert window.props["WindowTitle"] == title
    assert items["plate_format"].choices[:2] == ["exr", "dpx"]
    items["provider"].CurrentText = "runway"
    view.list_models()  # what choosing a provider does: its models, the default first
    assert items["model"].choices[0] == "gen4.5" and items["model"].CurrentText == "gen4.5"
    items["handoff_folder"].Text = "/shows/turnover"
    items["handles"].Text = "12"
    items["plate_format"].CurrentText = "dpx"
    items["no_audio"].Checked = True
    items["second"].Text = "runway:gen4.5"
    values = view.values()
    assert (values.handoff_folder, values.handles, values.plate_format) == (
        "/shows/turnover", "12", "dpx")
    assert values.no_audio and values.second == "runway:gen4.5"
    view.set_busy(True)
    assert not any(items[name].Enabled for name in
                   ("generate", "selection", "resume", "turnover", "ingest"))
