"""_venv: pip's configuration translated into uv's options, and the pip fallback when the
lock brings no uv.

The translation is pure, so it is tested in-process; the wiring (which command runs, with
which options and environment) with ``run`` recorded; the fallback once for real, making
a virtual environment with venv and installing a small wheel with pip (slow).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import _venv

STRATEGY = ["--index-strategy", "unsafe-best-match"]


@pytest.fixture(autouse=True)
def default_strategy(monkeypatch):
    monkeypatch.delenv("UV_INDEX_STRATEGY", raising=False)


# --- pip config list, parsed -------------------------------------------------------------

def test_each_option_keeps_its_value_without_the_quotes():
    listed = ("global.index-url='https://nexus.example/repository/pypi-all/simple'\n"
              "global.timeout='60'\n"
              "install.no-index='true'\n")
    assert _venv.parse_pip_config(listed) == {
        "index-url": "https://nexus.example/repository/pypi-all/simple", "timeout": "60", "no-index": "true"}


@pytest.mark.parametrize("order", [("global", "install", ":env:"), (":env:", "install", "global"),
                                   ("install", ":env:", "global")])
def test_the_environment_beats_install_which_beats_global_in_any_order(order):
    values = {"global": "https://g/simple", "install": "https://i/simple", ":env:": "https://e/simple"}
    listed = "\n".join(f"{section}.index-url='{values[section]}'" for section in order)
    assert _venv.parse_pip_config(listed) == {"index-url": "https://e/simple"}
    without_env = "\n".join(f"{s}.index-url='{values[s]}'" for s in order if s != ":env:")
    assert _venv.parse_pip_config(without_env) == {"index-url": "https://i/simple"}


def test_of_two_values_in_one_section_the_later_wins():
    listed = "global.index-url='https://first/simple'\nglobal.index-url='https://second/simple'"
    assert _venv.parse_pip_config(listed) == {"index-url": "https://second/simple"}


@pytest.mark.parametrize("line", [
    "download.index-url='https://other-command/simple'",  # another command's section
    "user.index-url='https://not-a-section/simple'",
    "index-url='https://no-section/simple'",
    "global.index-url",                                   # no value at all
    "global.index-url=https://unquoted/simple",           # not a Python literal
    "global.index-url='unterminated",
    "",
])
def test_lines_that_do_not_configure_pip_install_are_ignored(line):
    assert _venv.parse_pip_config(f"{line}\nglobal.timeout='30'") == {"timeout": "30"}


def test_a_value_holding_an_equals_sign_is_kept_whole():
    listed = "global.index-url='https://nexus.example/simple?a=b'"
    assert _venv.parse_pip_config(listed) == {"index-url": "https://nexus.example/simple?a=b"}


def test_a_multi_line_value_keeps_its_lines():
    listed = "global.extra-index-url='https://a/simple\\nhttps://b/simple'"
    assert _venv.parse_pip_config(listed) == {"extra-index-url": "https://a/simple\nhttps://b/simple"}


def test_pip_config_reads_pips_own_answer():
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
           "PIP_NO_INDEX": "1"}
    for name in [k for k in env if k.startswith("PIP_") and k not in ("PIP_CONFIG_FILE", "PIP_INDEX_URL",
                                                                      "PIP_NO_INDEX")]:
        del env[name]
    # No configuration file is read: only the variables (pip lists PIP_CONFIG_FILE too).
    assert _venv.pip_config(env) == {"config-file": os.devnull, "index-url": "http://127.0.0.1:9/simple",
                                     "no-index": "1"}


# --- ... translated into uv's options ------------------------------------------------------

def test_nothing_configured_is_only_pips_index_strategy():
    assert _venv.uv_options({}) == (STRATEGY, {})


def test_uv_looks_for_the_best_version_across_indexes_like_pip_unless_told_otherwise(monkeypatch):
    assert _venv.uv_options({})[0] == ["--index-strategy", "unsafe-best-match"]
    monkeypatch.setenv("UV_INDEX_STRATEGY", "first-index")
    assert _venv.uv_options({})[0] == ["--index-strategy", "first-index"]


@pytest.mark.parametrize("option, flag", [
    ("index-url", "--index-url"),
    ("extra-index-url", "--extra-index-url"),
    ("find-links", "--find-links"),
    ("constraint", "--constraint"),
    ("trusted-host", "--allow-insecure-host"),
])
def test_each_package_source_becomes_its_uv_flag_once_per_value(option, flag):
    assert _venv.uv_options({option: "one"}) == ([*STRATEGY, flag, "one"], {})
    assert _venv.uv_options({option: "one two\nthree"}) == (
        [*STRATEGY, flag, "one", flag, "two", flag, "three"], {})


def test_sources_keep_pips_order_index_first():
    options, _ = _venv.uv_options({"trusted-host": "h", "constraint": "c.txt", "find-links": "/w",
                                   "extra-index-url": "https://x/simple", "index-url": "https://n/simple"})
    assert options == [*STRATEGY, "--index-url", "https://n/simple", "--extra-index-url", "https://x/simple",
                       "--find-links", "/w", "--constraint", "c.txt", "--allow-insecure-host", "h"]


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on"])
def test_no_index_when_pip_says_yes(value):
    assert _venv.uv_options({"no-index": value})[0] == [*STRATEGY, "--no-index"]


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_no_index_stays_off_when_pip_says_no(value):
    assert _venv.uv_options({"no-index": value})[0] == STRATEGY


def test_certificates_and_the_timeout_become_uvs_environment():
    _, extra = _venv.uv_options({"cert": "/etc/ca.pem", "client-cert": "/etc/me.pem", "timeout": "90"})
    assert extra == {"SSL_CERT_FILE": "/etc/ca.pem", "SSL_CLIENT_CERT": "/etc/me.pem", "UV_HTTP_TIMEOUT": "90"}


def test_the_timeout_may_be_called_default_timeout_and_timeout_wins():
    assert _venv.uv_options({"default-timeout": "180"})[1] == {"UV_HTTP_TIMEOUT": "180"}
    assert _venv.uv_options({"default-timeout": "180", "timeout": "15"})[1] == {"UV_HTTP_TIMEOUT": "15"}


def test_empty_values_set_nothing():
    assert _venv.uv_options({"cert": "", "client-cert": "", "timeout": "", "index-url": ""}) == (STRATEGY, {})


# --- Which command runs: uv with those options, or pip ------------------------------------

class Recorder:
    """Stands in for _venv.run: records each command and its environment."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, argv, *, env=None, **_kwargs):
        self.calls.append(([str(a) for a in argv], dict(env or {})))
        return subprocess.CompletedProcess(argv, 0, "", "")


@pytest.fixture
def recorded(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(_venv, "run", recorder)
    monkeypatch.setenv("NEXUS_PASSWORD", "hunter2")
    monkeypatch.setenv("TWINE_PASSWORD", "hunter3")
    monkeypatch.setenv("SSL_CERT_FILE", "/already/set.pem")
    return recorder


PIP = {"index-url": "https://n/simple", "constraint": "/etc/c.txt", "cert": "/etc/ca.pem", "timeout": "60"}


def test_with_uv_the_install_carries_pips_sources_and_no_secret(monkeypatch, recorded):
    monkeypatch.setattr(_venv, "find_uv", lambda: "/opt/uv")
    monkeypatch.setattr(_venv, "pip_config", lambda env: dict(PIP))
    _venv.install(Path("/v/bin/python"), ["model.whl"], what="installing")
    [(argv, env)] = recorded.calls
    assert argv == ["/opt/uv", "pip", "install", "--quiet", "--python", "/v/bin/python", *STRATEGY,
                    "--index-url", "https://n/simple", "--constraint", "/etc/c.txt", "model.whl"]
    assert env["UV_HTTP_TIMEOUT"] == "60" and env["SSL_CERT_FILE"] == "/already/set.pem"  # the caller's wins
    assert env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1" and env["PIP_NO_INPUT"] == "1"
    assert not [name for name in env if name.startswith(("NEXUS_", "TWINE_"))]


def test_a_locked_install_is_not_held_to_pips_constraints(monkeypatch, recorded):
    monkeypatch.setattr(_venv, "find_uv", lambda: "/opt/uv")
    monkeypatch.setattr(_venv, "pip_config", lambda env: dict(PIP))
    _venv.install(Path("/v/bin/python"), ["--require-hashes", "-r", "requirements.txt"], what="x", locked=True)
    [(argv, _)] = recorded.calls
    assert "--constraint" not in argv and argv[-3:] == ["--require-hashes", "-r", "requirements.txt"]
    assert "--index-url" in argv


def test_without_uv_pip_installs_with_pips_own_configuration(monkeypatch, recorded):
    monkeypatch.setattr(_venv, "find_uv", lambda: None)
    monkeypatch.setattr(_venv, "pip_config", lambda env: pytest.fail("pip reads its configuration itself"))
    _venv.install(Path("/v/bin/python"), ["model.whl"], what="installing")
    [(argv, env)] = recorded.calls
    assert argv == ["/v/bin/python", "-m", "pip", "install", "--quiet", "model.whl"]
    assert env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"
    assert not [name for name in env if name.startswith(("NEXUS_", "TWINE_"))]


def test_without_uv_venv_makes_the_environment_and_pip_checks_it(monkeypatch, recorded, tmp_path):
    monkeypatch.setattr(_venv, "find_uv", lambda: None)
    python = _venv.fresh(tmp_path, tmp_path / "model.whl", "/usr/bin/python3.12")
    venv = tmp_path / "venv"
    assert python == venv / "bin" / "python"
    assert [argv for argv, _ in recorded.calls] == [
        ["/usr/bin/python3.12", "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", str(tmp_path / "model.whl")],
        [str(python), "-m", "pip", "check"],
    ]


def test_with_uv_uv_makes_the_environment_and_checks_it(monkeypatch, recorded, tmp_path):
    monkeypatch.setattr(_venv, "find_uv", lambda: "/opt/uv")
    monkeypatch.setattr(_venv, "pip_config", lambda env: {})
    python = _venv.fresh(tmp_path, tmp_path / "model.whl", "/usr/bin/python3.12")
    venv = tmp_path / "venv"
    assert [argv for argv, _ in recorded.calls] == [
        ["/opt/uv", "venv", "--quiet", "--python", "/usr/bin/python3.12", str(venv)],
        ["/opt/uv", "pip", "install", "--quiet", "--python", str(python), *STRATEGY, str(tmp_path / "model.whl")],
        ["/opt/uv", "pip", "check", "--quiet", "--python", str(python)],
    ]


# --- The fallback for real ----------------------------------------------------------------

def small_wheel(folder: Path) -> Path:
    """A pure-Python wheel with no dependencies: pip installs it without an index."""
    wheel = folder / "tiny_dep_free-1.0-py3-none-any.whl"
    files = {
        "tiny_dep_free/__init__.py": "ANSWER = 42\n",
        "tiny_dep_free-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tiny-dep-free\nVersion: 1.0\n",
        "tiny_dep_free-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                             "Tag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + "tiny_dep_free-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in {**files, "tiny_dep_free-1.0.dist-info/RECORD": record}.items():
            archive.writestr(name, text)
    return wheel


@pytest.mark.slow
def test_without_uv_a_wheel_is_installed_alone_by_venv_and_pip(monkeypatch, tmp_path):
    monkeypatch.setattr(_venv, "find_uv", lambda: None)
    python = _venv.fresh(tmp_path / "where", small_wheel(tmp_path))
    assert python.is_file() and not (python.parent / "uv").exists()
    done = subprocess.run([python, "-c", "import sys, tiny_dep_free; print(tiny_dep_free.ANSWER, sys.prefix)"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    answer, prefix = done.stdout.split()
    assert answer == "42" and Path(prefix) == tmp_path / "where" / "venv" and prefix != sys.prefix
