"""The Generate dialog's window: UIManager widgets over the controller in :mod:`.dialog`.

Why thin: UIManager (``fusion.UIManager`` and ``bmd.UIDispatcher``) exists only inside Resolve,
so :class:`FusionView` only moves text between widgets and :class:`GenerateDialog`, which
decides everything and is tested without Resolve; a UIManager timer drives its ``poll``.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from stillmotion.jobs.providers import PROVIDERS
from stillmotion.media.plate_formats import PLATE_FORMATS
from stillmotion.resolve.dialog import GenerateDialog
from stillmotion.resolve.form import AUTO, PARTS, FormValues, error_text, model_names
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.still import GRAB_ROUTES
from stillmotion.settings import Settings, load_settings
from stillmotion.timecode import format_size

__all__ = ["FusionView", "GenerateDialog", "run_menu_script", "show_message"]

TITLES = {"generate": "stillmotion: generate at playhead",
          "selection": "stillmotion: generate for selected clips",
          "turnover": "stillmotion: turn AI shots over to finishing",
          "ingest": "stillmotion: ingest artists' versions as takes"}
WINDOW_ID = "stillmotionGenerate"
TICK_ID = "stillmotionTick"
TICK_MS = 250
CHOICES = ("provider", "model", "grab", "plate_format")  # combo boxes: their CurrentText
TICKS = ("new_take", "no_audio")  # check boxes
BUTTONS = ("generate", "selection", "resume", "turnover", "ingest")  # off while a job runs


class FusionView:
    """The UIManager window: fields, a summary line, a status line, Generate and Close."""

    def __init__(self, fusion: Any, bmd: Any, timeline_size: tuple[int, int],
                 settings: Settings, mode: str = "generate") -> None:
        self.ui = fusion.UIManager
        self.dispatcher = bmd.UIDispatcher(self.ui)
        ui = self.ui
        size_hint = f"auto (from the {format_size(timeline_size)} timeline) or WxH"
        rows = [ui.HGroup([ui.Label({"Text": "Prompt", "Weight": 0.2}),
                           ui.TextEdit({"ID": "prompt", "Weight": 0.8})])]
        for name in (*PARTS, "keep", "avoid"):
            hint = "items separated by ;" if name in ("keep", "avoid") else ""
            rows.append(ui.HGroup([ui.Label({"Text": name.capitalize(), "Weight": 0.2}),
                                   ui.LineEdit({"ID": name, "PlaceholderText": hint,
                                                "Weight": 0.8})]))
        rows += [
            ui.HGroup([ui.Label({"Text": "Provider"}), ui.ComboBox({"ID": "provider"}),
                       ui.Label({"Text": "Model"}), ui.ComboBox({"ID": "model",
                                                                 "Editable": True}),
                       ui.Label({"Text": "Seconds"}), ui.LineEdit({"ID": "seconds"})]),
            ui.HGroup([ui.Label({"Text": "Second model", "Weight": 0.2}),
                       ui.LineEdit({"ID": "second", "Weight": 0.8, "PlaceholderText":
                                    "optional PROVIDER:MODEL, e.g. runway:gen4.5: both run on "
                                    "the same still, as takes of one slot"})]),
            ui.HGroup([ui.Label({"Text": "Size"}), ui.LineEdit({"ID": "size", "Text": AUTO,
                                                                "PlaceholderText": size_hint}),
                       ui.Label({"Text": "Grab"}), ui.ComboBox({"ID": "grab"}),
                       ui.CheckBox({"ID": "new_take", "Text": "New take"}),
                       ui.CheckBox({"ID": "no_audio", "Text": "No audio"})]),
            ui.HGroup([ui.Label({"Text": "Markers", "Weight": 0.2}),
                       ui.LineEdit({"ID": "marker_color", "Weight": 0.8, "PlaceholderText":
                                    "empty: the selected clips (Resolve 21.0.4+), else every "
                                    "marker; or a marker colour, e.g. Green"})]),
            ui.HGroup([ui.Label({"Text": "Hand-off folder", "Weight": 0.2}),
                       ui.LineEdit({"ID": "handoff_folder", "Weight": 0.5, "PlaceholderText":
                                    "turnover: a new folder; ingest: the versions' folder"}),
                       ui.Label({"Text": "Handles"}), ui.LineEdit({"ID": "handles",
                                                                   "Text": "8"}),
                       ui.ComboBox({"ID": "plate_format"})]),
            ui.Label({"ID": "summary", "Text": "", "WordWrap": True}),
            ui.Label({"ID": "status", "Text": "", "WordWrap": True}),
            ui.HGroup([ui.Button({"ID": "generate", "Text": "Generate"}),
                       ui.Button({"ID": "selection", "Text": "Generate for selected clips"}),
                       ui.Button({"ID": "resume", "Text": "Resume jobs"}),
                       ui.Button({"ID": "turnover", "Text": "Turn over"}),
                       ui.Button({"ID": "ingest", "Text": "Ingest versions"}),
                       ui.Button({"ID": "close", "Text": "Close"})]),
        ]
        self.window = self.dispatcher.AddWindow(
            {"ID": WINDOW_ID, "WindowTitle": TITLES[mode],
             "Geometry": [200, 120, 640, 600]}, ui.VGroup(rows))
        self.items = self.window.GetItems()
        for choice in (settings.provider, *[p for p in PROVIDERS if p != settings.provider]):
            self.items["provider"].AddItem(choice)
        for route in GRAB_ROUTES:
            self.items["grab"].AddItem(route)
        for name in PLATE_FORMATS:
            self.items["plate_format"].AddItem(name)
        self.settings = settings
        self.list_models()
        self.timer = ui.Timer({"ID": TICK_ID, "Interval": TICK_MS})

    def list_models(self) -> None:
        """Offer the chosen provider's models (declared, built-in, cached catalogue); any other
        name can still be typed."""
        box = self.items["model"]
        box.Clear()
        for name in model_names(str(self.items["provider"].CurrentText), self.settings):
            box.AddItem(name)

    def values(self) -> FormValues:
        text = {f.name: str(self.items[f.name].PlainText if f.name == "prompt"
                            else self.items[f.name].Text)
                for f in fields(FormValues) if f.name not in (*CHOICES, *TICKS)}
        chosen = {name: str(self.items[name].CurrentText) for name in CHOICES}
        ticked = {name: bool(self.items[name].Checked) for name in TICKS}
        return FormValues(**text, **chosen, **ticked)  # type: ignore[arg-type]

    def show_summary(self, text: str) -> None:
        self.items["summary"].Text = text

    def show_status(self, text: str) -> None:
        self.items["status"].Text = text

    def show_error(self, text: str) -> None:
        self.items["status"].Text = f"Not done: {text}"

    def set_busy(self, busy: bool) -> None:
        for name in BUTTONS:
            self.items[name].Enabled = not busy
        if busy:
            self.timer.Start()
        else:
            self.timer.Stop()

    def run(self, dialog: GenerateDialog) -> None:
        """Wire events to ``dialog`` and block in the dispatcher loop until the window closes."""
        on = self.window.On

        def changed(_event: Any) -> None:
            if not dialog.busy:
                dialog.refresh()

        def close(_event: Any) -> None:
            if not dialog.busy:
                self.dispatcher.ExitLoop()
            else:
                self.show_status("A job is running; wait for it to finish before closing.")

        def provider_changed(event: Any) -> None:
            self.list_models()
            changed(event)

        for name in ("prompt", *PARTS, "keep", "avoid", "seconds", "size", "marker_color",
                     "second"):
            getattr(on, name).TextChanged = changed
        on.provider.CurrentIndexChanged = provider_changed
        on.model.CurrentIndexChanged = changed
        on.model.EditTextChanged = changed
        on.grab.CurrentIndexChanged = changed
        on.generate.Clicked = lambda _event: dialog.start()
        on.selection.Clicked = lambda _event: dialog.start_selection()
        on.resume.Clicked = lambda _event: dialog.start_resume()
        on.turnover.Clicked = lambda _event: dialog.start_turnover()
        on.ingest.Clicked = lambda _event: dialog.start_ingest()
        on.close.Clicked = close
        getattr(on, WINDOW_ID).Close = close
        self.dispatcher.On.Timeout = lambda _event: dialog.poll()
        dialog.refresh()
        self.window.Show()
        self.dispatcher.RunLoop()
        self.window.Hide()


def show_message(fusion: Any, bmd: Any, text: str) -> None:
    """A small window with one sentence and OK (errors before the dialog could open)."""
    ui = fusion.UIManager
    dispatcher = bmd.UIDispatcher(ui)
    window = dispatcher.AddWindow(
        {"ID": "stillmotionMessage", "WindowTitle": "stillmotion",
         "Geometry": [260, 200, 480, 140]},
        ui.VGroup([ui.Label({"Text": text, "WordWrap": True}),
                   ui.Button({"ID": "ok", "Text": "OK"})]))
    window.On.ok.Clicked = lambda _event: dispatcher.ExitLoop()
    window.On.stillmotionMessage.Close = lambda _event: dispatcher.ExitLoop()
    window.Show()
    dispatcher.RunLoop()
    window.Hide()


def run_menu_script(namespace: dict[str, Any], mode: str = "generate") -> None:
    """Entry point of the Workspace > Scripts launchers: open the dialog, show any error.

    ``namespace`` is the launcher's globals, where Resolve pre-binds ``resolve``, ``fusion``
    (or ``fu``), ``bmd`` and ``app``. ``mode`` "selection", "turnover" or "ingest" (the
    "Generate for selected clips", "Turnover" and "Ingest versions" menu entries) titles the
    dialog for that action; every button is in every window.
    """
    fusion = namespace.get("fusion") or namespace.get("fu")
    bmd = namespace.get("bmd")
    resolve = namespace.get("resolve")
    if resolve is None and namespace.get("app") is not None:
        resolve = namespace["app"].GetResolve()
    if resolve is None or fusion is None or bmd is None:
        print("stillmotion: run this from DaVinci Resolve's Workspace > Scripts menu "
              "(resolve, fusion and bmd are not defined here).")
        return
    try:
        settings = load_settings()
        session = ResolveSession(resolve)
        view = FusionView(fusion, bmd, session.size(session.timeline(session.project())),
                          settings, mode if mode in TITLES else "generate")
        view.run(GenerateDialog(resolve, view, settings=settings))
    except Exception as exc:  # the editor sees one sentence; the Console keeps the details
        text = error_text(exc)
        print(f"stillmotion: {text}")
        show_message(fusion, bmd, text)
