"""pin: the lock checks against the real locks (subprocess: exit codes and messages), the
parsing, merging and marker logic in-process, and real pip-compile and pip runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pin

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("requirements/publish", "requirements/stages", "requirements")


@pytest.fixture
def locks(tmp_path: Path) -> Path:
    """A copy of wheelwright's three .in files and their locks, laid out as in the repository."""
    (tmp_path / "requirements").mkdir()
    for layer in LAYERS:
        for suffix in (".in", ".txt"):
            shutil.copy(ROOT / (layer + suffix), tmp_path / (layer + suffix))
    return tmp_path


def check(*in_paths: Path, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(ROOT / "scripts" / "pin.py"), "--check", *extra]
    for in_path in in_paths:
        argv += ["--requirements", str(in_path)]
    return subprocess.run(argv, capture_output=True, text=True)


def check_all(root: Path) -> subprocess.CompletedProcess[str]:
    return check(*(root / (layer + ".in") for layer in LAYERS))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


def block(lock: Path, name: str, marker: str = "") -> str:
    """The entry of ``name`` in a lock, as text: the first whose pin line holds ``marker``."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    return next(e.rstrip("\n") + "\n" for e in entries
                if e.startswith(f"{name}==") and marker in e.splitlines()[0])


def version(lock: Path, name: str) -> str:
    return pin.read_lock(lock).for_python("3.11")[name].version


# --- The committed locks, through the command ----------------------------------------


def test_the_committed_locks_are_current_on_every_supported_python():
    result = check()  # wheelwright's own three
    assert result.returncode == 0, result.stderr
    for lock in ("publish.txt", "stages.txt", "requirements.txt"):
        assert f"{lock} is current with" in result.stdout
    assert result.stdout.count("(Python 3.11, 3.12, 3.13)") == 3


def test_the_layers_are_subsets_that_agree():
    """stages ⊂ dev and publish ⊂ stages, with one version and one hash list per package and Python."""
    publish, stages, dev = (pin.read_lock(ROOT / (layer + ".txt")) for layer in LAYERS)
    for python in dev.pythons:
        for small, big in ((publish, stages), (stages, dev)):
            inner, outer = small.for_python(python), big.for_python(python)
            assert inner.keys() <= outer.keys()
            for name, entry in inner.items():
                assert (entry.version, sorted(entry.hashes)) == (outer[name].version, sorted(outer[name].hashes))
    assert {"twine", "requests"} <= publish.for_python("3.11").keys()
    assert not {"scikit-learn", "pytest", "pypiserver"} & publish.for_python("3.11").keys()
    assert not {"devpi-server", "matplotlib", "zizmor"} & stages.for_python("3.11").keys()


def test_pypiserver_gets_its_cgi_back_on_313_only():
    stages = pin.read_lock(ROOT / "requirements" / "stages.txt")
    assert "legacy-cgi" in stages.for_python("3.13")
    assert "legacy-cgi" not in stages.for_python("3.11") and "legacy-cgi" not in stages.for_python("3.12")


def test_an_added_requirement_is_named(locks):
    edit(locks / "requirements/stages.in", "\nuv\n", "\nuv\nrich-click\n")
    result = check_all(locks)
    assert result.returncode == 1
    assert "stages.in names rich-click, which stages.txt does not pin" in result.stderr
    assert "pin.py" in result.stderr  # the fix


def test_a_removed_requirement_is_named(locks):
    edit(locks / "requirements/publish.in", "\ntwine\n", "\n")
    result = check_all(locks)
    assert result.returncode == 1
    assert "publish.txt pins twine==" in result.stderr and "which no longer names it" in result.stderr


def test_a_removed_requirement_whose_via_spans_several_lines_is_named(locks):
    """joblib is there for stages.in and for scikit-learn: its `# via` takes three lines."""
    assert "    # via\n    #   -r stages.in\n    #   scikit-learn\n" in block(locks / "requirements/stages.txt", "joblib")
    edit(locks / "requirements/stages.in", "\njoblib\n", "\n")
    result = check(locks / "requirements/stages.in")
    assert result.returncode == 1
    assert "stages.txt pins joblib==" in result.stderr and "for stages.in, which no longer names it" in result.stderr


def test_a_changed_specifier_is_named(locks):
    edit(locks / "requirements/stages.in", "\njoblib\n", "\njoblib<1\n")
    result = check_all(locks)
    assert result.returncode == 1
    assert "asks for joblib<1, but stages.txt pins joblib==" in result.stderr


@pytest.mark.parametrize("line", [
    "--index-url https://nexus.example/repository/pypi/simple",
    "--extra-index-url file:///srv/wheels",
    "--find-links /srv/wheels",
    "private-pkg @ https://user:secret@nexus.example/p.whl",
])
def test_a_lock_carrying_an_index_path_or_credential_fails(locks, line):
    lock = locks / "requirements.txt"
    lock.write_text(line + "\n" + lock.read_text())
    result = check_all(locks)
    assert result.returncode == 1
    assert "carries an index, a local path or a credential" in result.stderr


def test_a_pin_without_hashes_fails(locks):
    lock = locks / "requirements/stages.txt"
    entry = block(lock, "joblib")
    edit(lock, entry, entry.split(" \\")[0] + "\n" + entry[entry.index("    # via"):])
    result = check_all(locks)
    assert result.returncode == 1
    assert f"stages.txt pins joblib=={version(lock, 'joblib')} without --hash lines" in result.stderr


@pytest.mark.parametrize("bad", ["sha256:" + "0" * 63, "sha256:" + "g" * 64, "md5:" + "0" * 32])
def test_a_hash_that_is_not_sha256_and_64_hex_digits_fails(locks, bad):
    lock = locks / "requirements/publish.txt"
    entry = block(lock, "twine")
    digest = entry.split("--hash=")[1].split()[0]
    edit(lock, digest, bad)
    result = check_all(locks)
    assert result.returncode == 1
    assert f"twine=={version(lock, 'twine')} has a malformed hash '{bad}'" in result.stderr


def test_a_hash_edited_in_one_layer_fails(locks):
    """Well-formed, but not what the index serves: the layer above still has the real one."""
    lock = locks / "requirements/stages.txt"
    digest = block(lock, "joblib").split("--hash=sha256:")[1][:64]
    edit(lock, digest, digest[:-1] + ("0" if digest[-1] != "0" else "1"))
    result = check_all(locks)
    assert result.returncode == 1
    assert (f"requirements.txt and stages.txt list different hashes for joblib=={version(lock, 'joblib')}: "
            "one of them was edited") in result.stderr


def test_layers_that_disagree_on_a_version_fail(locks):
    lock = locks / "requirements.txt"
    pinned = version(lock, "joblib")
    edit(lock, f"\njoblib=={pinned} ", "\njoblib==0.1 ")
    result = check_all(locks)
    assert result.returncode == 1
    assert f"requirements.txt pins joblib==0.1 but stages.txt pins joblib=={pinned}" in result.stderr


def test_a_requirement_missing_on_one_python_names_that_python(locks):
    lock = locks / "requirements/stages.txt"
    edit(lock, block(lock, "numpy", marker='python_version >= "3.12"'), "")
    result = check(locks / "requirements/stages.in")
    assert result.returncode == 1
    assert "stages.in names numpy, which stages.txt does not pin (on Python 3.12, 3.13)" in result.stderr


def test_a_missing_lock_is_stale(locks):
    (locks / "requirements.txt").unlink()
    result = check(locks / "requirements.in")
    assert result.returncode == 1
    assert "requirements.txt does not exist" in result.stderr


def test_a_missing_in_file_is_named(tmp_path):
    result = check(tmp_path / "requirements.in")
    assert result.returncode == 1
    assert "requirements.in not found" in result.stderr


def test_several_locks_at_once_a_projects_own_included(locks, tmp_path):
    """wheelwright's lock and a model project's, in one run; the project's is plain pip-compile output."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.in").write_text("scikit-learn\njoblib\n")
    (project / "requirements.txt").write_text(
        "#\n# This file is autogenerated by pip-compile with Python 3.11\n#\n"
        + "".join(block(ROOT / "requirements/stages.txt", name, marker) for name, marker in (
            ("joblib", ""), ("numpy", '< "3.12"'), ("scikit-learn", ""), ("scipy", '< "3.12"'),
            ("threadpoolctl", ""))).replace(' ; python_version < "3.12"', ""))
    result = check(locks / "requirements/stages.in", project / "requirements.in")
    assert result.returncode == 0, result.stderr
    assert "stages.txt is current" in result.stdout and "requirements.txt is current" in result.stdout
    (project / "requirements.in").write_text("scikit-learn\njoblib\nrich-click\n")
    result = check(locks / "requirements/stages.in", project / "requirements.in")
    assert result.returncode == 1
    assert "requirements.in names rich-click, which requirements.txt does not pin" in result.stderr
    assert "stages.txt" not in result.stderr


# --- Pure logic, in-process -----------------------------------------------------------

LOCK = """\
#
# This file is autogenerated by scripts/pin.py: pip-compile on each Python below, merged.
# Python versions: 3.11 3.12 3.13
#
joblib==1.6.0 \\
    --hash=sha256:{a} \\
    --hash=sha256:{b}
    # via
    #   -r stages.in
    #   scikit-learn
legacy-cgi==2.6.4 ; python_version >= "3.13" \\
    --hash=sha256:{a}
    # via pypiserver
numpy==2.4.6 ; python_version < "3.12" \\
    --hash=sha256:{a}
    # via -r stages.in
numpy==2.5.5 ; python_version >= "3.12" \\
    --hash=sha256:{b}
    # via -r stages.in
""".format(a="a" * 64, b="b" * 64)


def test_parse_lock_reads_pins_markers_hashes_and_multi_line_via():
    lock = pin.parse_lock(LOCK)
    assert lock.pythons == ("3.11", "3.12", "3.13")
    joblib = lock.pins[0]
    assert (joblib.name, joblib.version, joblib.marker, joblib.line) == ("joblib", "1.6.0", None, 5)
    assert joblib.hashes == ["sha256:" + "a" * 64, "sha256:" + "b" * 64]
    assert joblib.via == {"-r stages.in", "scikit-learn"}
    assert lock.pins[1].marker == 'python_version >= "3.13"' and lock.pins[1].via == {"pypiserver"}
    assert {p: v["numpy"].version for p in lock.pythons for v in [lock.for_python(p)]} == \
        {"3.11": "2.4.6", "3.12": "2.5.5", "3.13": "2.5.5"}
    assert "legacy-cgi" in lock.for_python("3.13") and "legacy-cgi" not in lock.for_python("3.12")


def test_parse_lock_takes_the_python_from_pip_compiles_own_header():
    assert pin.parse_lock("# This file is autogenerated by pip-compile with Python 3.12\n").pythons == ("3.12",)
    assert pin.parse_lock("six==1.0\n").pythons == ()


def test_a_via_list_ends_at_the_next_non_comment_line():
    lock = pin.parse_lock("a==1 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via\n    #   -r x.in\n"
                          "    # some other comment\n    #   not-a-source\nb==2\n")
    assert lock.pins[0].via == {"-r x.in"}


def write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text)
    return folder / name


def test_stale_reasons_name_a_removed_requirement_whose_via_spans_lines(tmp_path):
    write(tmp_path, "stages.txt", LOCK)
    in_path = write(tmp_path, "stages.in", "numpy\n")
    reasons = pin.stale_reasons(in_path, tmp_path / "stages.txt")
    assert reasons == ["stages.txt pins joblib==1.6.0 for stages.in, which no longer names it"]
    in_path.write_text("numpy\njoblib\n")
    assert pin.stale_reasons(in_path, tmp_path / "stages.txt") == []


def test_stale_reasons_name_a_specifier_the_pin_breaks_on_each_python_it_holds(tmp_path):
    # In-process, where mutation testing sees it: check() runs this as a process too.
    write(tmp_path, "stages.txt", LOCK)
    in_path = write(tmp_path, "stages.in", "numpy>=2.5\njoblib\n")
    assert pin.stale_reasons(in_path, tmp_path / "stages.txt") == [
        "stages.in asks for numpy>=2.5, but stages.txt pins numpy==2.4.6 (on Python 3.11)"]
    in_path.write_text("numpy>=2\njoblib<1\n")
    assert pin.stale_reasons(in_path, tmp_path / "stages.txt") == [
        "stages.in asks for joblib<1, but stages.txt pins joblib==1.6.0"]


def test_stale_reasons_name_unhashed_and_malformed_pins_and_an_index(tmp_path):
    lock = LOCK.replace("    --hash=sha256:" + "b" * 64 + "\n    # via -r stages.in", "    # via -r stages.in")
    lock = lock.replace("numpy==2.5.5 ; python_version >= \"3.12\" \\", "numpy==2.5.5 ; python_version >= \"3.12\"")
    lock = lock.replace("sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64,
                        "sha256:" + "a" * 64 + " \\\n    --hash=md5:" + "0" * 32)
    write(tmp_path, "stages.txt", "--index-url https://nexus.example/simple\n" + lock)
    in_path = write(tmp_path, "stages.in", "numpy\njoblib\n")
    assert pin.stale_reasons(in_path, tmp_path / "stages.txt") == [
        "stages.txt:6: joblib==1.6.0 has a malformed hash 'md5:" + "0" * 32 + "' (a hash is sha256: and 64 hex digits)",
        "stages.txt pins numpy==2.5.5 without --hash lines",
        "stages.txt carries an index, a local path or a credential: '--index-url https://nexus.example/simple'",
    ]


def test_stale_reasons_follow_includes_and_constraints(tmp_path):
    write(tmp_path, "publish.in", "joblib\n")
    write(tmp_path, "publish.txt", LOCK.replace("a" * 64, "c" * 64))
    in_path = write(tmp_path, "stages.in", "-c publish.txt\n-r publish.in\nnumpy\n")
    write(tmp_path, "stages.txt", LOCK)
    tree = pin.read_in_tree(in_path)
    assert sorted(tree.requirements) == ["joblib", "numpy"]
    assert tree.constraints == [(tmp_path / "publish.txt").resolve()]
    reasons = pin.stale_reasons(in_path, tmp_path / "stages.txt")
    assert "stages.txt and publish.txt list different hashes for joblib==1.6.0: one of them was edited" in reasons


def test_in_file_parsing_follows_includes_and_ignores_options(tmp_path):
    write(tmp_path, "base.in", "numpy>=2  # arrays\n")
    in_path = write(tmp_path, "requirements.in", "-r base.in\n-c constraints.txt\n--pre\n# note\n\nJoblib\n")
    assert sorted(pin.read_in(in_path)) == ["joblib", "numpy"]


@pytest.mark.parametrize("line", [
    "--index-url https://nexus.example/simple",
    "  --extra-index-url https://nexus.example/simple",
    "--find-links /srv/wheels",
    "-f /srv/wheels",
    "pkg @ file:///srv/pkg.whl",
    "pkg @ https://user:secret@nexus.example/pkg.whl",
])
def test_forbidden_patterns_catch_indexes_paths_and_credentials(line):
    assert pin.FORBIDDEN.search(line)


@pytest.mark.parametrize("line", [
    "six==1.17.0 \\",
    "    --hash=sha256:" + "a" * 64,
    "    # via -r requirements.in",
    "pkg @ https://nexus.example/pkg.whl",
    "# see https://example.org:8080/path",
])
def test_forbidden_patterns_leave_ordinary_lines_alone(line):
    assert not pin.FORBIDDEN.search(line)


@pytest.mark.parametrize(("pythons", "marker"), [
    (["3.11", "3.12", "3.13"], None),
    (["3.11"], 'python_version < "3.12"'),
    (["3.11", "3.12"], 'python_version < "3.13"'),
    (["3.12", "3.13"], 'python_version >= "3.12"'),
    (["3.13"], 'python_version >= "3.13"'),
    (["3.11", "3.13"], 'python_version == "3.11" or python_version == "3.13"'),
])
def test_python_marker_is_true_on_exactly_those_pythons(pythons, marker):
    every = ["3.11", "3.12", "3.13"]
    assert pin.python_marker(pythons, every) == marker
    entry = pin.Pin("x", "1", marker)
    assert [p for p in every if entry.applies_to(p)] == pythons


def test_merge_installs_on_each_python_exactly_what_pip_compile_resolved_there():
    h = {c: f"sha256:{c * 64}" for c in "abcd"}
    runs = {
        "3.11": [pin.Pin("numpy", "2.4.6", hashes=[h["a"]], via={"-r s.in"}),
                 pin.Pin("zipp", "4.1", hashes=[h["b"]], via={"importlib-metadata"}),
                 pin.Pin("six", "1.17", 'python_version < "3.12"', hashes=[h["c"]], via={"-c p.txt", "-r s.in"})],
        "3.12": [pin.Pin("numpy", "2.5.5", hashes=[h["d"]], via={"-r s.in"}),
                 pin.Pin("six", "1.17", hashes=[h["c"]], via={"-r s.in"})],
        "3.13": [pin.Pin("numpy", "2.5.5", hashes=[h["d"]], via={"-r s.in"}),
                 pin.Pin("six", "1.17", 'sys_platform == "linux"', hashes=[h["c"]], via={"-r s.in"})],
    }
    text = pin.merge({p: pin.Lock(Path("x"), pins, (p,), "") for p, pins in runs.items()}, "--flags")
    merged = pin.parse_lock(text)
    assert merged.pythons == ("3.11", "3.12", "3.13")
    for python, pins in runs.items():
        view = merged.for_python(python)
        assert {n: (e.version, e.hashes) for n, e in view.items()} == {p.name: (p.version, p.hashes) for p in pins}
        assert merged.duplicates(python) == []
    assert "\nsix==1.17 ; python_version < \"3.13\" \\\n" in text  # the constraint's marker is dropped
    assert '\nsix==1.17 ; sys_platform == "linux" and python_version >= "3.13" \\\n' in text
    assert "\nnumpy==2.5.5 ; python_version >= \"3.12\" \\\n" in text
    assert "    # via\n    #   -c p.txt\n    #   -r s.in\n" in text
    assert pin.parse_lock(text).text == text and "--flags" in text


def test_closure_follows_via_to_what_a_package_needs():
    lock = pin.parse_lock(LOCK + "scikit-learn==1.8 \\\n    --hash=sha256:" + "c" * 64 + "\n    # via -r stages.in\n"
                          "pypiserver==2.4.2 \\\n    --hash=sha256:" + "c" * 64 + "\n    # via -r stages.in\n")
    assert [p.name for p in pin.closure(lock, {"scikit-learn"}, "3.13")] == ["joblib", "scikit-learn"]
    assert [p.name for p in pin.closure(lock, {"pypiserver"}, "3.13")] == ["legacy-cgi", "pypiserver"]
    assert [p.name for p in pin.closure(lock, {"pypiserver"}, "3.11")] == ["pypiserver"]


def test_layered_order_puts_each_lock_after_the_one_it_is_constrained_by():
    own = [ROOT / "requirements.in", ROOT / "requirements" / "stages.in", ROOT / "requirements" / "publish.in"]
    assert pin.layered_order(own) == [own[2], own[1], own[0]]


# --- Real pip-compile and pip runs ------------------------------------------------------


@pytest.mark.slow
def test_regenerating_writes_a_hash_locked_lock_without_this_machines_index(tmp_path):
    """A real pip-compile run, with whatever index configuration pip has here."""
    (tmp_path / "requirements.in").write_text("six\n")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "pin.py"),
                             "--requirements", "requirements.in"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lock = (tmp_path / "requirements.txt").read_text()
    assert "six==" in lock and "--hash=sha256:" in lock
    assert f"# Python versions: {sys.version_info[0]}.{sys.version_info[1]}\n" in lock
    pins = [line for line in lock.splitlines() if not line.startswith("#")]
    assert not [line for line in pins if "index-url" in line or "find-links" in line or "file:" in line]
    assert str(tmp_path) not in lock
    assert check(tmp_path / "requirements.in").returncode == 0


def test_an_invalid_marker_is_an_error_not_a_traceback():
    with pytest.raises(pin.PipelineError, match="requirements.txt:1: the marker of six is not valid"):
        pin.parse_lock('six==1.0 ; python_version >>> "3" \\\n    --hash=sha256:' + "a" * 64 + "\n")


THIS = f"{sys.version_info[0]}.{sys.version_info[1]}"
OTHER = "3.11" if THIS == "3.13" else "3.13"


@pytest.mark.slow
@pytest.mark.skipif(not pin.find_python(OTHER), reason=f"needs a Python {OTHER}")
def test_regenerating_on_two_pythons_keeps_a_requirement_only_one_of_them_needs(tmp_path):
    """pip-compile on 3.11 alone drops legacy-cgi; merged with a 3.13 run it stays, marked.
    The other Python has no pip-tools of its own: pin makes it one from the stages lock."""
    (tmp_path / "requirements.in").write_text('six\nlegacy-cgi ; python_version >= "3.13"\n')
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "pin.py"), "--requirements", "requirements.in",
                             "--python", sys.executable, "--python", pin.find_python(OTHER)],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lock = pin.read_lock(tmp_path / "requirements.txt")
    assert lock.pythons == tuple(sorted((THIS, OTHER)))
    assert [(p.name, p.marker) for p in lock.pins] == [("legacy-cgi", 'python_version >= "3.13"'), ("six", None)]
    assert check(tmp_path / "requirements.in").returncode == 0


@pytest.mark.slow
def test_verify_hashes_fails_on_a_hash_the_index_does_not_serve(tmp_path):
    """pip fetches the file (from its cache when warm) and compares: the edit shows."""
    (tmp_path / "requirements.in").write_text("idna\n")
    entry = block(ROOT / "requirements.txt", "idna")
    (tmp_path / "requirements.txt").write_text("# Python versions: 3.11 3.12 3.13\n" + entry)
    assert check(tmp_path / "requirements.in", extra=("--verify-hashes",)).returncode == 0
    digests = entry.split("--hash=sha256:")[1:]
    edited = entry
    for digest in digests:
        edited = edited.replace(digest[:64], "0" * 64)
    (tmp_path / "requirements.txt").write_text("# Python versions: 3.11 3.12 3.13\n" + edited)
    assert check(tmp_path / "requirements.in").returncode == 0  # offline, well-formed: nothing to see
    result = check(tmp_path / "requirements.in", extra=("--verify-hashes",))
    assert result.returncode == 1
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
    assert "rather than edit hashes by hand" in result.stderr


def test_a_requirement_with_a_marker_is_wanted_only_where_its_marker_holds(tmp_path):
    in_path = write(tmp_path, "requirements.in", 'six\nlegacy-cgi ; python_version >= "3.13"\n')
    entries = [e for e in LOCK.split("\n") if e]
    legacy = "\n".join(entries[entries.index(next(e for e in entries if e.startswith("legacy-cgi"))):][:3]) + "\n"
    six = "six==1.17.0 \\\n    --hash=sha256:" + "c" * 64 + "\n    # via -r requirements.in\n"
    write(tmp_path, "requirements.txt", "# Python versions: 3.11 3.13\n" + legacy.replace("pypiserver", "-r requirements.in") + six)
    assert pin.stale_reasons(in_path, tmp_path / "requirements.txt") == []
    write(tmp_path, "requirements.txt", "# Python versions: 3.11 3.13\n" + six)
    assert pin.stale_reasons(in_path, tmp_path / "requirements.txt") == [
        'requirements.in names legacy-cgi; python_version >= "3.13", which requirements.txt does not pin '
        "(on Python 3.13)"]


def test_verify_hashes_fetches_a_layer_only_when_no_wider_lock_covers_it(locks):
    publish, stages, dev = (locks / (layer + ".in") for layer in LAYERS)
    assert pin.covered_by(publish, [publish, stages, dev]) == locks / "requirements/stages.txt"
    assert pin.covered_by(stages, [publish, stages, dev]) == locks / "requirements.txt"
    assert pin.covered_by(dev, [publish, stages, dev]) is None
    assert pin.covered_by(stages, [publish, stages]) is None  # the dev lock is not checked this time
    lock = locks / "requirements.txt"
    edit(lock, block(lock, "twine"), "")
    assert pin.covered_by(stages, [publish, stages, dev]) is None


# --- Unit tests of the rules, each asserting a whole result (mutation testing's) -------

H = {c: "sha256:" + c * 64 for c in "abcdef"}


def entry(name: str, version: str, marker: str = "", digests: str = "a", via: str = "-r x.in") -> str:
    head = f"{name}=={version}" + (f" ; {marker}" if marker else "")
    return "\n".join([head + " \\"] + [f"    --hash={H[d]} \\" for d in digests])[:-2] + f"\n    # via {via}\n"


def test_the_marker_environment_is_the_python_asked_for():
    assert pin.environment("3.12") == {"python_version": "3.12", "python_full_version": "3.12.0"}
    assert pin.environment(None) == {}
    assert pin.Pin("x", "1", 'python_full_version >= "3.12.0"').applies_to("3.12")
    assert not pin.Pin("x", "1", 'python_full_version >= "3.12.0"').applies_to("3.11")


def test_an_include_that_cannot_be_read_is_named_with_the_fix(tmp_path):
    in_path = write(tmp_path, "requirements.in", "six\n-r missing.in\n")
    with pytest.raises(pin.PipelineError) as caught:
        pin.read_in(in_path)
    assert (caught.value.message, caught.value.hint) == (
        f"{tmp_path / 'missing.in'} cannot be read: No such file or directory.",
        "Every -r include must name a file beside the one that includes it.")


def test_a_line_that_is_not_a_requirement_is_named_with_its_line_number(tmp_path):
    in_path = write(tmp_path, "requirements.in", "# tools\nsix\nnot a requirement!\n")
    with pytest.raises(pin.PipelineError) as caught:
        pin.read_in(in_path)
    assert caught.value.message.startswith(f"{in_path}:3: 'not a requirement!' is not a requirement: ")
    assert caught.value.message.endswith(".") and caught.value.hint == ""


def test_in_files_take_long_options_extra_spaces_and_comments_holding_a_hash(tmp_path):
    write(tmp_path, "base.in", "numpy>=2  # arrays # the second hash stays in the comment\n")
    write(tmp_path, "more.in", "joblib\n")
    in_path = write(tmp_path, "requirements.in",
                    "--requirement base.in\n-r  more.in\n--constraint lower.txt\n-c  other.txt\n--pre\nSix\n")
    tree = pin.read_in_tree(in_path)
    assert {name: str(req) for name, req in tree.requirements.items()} == {
        "numpy": "numpy>=2", "joblib": "joblib", "six": "Six"}
    assert tree.constraints == [(tmp_path / "lower.txt").resolve(), (tmp_path / "other.txt").resolve()]
    assert tree.files == {(tmp_path / n).resolve() for n in ("requirements.in", "base.in", "more.in")}


def test_an_include_read_twice_is_read_once(tmp_path):
    write(tmp_path, "a.in", "-r b.in\nsix\n")
    write(tmp_path, "b.in", "-r a.in\njoblib\n")
    assert sorted(pin.read_in(tmp_path / "a.in")) == ["joblib", "six"]


def test_an_invalid_marker_in_a_lock_is_named_with_the_fix():
    with pytest.raises(pin.PipelineError) as caught:
        pin.parse_lock('# header\nsix==1.0 ; python_version >>> "3" \\\n    --hash=' + H["a"] + "\n",
                       Path("locks/x.txt"))
    assert caught.value.message.startswith("locks/x.txt:2: the marker of six is not valid: ")
    assert caught.value.hint == "Regenerate the lock; never edit it by hand."


def test_comments_before_the_first_pin_and_after_a_pin_outside_via_are_not_sources():
    lock = pin.parse_lock("#\n# via nothing\n    --hash=" + H["a"] + "\n#   stray\n"
                          "six==1.0 \\\n    --hash=" + H["b"] + "\n    #   not-a-source\n    # via -r x.in\n")
    assert [(p.name, p.hashes, p.via) for p in lock.pins] == [("six", [H["b"]], {"-r x.in"})]


def test_a_lock_is_read_as_utf8(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_bytes(("# Python versions: 3.11\n# ünïcode in a comment\n" + entry("six", "1.0")).encode())
    assert [p.name for p in pin.read_lock(path).pins] == ["six"]


def test_on_names_the_pythons_only_when_not_all_of_them():
    every = ("3.11", "3.12", "3.13")
    assert pin._on(["3.11", "3.13"], every) == " (on Python 3.11, 3.13)"
    assert pin._on(["3.11", "3.12", "3.13"], every) == ""
    assert pin._on([], every) == ""


def three(*entries: str) -> str:
    return "# Python versions: 3.11 3.12 3.13\n" + "".join(entries)


def test_a_pin_listed_twice_on_one_python_is_named_with_that_python(tmp_path):
    write(tmp_path, "x.txt", three(entry("six", "1.0", 'python_version >= "3.12"'),
                                   entry("six", "2.0", 'python_version >= "3.13"'), entry("six", "0.9", "", "b")))
    in_path = write(tmp_path, "x.in", "six\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == ["x.txt pins six more than once (on Python 3.12, 3.13)"]


def test_a_requirement_not_wanted_on_one_python_does_not_hide_the_next(tmp_path):
    write(tmp_path, "x.txt", three(entry("aaa", "1.0", 'python_version >= "3.13"')))
    in_path = write(tmp_path, "x.in", 'aaa ; python_version >= "3.13"\nbbb\n')
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == ["x.in names bbb, which x.txt does not pin"]


def test_a_pinned_pre_release_within_the_specifier_is_current(tmp_path):
    write(tmp_path, "x.txt", three(entry("six", "2.0rc1")))
    in_path = write(tmp_path, "x.in", "six>=1\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == []


def test_a_lock_without_a_pythons_header_says_no_python(tmp_path):
    write(tmp_path, "x.txt", entry("six", "1.0"))
    in_path = write(tmp_path, "x.in", "six\njoblib\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == ["x.in names joblib, which x.txt does not pin"]


def test_every_reason_is_kept_a_missing_pin_and_a_disagreement_alike(tmp_path):
    write(tmp_path, "lower.txt", three(entry("six", "1.0", "", "b")))
    write(tmp_path, "x.txt", three(entry("six", "1.0")))
    in_path = write(tmp_path, "x.in", "-c lower.txt\nsix\njoblib\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == [
        "x.in names joblib, which x.txt does not pin",
        "x.txt and lower.txt list different hashes for six==1.0: one of them was edited"]


def test_a_disagreement_on_some_pythons_is_named_with_them(tmp_path):
    write(tmp_path, "lower.txt", three(entry("numpy", "2.4", 'python_version < "3.12"'),
                                       entry("numpy", "2.5", 'python_version >= "3.12"', "b"), entry("six", "1.0")))
    write(tmp_path, "x.txt", three(entry("numpy", "2.4", 'python_version < "3.12"'),
                                   entry("numpy", "2.6", 'python_version >= "3.12"', "b"), entry("zipp", "1.0")))
    in_path = write(tmp_path, "x.in", "-c lower.txt\nnumpy\nzipp\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == [
        "x.txt pins numpy==2.6 but lower.txt pins numpy==2.5 (on Python 3.12, 3.13)"]


def test_a_constraint_missing_or_compiled_for_fewer_pythons_is_named(tmp_path):
    write(tmp_path, "x.txt", three(entry("six", "1.0")))
    in_path = write(tmp_path, "x.in", "-c lower.txt\nsix\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == [
        "lower.txt, which x.txt's .in names with -c, does not exist"]
    write(tmp_path, "lower.txt", "# Python versions: 3.11 3.12\n" + entry("six", "1.0"))
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == ["lower.txt is not compiled for Python 3.13 (on Python 3.13)"]


def test_a_pin_left_for_several_removed_includes_names_them_all(tmp_path):
    write(tmp_path, "a.in", "six\n")
    write(tmp_path, "b.in", "six\n")
    in_path = write(tmp_path, "x.in", "-r a.in\n-r b.in\n")
    write(tmp_path, "x.txt", three(entry("six", "1.0", via="-r x.in"),
                                   entry("zipp", "1.0", via="\n    #   -r a.in\n    #   -r b.in")))
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == [
        "x.txt pins zipp==1.0 for a.in, b.in, which no longer names it"]


def test_a_long_malformed_hash_and_a_long_forbidden_line_are_cut_at_80_characters(tmp_path):
    long_hash = "sha256:" + "0" * 100
    url = "--extra-index-url https://nexus.example/repository/" + "p" * 60 + "/simple"
    write(tmp_path, "x.txt", three(url + "\n", "six==1.0 \\\n    --hash=" + long_hash + "\n    # via -r x.in\n"))
    in_path = write(tmp_path, "x.in", "six\n")
    assert pin.stale_reasons(in_path, tmp_path / "x.txt") == [
        f"x.txt:3: six==1.0 has a malformed hash '{long_hash[:80]}' (a hash is sha256: and 64 hex digits)",
        f"x.txt carries an index, a local path or a credential: '{url[:80]}'"]


@pytest.mark.parametrize("own", [True, False])
def test_check_raises_every_reason_and_the_command_that_regenerates(tmp_path, own, monkeypatch):
    in_path = write(tmp_path, "x.in", "six\njoblib\nzipp\n")
    write(tmp_path, "x.txt", three(entry("six", "1.0")))
    if own:
        monkeypatch.setattr(pin, "OWN_LOCKS", (in_path.resolve(),))
    with pytest.raises(pin.PipelineError) as caught:
        pin.check(in_path, tmp_path / "x.txt")
    command = "make lock" if own else f"python scripts/pin.py --requirements {in_path}"
    assert (caught.value.message, caught.value.hint) == (
        f"{tmp_path / 'x.txt'} is stale: x.in names joblib, which x.txt does not pin; "
        "x.in names zipp, which x.txt does not pin.",
        f"Regenerate it with `{command}` (scripts/pin.py) and commit the .in and .txt files.")


def test_check_passes_a_current_lock_and_names_a_missing_one(tmp_path):
    in_path = write(tmp_path, "x.in", "six\n")
    with pytest.raises(pin.PipelineError) as caught:
        pin.check(in_path, tmp_path / "x.txt")
    assert caught.value.message == f"{tmp_path / 'x.txt'} is stale: x.txt does not exist."
    write(tmp_path, "x.txt", three(entry("six", "1.0")))
    assert pin.check(in_path, tmp_path / "x.txt") is None


def test_a_wider_lock_covers_a_layer_only_when_its_in_is_constrained_by_it(tmp_path):
    x = write(tmp_path, "x.in", "six\n")
    write(tmp_path, "x.txt", three(entry("six", "1.0")))
    y = write(tmp_path, "y.in", "six\njoblib\n")  # every pin of x.txt, but no -c x.txt
    write(tmp_path, "y.txt", three(entry("six", "1.0"), entry("joblib", "1.0")))
    assert pin.covered_by(x, [x, y]) is None
    y.write_text("-c x.txt\nsix\njoblib\n")
    assert pin.covered_by(x, [x, y]) == tmp_path / "y.txt"


@pytest.mark.parametrize("marker, own", [
    (None, None), ("", None),
    ('python_version >= "3.12"', None),
    ('python_version == "3.11" or python_version == "3.12"', None),
    ('python_version >= "3.11" and python_version < "3.13"', None),
    ('python_version in "3.11 3.12"', None),
    ('python_version not in "3.10"', None),
    ('python_full_version >= "3.12.0rc1"', None),
    ('python_version >= "3.12" and python_full_version < "3.13.1"', None),
    ('sys_platform == "linux"', 'sys_platform == "linux"'),
    ('sys_platform == "linux" and python_version >= "3.12"', 'sys_platform == "linux" and python_version >= "3.12"'),
    ("platform_machine == 'x86_64'", "platform_machine == 'x86_64'"),
])
def test_own_marker_drops_a_marker_about_the_python_alone(marker, own):
    assert pin._own_marker(marker) == own


def test_a_lock_entry_is_written_as_pip_compile_writes_it():
    two = pin.Pin("six", "1.0", hashes=[H["a"], H["b"]], via={"Zope", "apple", "-r x.in"})
    assert pin.lock_entry_text(two) == (
        f"six==1.0 \\\n    --hash={H['a']} \\\n    --hash={H['b']}\n"
        "    # via\n    #   -r x.in\n    #   apple\n    #   Zope\n")
    one = pin.Pin("six", "1.0", hashes=[H["a"]], via={"-r x.in"})
    assert pin.lock_entry_text(one, 'python_version >= "3.12"') == (
        f'six==1.0 ; python_version >= "3.12" \\\n    --hash={H["a"]}\n    # via -r x.in\n')
    assert pin.lock_entry_text(pin.Pin("six", "1.0", hashes=[H["a"]])) == f"six==1.0 \\\n    --hash={H['a']}\n"


def test_closure_of_a_package_nothing_needs_is_itself_and_via_options_are_no_packages():
    lock = pin.parse_lock(three(entry("a", "1", via="-r x.in"), entry("b", "1", via="a"),
                                entry("c", "1", via="b"), entry("d", "1", via="-r a")))
    assert [p.name for p in pin.closure(lock, {"c"}, "3.12")] == ["c"]
    assert [p.name for p in pin.closure(lock, {"A"}, "3.12")] == ["a", "b", "c"]
    assert pin.closure(lock, {"nothing"}, "3.12") == []


def test_layered_order_refuses_a_circle(tmp_path):
    a = write(tmp_path, "a.in", "-c b.txt\nsix\n")
    b = write(tmp_path, "b.in", "-c a.txt\nsix\n")
    with pytest.raises(pin.PipelineError) as caught:
        pin.layered_order([a, b])
    assert (caught.value.message, caught.value.hint) == (
        "The .in files constrain each other in a circle (-c lines).", "")


def test_layered_order_keeps_the_given_order_among_independent_locks(tmp_path):
    a = write(tmp_path, "a.in", "six\n")
    b = write(tmp_path, "b.in", "-c c.txt\nsix\n")
    c = write(tmp_path, "c.in", "-c elsewhere.txt\nsix\n")
    assert pin.layered_order([a, b, c]) == [a, c, b]
    assert pin.layered_order([c, a]) == [c, a]


def test_a_projects_own_lock_is_found_by_its_folder(locks, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    stages = locks / "requirements/stages.in"
    result = check(stages, extra=("--project-dir", str(project)))  # no requirements.in: wheelwright's only
    assert result.returncode == 0, result.stderr
    assert "stages.txt is current" in result.stdout and "requirements.txt" not in result.stdout
    (project / "requirements.in").write_text("scikit-learn\n")
    result = check(stages, extra=("--project-dir", str(project)))
    assert result.returncode == 1
    assert f"{project / 'requirements.txt'} is stale" in result.stderr and "does not exist" in result.stderr
    result = check(stages, extra=("--project-dir", str(tmp_path / "nowhere")))
    assert result.returncode == 1
    assert f"{tmp_path / 'nowhere'} is not a folder." in result.stderr
    assert "Pass --project-dir with the folder holding the project's pyproject.toml." in result.stderr


def test_closure_keeps_looking_until_nothing_is_added():
    # Alphabetical, as pip-compile writes: a needs b, b needs m, and a comes first, so one pass
    # over the lock finds b only; the next finds a.
    lock = pin.parse_lock(three(entry("a", "1", via="b"), entry("b", "1", via="m"), entry("m", "1", via="-r x.in")))
    assert [p.name for p in pin.closure(lock, {"m"}, "3.12")] == ["a", "b", "m"]


def merged_text(runs: dict[str, list[pin.Pin]]) -> str:
    return pin.merge({p: pin.Lock(Path("x"), pins, (p,), "") for p, pins in runs.items()}, "--generate-hashes")


def test_merge_writes_its_header_and_every_entry_by_name():
    one = [pin.Pin("zipp", "1.0", hashes=[H["a"]], via={"-r x.in"}), pin.Pin("six", "2.0", hashes=[H["b"]]),
           pin.Pin("attrs", "3.0", hashes=[H["c"]])]
    text = merged_text({"3.12": one, "3.11": one})
    assert text.startswith(
        "#\n"
        "# This file is autogenerated by scripts/pin.py: pip-compile on each Python below, merged.\n"
        "# Python versions: 3.11 3.12\n"
        "# A pin that holds on some of them only carries a python_version marker.\n"
        "# pip-compile --generate-hashes\n"
        "# Regenerate with wheelwright's `make lock` (scripts/pin.py); never edit by hand.\n"
        "#\n"
        "attrs==3.0 \\\n")
    assert [(p.name, p.version) for p in pin.parse_lock(text).pins] == [("attrs", "3.0"), ("six", "2.0"), ("zipp", "1.0")]


def test_merge_orders_pythons_as_versions_not_as_text():
    runs = {"3.10": [pin.Pin("six", "2.0", hashes=[H["a"]])], "3.9": [pin.Pin("six", "1.0", hashes=[H["b"]])]}
    text = merged_text(runs)
    assert "# Python versions: 3.9 3.10\n" in text
    assert [(p.version, p.marker) for p in pin.parse_lock(text).pins] == [
        ("1.0", 'python_version < "3.10"'), ("2.0", 'python_version >= "3.10"')]


def test_merge_brackets_a_markers_or_before_adding_the_pythons():
    either = 'sys_platform == "linux" or sys_platform == "darwin"'
    runs = {"3.11": [pin.Pin("uvloop", "0.21", either, hashes=[H["a"]])], "3.12": []}
    text = merged_text(runs)
    assert f'\nuvloop==0.21 ; ({either}) and python_version < "3.12" \\\n' in text
    entry_ = pin.parse_lock(text).pins[0]
    assert entry_.applies_to("3.11") and not entry_.applies_to("3.12")
