"""pin: lock ``requirements.in`` into a hash-locked ``requirements.txt``, or check the lock.

``--check`` is offline and fast: it fails, naming each difference, when the lock no longer
satisfies ``requirements.in`` (a requirement added, removed or re-specified without
regenerating), when a pin carries no hashes, or when the lock names an index, a local
path or a credential. Regenerating runs pip-compile with the flags below, so a lock never
carries the machine's index configuration.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from _wheelwright import PipelineError, fail, group, notice, run, set_output

STAGE = "pin"
COMPILE_FLAGS = (
    "--generate-hashes", "--allow-unsafe", "--strip-extras",
    "--no-emit-index-url", "--no-emit-find-links", "--quiet",
)
# What a lock must never carry: an index, a local path, or a URL with credentials in it.
FORBIDDEN = re.compile(r"^\s*--(extra-)?index-url|^\s*--find-links|^\s*-f\s|file://|://[^/\s]*:[^/\s]*@", re.M)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


@dataclass
class Pin:
    version: str
    hashes: int = 0
    via: set[str] = field(default_factory=set)


def read_in(path: Path) -> dict[str, Requirement]:
    """The requirements a ``.in`` file names, by canonical name (``-r`` includes followed)."""
    found: dict[str, Requirement] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            found.update(read_in(path.parent / line.split(None, 1)[1]))
            continue
        if line.startswith("-"):
            continue  # options such as -c constraints do not name what the lock must hold
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise PipelineError(f"{path}:{number}: '{line}' is not a requirement: {exc}.") from None
        found[canonicalize_name(req.name)] = req
    return found


def read_lock(path: Path) -> dict[str, Pin]:
    """The pins of a pip-compile lock, with their hash counts and ``# via`` sources."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(raw)
        if match:
            current = pins[canonicalize_name(match[1])] = Pin(match[2])
            in_via = False
        elif current is None:
            continue
        elif raw.strip().startswith("--hash="):
            current.hashes += 1
        elif raw.strip().startswith("# via"):
            rest = raw.strip()[len("# via"):].strip()
            in_via = not rest
            if rest:
                current.via.add(rest)
        elif in_via and raw.strip().startswith("#   "):
            current.via.add(raw.strip()[1:].strip())
        else:
            in_via = False
    return pins


def stale_reasons(in_path: Path, lock_path: Path) -> list[str]:
    """Every way the lock fails ``in_path``; empty when the lock is current."""
    if not lock_path.is_file():
        return [f"{lock_path.name} does not exist"]
    wanted = read_in(in_path)
    pins = read_lock(lock_path)
    text = lock_path.read_text(encoding="utf-8")
    reasons = []
    for name, req in sorted(wanted.items()):
        pin = pins.get(name)
        if pin is None:
            reasons.append(f"{in_path.name} names {req}, which {lock_path.name} does not pin")
        elif req.specifier and not req.specifier.contains(pin.version, prereleases=True):
            reasons.append(f"{in_path.name} asks for {req}, but {lock_path.name} pins {req.name}=={pin.version}")
    source = f"-r {in_path.name}"
    for name, pin in sorted(pins.items()):
        if source in pin.via and name not in wanted:
            reasons.append(f"{lock_path.name} pins {name}=={pin.version} for {in_path.name}, which no longer names it")
        if pin.hashes == 0:
            reasons.append(f"{lock_path.name} pins {name}=={pin.version} without --hash lines")
    for match in FORBIDDEN.finditer(text):
        line = text[match.start():].splitlines()[0].strip()
        reasons.append(f"{lock_path.name} carries an index, a local path or a credential: '{line[:80]}'")
    return reasons


def check(in_path: Path, lock_path: Path) -> None:
    """Raise :class:`PipelineError` listing what is stale."""
    reasons = stale_reasons(in_path, lock_path)
    if reasons:
        raise PipelineError(
            f"{lock_path} is stale: " + "; ".join(reasons) + ".",
            f"Regenerate it with `python scripts/pin.py --requirements {in_path}` (or `make lock`) and commit both files.",
        )


def compile_lock(in_path: Path, lock_path: Path) -> None:
    """Run pip-compile; paths are passed relative so the lock's header names no machine."""
    cwd = in_path.parent
    argv = [sys.executable, "-m", "piptools", "compile", *COMPILE_FLAGS,
            "--output-file", os.path.relpath(lock_path, cwd), in_path.name]
    run(argv, cwd=cwd, what="pip-compile",
        hint="Read pip-compile's message above: usually a requirement no release satisfies.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pin.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", type=Path, default=Path("requirements.in"),
                        help="the .in file (default: requirements.in); the lock is the .txt beside it")
    parser.add_argument("--check", action="store_true",
                        help="do not regenerate: exit 1 naming what is stale")
    args = parser.parse_args(argv)
    in_path = args.requirements
    lock_path = in_path.with_suffix(".txt")
    try:
        if not in_path.is_file():
            raise PipelineError(f"{args.requirements} not found.",
                                "Pass --requirements with the path of your requirements.in.")
        if args.check:
            check(in_path, lock_path)
            notice(f"{lock_path.name} is current with {in_path.name}.")
        else:
            with group(f"pip-compile {in_path.name} -> {lock_path.name}"):
                compile_lock(in_path, lock_path)
            check(in_path, lock_path)
            notice(f"wrote {lock_path.name}")
    except PipelineError as error:
        set_output("lock-current", "false")
        return fail(STAGE, error)
    set_output("lock-current", "true")
    return 0


if __name__ == "__main__":
    sys.exit(main())
