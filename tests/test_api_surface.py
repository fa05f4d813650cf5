"""The public surface of ``stillmotion.api``: every name in ``__all__`` resolves to the object
in its home module, and the light submodules load without the HTTP stack."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from stillmotion import api


@pytest.mark.parametrize("name", api.__all__)
def test_every_public_name_is_its_home_modules_object(name: str) -> None:
    home = importlib.import_module(api._HOMES[name])
    expected = home if home.__name__ == f"stillmotion.api.{name}" else getattr(home, name)
    assert getattr(api, name) is expected


def test_private_and_unknown_names_are_not_exported() -> None:
    assert all(not name.startswith("_") for name in api.__all__)
    assert sorted(api.__all__) == sorted(api._HOMES)
    with pytest.raises(AttributeError, match="AsyncVideosClient"):
        api.AsyncVideosClient  # noqa: B018  (removed: batch runs threads on VideosClient)


@pytest.mark.parametrize("module", ["stillmotion.api.capabilities", "stillmotion.api.sniff"])
def test_light_submodules_do_not_load_the_http_stack(module: str) -> None:
    probe = (f"import sys, {module}; "
             "print(sorted(m for m in ('httpx', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120).stdout.strip()
    assert out == "[]"
