"""A recording stand-in for the Resolve dialog's window (the controller's DialogView)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stillmotion.resolve.form import FormValues


@dataclass
class RecordingView:
    """A DialogView that keeps what the dialog showed."""

    fields: FormValues
    summaries: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: list[bool] = field(default_factory=list)

    def values(self) -> FormValues:
        return self.fields

    def show_summary(self, text: str) -> None:
        self.summaries.append(text)

    def show_status(self, text: str) -> None:
        self.statuses.append(text)

    def show_error(self, text: str) -> None:
        self.errors.append(text)

    def set_busy(self, busy: bool) -> None:
        self.busy.append(busy)
