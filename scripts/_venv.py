"""Virtual environments for the model's code: fresh ones, and the project's own layered one.

- :func:`fresh` makes an empty environment and installs one wheel into it, its
  dependencies resolved from the package index pip is configured with: the build stage
  proves there that the wheel works alone, verify that the published one does.
- :func:`model_python` is the interpreter the model's own code runs with: wheelwright's
  when the project has no lock, else :func:`layered`'s, an environment holding the
  project's locked dependencies *over* wheelwright's packages (its own win where both
  have one), made the same way on a laptop and in CI.

uv makes them when the lock provides it (a second from a warm cache, against some 30 s
for ``venv`` and ``pip install``), told where packages come from by translating pip's
configuration; otherwise venv and pip.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from _project import Project
from _wheelwright import PipelineError, clean_env, run

STAMP = ".wheelwright-lock"
#: Making an environment and installing into it: generous, for a slow index.
TIMEOUT = 15 * 60.0
SLOW_INDEX = "Is the package index slow or unreachable? pip's configuration names it (pip config list)."


def bin_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def find_uv() -> str | None:
    """The uv executable the lock installed next to this interpreter, if any."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None


def install_env() -> dict[str, str]:
    return clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")


def create(venv: Path, python: str | os.PathLike[str] = sys.executable) -> Path:
    """A new, empty virtual environment at ``venv`` for ``python``; return its interpreter."""
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    uv = find_uv()
    if uv:
        # In the venv's parent folder, so that no project's uv settings apply.
        run([uv, "venv", "--quiet", "--python", python, venv], cwd=venv.parent, env=install_env(),
            capture=True, what=f"Creating a virtual environment with Python {python}", timeout=TIMEOUT)
    else:
        run([python, "-m", "venv", venv], env=install_env(), capture=True,
            what=f"Creating a virtual environment with Python {python}", timeout=TIMEOUT)
    return bin_python(venv)


def install(python: Path, args: list[str], *, what: str, locked: bool = False) -> None:
    """``pip install ARGS`` into ``python``'s environment, with uv when there is one.

    ``locked``: ARGS install a hash-locked file, which pip's constraints must not touch.
    """
    env = install_env()
    uv = find_uv()
    if uv is None:
        run([python, "-m", "pip", "install", "--quiet", *args], env=env, capture=True, what=what,
            timeout=TIMEOUT, timeout_hint=SLOW_INDEX)
        return
    pip = pip_config(env)
    if locked:
        pip.pop("constraint", None)
    options, extra = uv_options(pip)
    env = {**env, **{k: v for k, v in extra.items() if k not in env}}
    run([uv, "pip", "install", "--quiet", "--python", python, *options, *args],
        cwd=python.parent, env=env, capture=True, what=what, timeout=TIMEOUT, timeout_hint=SLOW_INDEX)


def fresh(where: Path, wheel: Path, python: str | os.PathLike[str] = sys.executable) -> Path:
    """Install ``wheel`` alone, with the dependencies it declares, into a new environment."""
    venv_python = create(where / "venv", python)
    install(venv_python, [str(wheel)],
            what=f"Installing {wheel.name} and the dependencies it declares into a fresh environment")
    uv = find_uv()
    check = ([uv, "pip", "check", "--quiet", "--python", venv_python] if uv
             else [venv_python, "-m", "pip", "check"])
    run(check, cwd=where, env=install_env(), capture=True, what="Checking the fresh environment's dependencies")
    return venv_python


# --- The project's own lock ----------------------------------------------------------------

def lock_digest(project: Project) -> str:
    """What the layered environment was made from: the lock and this interpreter."""
    digest = hashlib.sha256(project.lock.read_bytes())
    digest.update(sys.executable.encode())
    return digest.hexdigest()


def layered(project: Project) -> Path:
    """The project's locked dependencies over wheelwright's packages; made once per lock."""
    venv_python = bin_python(project.venv)
    stamp = project.venv / STAMP
    digest = lock_digest(project)
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest and venv_python.exists():
        return venv_python
    project.venv.parent.mkdir(parents=True, exist_ok=True)
    venv_python = create(project.venv)
    own = Path(run([venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   capture=True, what="Asking the new environment for its site-packages").stdout.strip())
    # Searched after the environment's own site-packages: the project's pins win.
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (own / "wheelwright_layer.pth").write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
    install(venv_python, ["--require-hashes", "--no-deps", "-r", str(project.lock)],
            what=f"Installing {project.lock.name} (--require-hashes)", locked=True)
    stamp.write_text(digest + "\n", encoding="utf-8")
    return venv_python


def model_python(project: Project) -> Path:
    """The interpreter that runs the project's own code (training, tests, the quality gate)."""
    if not project.lock.is_file():
        return Path(sys.executable)
    venv_python = bin_python(project.venv)
    stamp = project.venv / STAMP
    if not venv_python.exists() or not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != lock_digest(project):
        raise PipelineError(
            f"{project.lock} is not installed, or changed since it was.",
            "Run the train stage first: it installs the lock (make pipeline does).",
        )
    return venv_python


# --- pip's configuration, for uv ------------------------------------------------------------

#: Where pip's configuration puts an install's options, weakest first: a later one wins.
PIP_SECTIONS = ("global", "install", ":env:")


def pip_config(env: dict[str, str]) -> dict[str, str]:
    """pip's effective settings for ``pip install``, from its files and PIP_* variables."""
    listed = run([sys.executable, "-m", "pip", "config", "list"], env=env, capture=True,
                 what="pip config list").stdout
    return parse_pip_config(listed)


def parse_pip_config(listed: str) -> dict[str, str]:
    """``pip config list``'s output as option -> value, the strongest section winning.

    >>> parse_pip_config("global.index-url='https://a/simple'\\n:env:.index-url='https://b/simple'")
    {'index-url': 'https://b/simple'}
    """
    found: dict[str, tuple[int, str]] = {}
    for line in listed.splitlines():
        key, sep, raw = line.partition("=")
        section, _, option = key.rpartition(".")
        if not sep or section not in PIP_SECTIONS:
            continue
        try:
            value = str(ast.literal_eval(raw))
        except (ValueError, SyntaxError):
            continue
        rank = PIP_SECTIONS.index(section)
        if option not in found or rank >= found[option][0]:
            found[option] = (rank, value)
    return {option: value for option, (_, value) in found.items()}


def uv_options(pip: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """uv's flags and environment for the package sources pip's settings name.

    pip looks for the best version across all its indexes; uv only does when told to.

    >>> uv_options({"index-url": "https://n/simple", "extra-index-url": "https://a https://b", "no-index": "true"})[0]
    ['--index-strategy', 'unsafe-best-match', '--index-url', 'https://n/simple', '--extra-index-url', 'https://a', '--extra-index-url', 'https://b', '--no-index']
    """
    options = ["--index-strategy", os.environ.get("UV_INDEX_STRATEGY", "unsafe-best-match")]
    flags = {"index-url": "--index-url", "extra-index-url": "--extra-index-url",
             "find-links": "--find-links", "constraint": "--constraint",
             "trusted-host": "--allow-insecure-host"}
    for option, flag in flags.items():
        for value in pip.get(option, "").split():
            options += [flag, value]
    if pip.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        options.append("--no-index")
    extra = {}
    if pip.get("cert"):
        extra["SSL_CERT_FILE"] = pip["cert"]
    if pip.get("client-cert"):
        extra["SSL_CLIENT_CERT"] = pip["client-cert"]
    timeout = pip.get("timeout") or pip.get("default-timeout")
    if timeout:
        extra["UV_HTTP_TIMEOUT"] = timeout
    return options, extra
