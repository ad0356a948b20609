"""The build backend of every model wheel: hatchling, storing what deflate cannot shrink.

hatchling deflates every member of a wheel. A model's weights are often floats that look
random to deflate, which then spends about 30 s per gigabyte on one core to save nothing,
and every install pays again to inflate them. The build stage decides per file, by the
rule in :func:`_package.stored_members`, which members to store; it lists them in the
generated ``pyproject.toml`` (``[tool.wheelwright.build] stored``), and this backend
writes those members with ``ZIP_STORED``. Everything else is hatchling's own: the hooks
below are hatchling's, and a member not listed is deflated as hatchling always does.

The build stage copies this file beside the generated ``pyproject.toml`` and names it
with ``backend-path``; the backend runs in a process of its own, so the change to
``zipfile`` below touches nothing but the wheel being built.
"""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

from hatchling.build import (  # noqa: F401  (the PEP 517 hooks, re-exported)
    build_editable, build_sdist, build_wheel, get_requires_for_build_editable,
    get_requires_for_build_sdist, get_requires_for_build_wheel,
    prepare_metadata_for_build_editable, prepare_metadata_for_build_wheel,
)


def _stored() -> frozenset[str]:
    with open(Path("pyproject.toml"), "rb") as handle:  # the backend runs in the build tree
        config = tomllib.load(handle)
    return frozenset(config.get("tool", {}).get("wheelwright", {}).get("build", {}).get("stored", []))


STORED = _stored()
_open = zipfile.ZipFile.open


def _open_storing(self, name, mode="r", pwd=None, *, force_zip64=False):  # type: ignore[no-untyped-def]
    """ZipFile.open, with the listed members written stored instead of deflated."""
    if mode == "w" and isinstance(name, zipfile.ZipInfo) and name.filename in STORED:
        name.compress_type = zipfile.ZIP_STORED
    return _open(self, name, mode, pwd, force_zip64=force_zip64)


zipfile.ZipFile.open = _open_storing  # type: ignore[method-assign]
