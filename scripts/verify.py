"""verify: install the published wheel from the repository into a fresh environment and predict.

Waits (bounded) until the repository's index lists the wheel, downloads it from the link
there and checks it is, byte for byte, the wheel that was built; installs it into a new
virtual environment outside the source tree, with its dependencies from pip's own
configuration; then scores it on the hold-out set and requires the metrics its manifest
records.

The environment is made by uv when the lock provides it (about a second from a warm
cache, against some 30 s for ``python -m venv`` and ``pip install``), told where to find
packages by translating pip's configuration; otherwise by venv and pip.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html.parser
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from packaging.utils import canonicalize_name

from _wheelwright import (
    CHUNK, PipelineError, Project, clean_env, evaluate, fail, group, load_project, metric_mismatches,
    notice, run, set_output, sha256_file,
)

STAGE = "verify"
DEFAULT_WAIT = 120.0


class _Links(html.parser.HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.files: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            url = urllib.parse.urljoin(self.page, href.split("#", 1)[0])
            self.files[url.rstrip("/").rsplit("/", 1)[-1]] = url


def listed_files(project_page: str) -> dict[str, str]:
    """The files the simple index page at ``project_page`` links to, name to URL (empty when 404)."""
    try:
        with urllib.request.urlopen(project_page, timeout=10) as answer:
            page = answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return set()
        raise PipelineError(f"{project_page} answered HTTP {exc.code}.",
                            "Check --index-url: it is the repository's /simple/ URL.") from None
    except (urllib.error.URLError, OSError) as exc:
        raise PipelineError(f"Cannot reach {project_page}: {exc}.",
                            "Check --index-url and that the repository is up.") from None
    parser = _Links(project_page)
    parser.feed(page)
    return parser.files


def wait_listed(index_url: str, project: str, filename: str, wait: float) -> tuple[float, str]:
    """Poll the index with backoff until it lists ``filename``; return the seconds waited
    and the file's URL."""
    page = f"{index_url.rstrip('/')}/{canonicalize_name(project)}/"
    start = time.monotonic()
    delay = 0.5
    while filename not in (files := listed_files(page)):
        waited = time.monotonic() - start
        if waited >= wait:
            raise PipelineError(
                f"{page} still does not list {filename} after {wait:.0f} s.",
                "Was it published to a repository this index includes? A group index "
                "may lag its members: raise --wait.",
            )
        time.sleep(min(delay, wait - waited))
        delay = min(delay * 2, 10.0)
    return time.monotonic() - start, files[filename]


def download(url: str, dest: Path) -> str:
    """Save the file at ``url`` as ``dest``; return its sha256, hashed as it arrives."""
    digest = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as answer, open(dest, "wb") as out:
            while chunk := answer.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise PipelineError(f"Downloading {url} answered HTTP {exc.code}.",
                            "The index lists the file but will not serve it: check the repository.") from None
    except (urllib.error.URLError, OSError) as exc:
        raise PipelineError(f"Cannot download {url}: {exc}.",
                            "Check that the repository is up and serves its files.") from None
    return digest.hexdigest()


def install_fresh(url: str, wheel: Path, sha256: str, where: Path) -> Path:
    """Download the wheel from the index, check its bytes, install it into a new venv."""
    env = clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    fetched = where / "downloads" / wheel.name
    if download(url, fetched) != sha256:
        raise PipelineError(
            f"The repository's {wheel.name} is not the wheel this run built (sha256 differs).",
            "The version was published earlier with other content: bump the version.",
        )
    uv = find_uv()
    if uv is None:
        return install_with_pip(fetched, where / "venv", env)
    return install_with_uv(uv, fetched, where / "venv", env)


def find_uv() -> str | None:
    """The uv executable the lock installed next to this interpreter, if any."""
    try:
        from uv import find_uv_bin
        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None


def install_with_pip(fetched: Path, venv: Path, env: dict[str, str]) -> Path:
    run([sys.executable, "-m", "venv", venv], env=env, what="Creating a fresh venv")
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", fetched], env=env, capture=True,
        what=f"Installing {fetched.name} and its dependencies")
    run([python, "-m", "pip", "check"], env=env, capture=True, what="pip check")
    return python


def install_with_uv(uv: str, fetched: Path, venv: Path, env: dict[str, str]) -> Path:
    # In the venv's parent folder, so that no project's uv settings apply.
    cwd = venv.parent
    run([uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=cwd, env=env,
        capture=True, what="Creating a fresh venv (uv venv)")
    python = venv / "bin" / "python"
    options, extra_env = uv_options(pip_config(env))
    env = {**env, **{k: v for k, v in extra_env.items() if k not in env}}
    run([uv, "pip", "install", "--quiet", "--python", python, *options, fetched], cwd=cwd,
        env=env, capture=True, what=f"Installing {fetched.name} and its dependencies (uv)")
    run([uv, "pip", "check", "--quiet", "--python", python], cwd=cwd, env=env, capture=True,
        what="uv pip check")
    return python


#: Where pip's configuration puts an install's options, weakest first: a later one wins.
PIP_SECTIONS = ("global", "install", ":env:")


def pip_config(env: dict[str, str]) -> dict[str, str]:
    """pip's effective settings for ``pip install``, from its files and PIP_* variables."""
    listed = run([sys.executable, "-m", "pip", "config", "list"], env=env, capture=True,
                 what="pip config list").stdout
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


def verify(project: Project, index_url: str, wheel: Path, sha256: str, wait: float) -> dict:
    """Run every check; return the evaluation of the installed wheel."""
    waited, url = wait_listed(index_url, project.name, wheel.name, wait)
    notice(f"{wheel.name} is listed by the index (after {waited:.1f} s)")
    with tempfile.TemporaryDirectory(prefix="wheelwright-verify-") as tmp:
        python = install_fresh(url, wheel, sha256, Path(tmp))
        result = evaluate(python, project, cwd=Path(tmp), env=clean_env())
    if not Path(result["package_file"]).is_relative_to(tmp):
        raise PipelineError(f"The check imported {result['package_file']}, not the installed wheel.")
    mismatches = metric_mismatches(result["metrics"], result["recorded"])
    if mismatches:
        raise PipelineError(
            f"The installed wheel does not reproduce its recorded metrics: {'; '.join(mismatches)}.",
            "A dependency resolved to a release that changes the model's behaviour; pin it.",
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--index-url", required=True,
                        help="the repository's simple index, e.g. https://HOST/repository/pypi-all/simple/")
    parser.add_argument("--wheel", type=Path, required=True, help="the wheel the build stage made")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help=f"seconds to wait for the index to list the wheel (default: {DEFAULT_WAIT:.0f})")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project_dir)
        if not args.wheel.is_file():
            raise PipelineError(f"{args.wheel} does not exist.", "Pass the wheel the build stage made.")
        with group(f"Verify {args.wheel.name} from {args.index_url}"):
            result = verify(project, args.index_url, args.wheel, sha256_file(args.wheel), args.wait)
    except PipelineError as error:
        set_output("verified", "false")
        return fail(STAGE, error)
    metrics = result["metrics"]
    notice(f"installed {args.wheel.name} predicts the {result['rows']} hold-out rows at " +
           ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())) + ", as recorded")
    set_output("verified", "true")
    set_output("metrics", json.dumps(metrics, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
