"""Leave Resolve as the editor had it: put back page, playhead and bin; undo our edits on failure.

Why: a script that fails half-way must not leave an empty track, a dropped-then-retried clip or a
moved playhead behind, and Resolve has no transaction to roll back. We record each change as we
make it, together with the call that reverses it, and run those in reverse order on failure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from stillmotion.errors import ResolveOperationError, StillmotionError
from stillmotion.resolve.protocol import Folder, MediaPool, Timeline
from stillmotion.resolve.session import ResolveSession, TimelineClock

WORK_PAGE = "edit"


class Rollback:
    """Reversible steps, newest last; :meth:`undo` reverses them all."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []

    def add(self, what: str, undo: Callable[[], object]) -> None:
        """Record that ``what`` was done and that ``undo()`` (truthy on success) reverses it."""
        self._steps.append((what, undo))

    def undo_last(self) -> None:
        """Reverse the newest step now (e.g. a clip placed one frame short, before a retry)."""
        what, undo = self._steps.pop()
        if not undo():
            raise ResolveOperationError(
                f"Resolve did not remove {what}; remove it by hand.", operation="rollback"
            )

    def undo(self) -> list[str]:
        """Reverse every step, newest first; returns the ones Resolve refused to reverse."""
        left = []
        while self._steps:
            what, undo = self._steps.pop()
            try:
                done = undo()
            except Exception:  # a remote call failing while we clean up must not hide the cause
                done = False
            if not done:
                left.append(what)
        return left


@contextlib.contextmanager
def undo_on_failure(rollback: Rollback) -> Iterator[Rollback]:
    """Run the block; on any failure reverse the recorded steps and re-raise.

    When some step cannot be reversed the error says which, so the editor can remove it by hand.
    """
    try:
        yield rollback
    except StillmotionError as exc:
        left = rollback.undo()
        if left:
            exc.message = (
                f"{exc.message.rstrip('.')}, and Resolve refused to remove {', '.join(left)}: "
                "remove it by hand."
            )
            exc.args = (exc.message,)
        raise
    except BaseException:
        rollback.undo()
        raise


@contextlib.contextmanager
def users_view(
    session: ResolveSession,
    timeline: Timeline,
    clock: TimelineClock,
    media_pool: MediaPool | None = None,
) -> Iterator[None]:
    """Work on the Edit page; afterwards put back the page, the playhead and the current bin.

    Restoring is checked when the work succeeded; after a failure it is best effort, so the
    original error (the one the editor must read) is the one raised.
    """
    page = session.current_page()
    if page != WORK_PAGE:
        session.open_page(WORK_PAGE)
    # Restored in this order, the page last; the playhead is read on the Edit page because
    # Resolve reports the timecode only on the Cut, Edit, Color and Deliver pages.
    restores: list[Callable[[], None]] = []
    if page != WORK_PAGE:
        restores.append(lambda: session.open_page(page))
    failed = True
    try:
        playhead = session.playhead(timeline, clock)
        restores.insert(0, lambda: session.set_playhead(timeline, clock, playhead))
        if media_pool is not None:
            folder = session.require(
                media_pool.GetCurrentFolder(), "GetCurrentFolder", "Resolve did not say which "
                "bin is open", "select a bin in the media pool and try again",
            )
            restores.insert(1, lambda: _set_folder(session, media_pool, folder))
        yield
        failed = False
    finally:
        for restore in restores:
            try:
                restore()
            except StillmotionError:
                if not failed:
                    raise


def _set_folder(session: ResolveSession, media_pool: MediaPool, folder: Folder) -> None:
    session.require(
        media_pool.SetCurrentFolder(folder), "SetCurrentFolder", "Resolve did not reopen your "
        "bin", "select it again in the media pool",
    )
