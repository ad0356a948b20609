"""Verify and load a packaged model: the only module that unpickles anything.

A joblib file runs code as it loads, so no byte of the model file reaches the unpickler
before its sha256 has been checked against the manifest, and the bytes unpickled are the
very bytes that were hashed: the file is read once, so there is no window in which it
could be swapped. The installed scikit-learn must be of the release series the model was
trained with, and the loaded estimator must be the one the manifest describes.
scikit-learn and joblib are imported only here, only when a model is loaded, so that
importing a model package stays cheap.

Hashing a whole gigabyte before unpickling any of it would cost as much again as loading
it, and holding it in memory meanwhile would double the memory. So the manifest of a
large model also records the sha256 of each block of the file (``sha256_blocks``,
written by the train stage beside ``sha256``), and :class:`VerifiedFile` reads the file
in a thread, block by block, from the moment the load starts: while the main thread
imports scikit-learn (about a second), the thread reads and hashes ahead on another core,
so by the time the unpickler asks for bytes most of them are checked. The unpickler only
ever sees blocks whose digest matched, and drops each block once it has copied it out;
an array it fills is only in memory as far as it has been written, so memory peaks at
about one model's size, as a bare ``joblib.load``'s does. Without block digests (a small
model, or a manifest written before them, or one whose ``sha256`` was changed since),
the whole file is one block, checked against ``sha256`` before any of it is unpickled.

With blocks, the unpickler may have run on the first blocks when a later one is found
altered. That is acceptable: every byte it saw is the trained file's own byte at its own
place (a sha256 collision aside), so whatever code ran is the model's own, and what it
made is discarded and the same ``ModelIntegrityError`` raised. The check is against
corruption and against a model file that is not the manifest's, not against whoever can
write the installed package: they could edit the manifest or this code as well. Hashing
while unpickling and checking only at the end would be as fast, but would hand altered
bytes, and whatever code they name, to the unpickler.

Each model is loaded once per process and shared: the cache is keyed by the model
file's resolved path and its sha256, so a retrained model is loaded afresh, and
concurrent first calls wait for one load.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import ModelError, ModelIntegrityError, ModelVersionError

_REINSTALL = "Reinstall the package, or train and build it again with wheelwright."

_cache: dict[tuple[str, str], Any] = {}
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_lock = threading.Lock()


def load_model(model_dir: Path, manifest: Mapping[str, Any]) -> Any:
    """The estimator in `model_dir`, verified against `manifest`, loaded once per process.

    Parameters
    ----------
    model_dir : pathlib.Path
        The folder holding the model file (``manifest["model_file"]``).
    manifest : mapping
        Its manifest, as :func:`._manifest.read_manifest` returned it.

    Returns
    -------
    object
        The fitted estimator, shared by every caller asking for this file and sha256.

    Raises
    ------
    ModelError
        The file is missing or unreadable, or cannot be unpickled here.
    ModelIntegrityError
        Its sha256 is not the manifest's (no altered byte was unpickled), or the estimator in it
        is not the one the manifest describes.
    ModelVersionError
        The installed scikit-learn is of another release series than the recorded one.
    """
    path = model_dir / str(manifest["model_file"])
    key = (str(path.resolve()), str(manifest["sha256"]))
    found = _cache.get(key)
    if found is not None:
        return found
    with _locks_lock:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _load(Path(key[0]), manifest)
    return found


def _load(path: Path, manifest: Mapping[str, Any]) -> Any:
    block_size, digests = checked_blocks(manifest)
    with VerifiedFile(path, str(manifest["sha256"]), block_size, digests) as verified:
        # The file is being read and hashed in another thread meanwhile.
        import sklearn

        check_sklearn_version(str(manifest["versions"]["scikit-learn"]), sklearn.__version__)
        estimator = unpickle(verified, path)
    check_matches_manifest(estimator, manifest, path)
    return estimator


def checked_blocks(manifest: Mapping[str, Any]) -> tuple[int | None, list[str]]:
    """The block size and the sha256 of each block to check the model file by.

    The manifest's ``sha256_blocks`` when it was computed from the file ``sha256``
    describes; otherwise ``(None, [sha256])``: the whole file as one block.
    """
    blocks = manifest.get("sha256_blocks")
    if isinstance(blocks, Mapping) and blocks.get("file_sha256") == manifest["sha256"]:
        return int(blocks["block_size"]), [str(digest) for digest in blocks["sha256"]]
    return None, [str(manifest["sha256"])]


_END = "end"


class VerifiedFile:
    """The model file as a read-only file object that hands out only verified bytes.

    A thread reads the file one block at a time into a buffer of its own and hashes it
    (hashlib releases the GIL); a block whose sha256 is the manifest's is queued for
    :meth:`read`, and the reading stops at the first one that is not. The thread reads
    ahead without waiting for the reader: the time before the first :meth:`read` (the
    import of scikit-learn) is when the hashing is hidden. A block is let go as soon as
    it has been read out, so the blocks held are the ones read ahead, at most the whole
    file when the unpickler is slower than the disk. With ``block_size`` None, the file
    is one block, as large as the file.

    Use it as a context manager; after unpickling, :meth:`verify_rest` checks the bytes
    the unpickler did not ask for, up to the end of the file.

    Raises
    ------
    ModelError
        The file is missing or unreadable.
    ModelIntegrityError
        From :meth:`read` and :meth:`verify_rest`: a block's sha256 is not the
        manifest's, the file is shorter or longer than the blocks, or it is not the file
        the manifest's ``sha256`` describes.
    """

    def __init__(self, path: Path, sha256: str, block_size: int | None, digests: list[str]) -> None:
        import os

        self.path = path
        self.sha256 = sha256
        try:
            self._file = open(path, "rb", buffering=0)
        except FileNotFoundError:
            raise ModelError(f"{path} not found, though its manifest is there. {_REINSTALL}") from None
        except OSError as exc:
            raise ModelError(f"cannot read {path}: {exc.strerror or exc}. {_REINSTALL}") from None
        self._block_size = block_size or max(os.fstat(self._file.fileno()).st_size, 1)
        self._digests = digests
        self._verified: queue.SimpleQueue[Any] = queue.SimpleQueue()  # (buffer, view), then _END or an error
        self._stop = False
        self._buffer: Any = None  # the block being read out: anonymous memory, or a bytearray
        self._view = memoryview(b"")
        self._pos = 0
        self._failure: BaseException | None = None
        self._done = False
        self._thread = threading.Thread(target=self._read_blocks, name="wheelwright-verify", daemon=True)
        self._thread.start()

    # --- The reading thread -------------------------------------------------------------------

    def _read_blocks(self) -> None:
        import hashlib  # here, not at the top: OpenSSL's import is a noticeable part of `import <package>`

        try:
            for expected in self._digests:
                if self._stop:
                    return
                buffer = _new_buffer(self._block_size)
                digest = hashlib.sha256()
                view = memoryview(buffer)[:_read_into(self._file, buffer, digest)]
                if digest.hexdigest() != expected:
                    self._verified.put(_Altered())
                    return
                self._verified.put((buffer, view))
            self._verified.put(_Altered() if _read_into(self._file, bytearray(1), hashlib.sha256()) else _END)
        except BaseException as exc:  # an OSError, usually: handed to the reading side
            self._verified.put(exc)

    # --- The file object joblib reads ---------------------------------------------------------

    def _next_block(self) -> bool:
        """Move to the next verified block; False at the end of the file."""
        if self._done:
            return False
        if self._failure is not None:
            raise self._failure
        self._buffer = None
        item = self._verified.get()
        if item is _END:
            self._done = True
            return False
        if isinstance(item, BaseException):
            self._failure = self._error(item)
            raise self._failure
        self._buffer, self._view = item
        self._pos = 0
        return True

    def _error(self, problem: BaseException) -> BaseException:
        if isinstance(problem, _Altered):
            return ModelIntegrityError(
                f"{self.path} was altered: its sha256 is {_file_sha256(self.path)}, but the manifest "
                f"records {self.sha256}, so it was not loaded. {_REINSTALL}"
            )
        if isinstance(problem, OSError):
            return ModelError(f"cannot read {self.path}: {problem.strerror or problem}. {_REINSTALL}")
        return problem

    def _available(self) -> int:
        left = len(self._view) - self._pos
        return left if left or not self._next_block() else len(self._view)

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` verified bytes (all that are left if negative), fewer only at the end."""
        if size is None or size < 0:
            size = 1 << 62
        if self._available() >= size:  # the usual case: one copy, out of the current block
            self._pos += size
            return bytes(self._view[self._pos - size:self._pos])
        # Across blocks: each piece is copied before its buffer goes back to the reader.
        out = bytearray()
        while size > 0 and self._available():
            piece = self._view[self._pos:self._pos + size]
            out += piece
            self._pos += len(piece)
            size -= len(piece)
        return bytes(out)

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        done = 0
        while done < len(target) and self._available():
            piece = self._view[self._pos:self._pos + len(target) - done]
            target[done:done + len(piece)] = piece
            self._pos += len(piece)
            done += len(piece)
        return done

    def readline(self, size: int | None = -1) -> bytes:
        limit = 1 << 62 if size is None or size < 0 else size
        out = bytearray()
        while limit > 0 and self._available():
            assert self._buffer is not None
            newline = self._buffer.find(b"\n", self._pos, len(self._view))
            end = min(len(self._view) if newline < 0 else newline + 1, self._pos + limit)
            out += self._view[self._pos:end]
            limit -= end - self._pos
            self._pos = end
            if newline >= 0 and end == newline + 1:
                break
        return bytes(out)

    def peek(self, size: int = 0) -> bytes:
        """Some of the next bytes (at most `size`, at least one unless at the end), not consumed."""
        if not self._available():
            return b""
        return bytes(self._view[self._pos:self._pos + max(size, 1)])

    def readable(self) -> bool:
        return True

    # --- The end ------------------------------------------------------------------------------

    def verify_rest(self) -> None:
        """Check the rest of the file, which the unpickler did not ask for, up to its end.

        Raises ModelIntegrityError if any of it is not the manifest's (or ModelError if it
        cannot be read).
        """
        while self._next_block():
            pass

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self._file.close()
        self._buffer, self._view = None, memoryview(b"")
        while not self._verified.empty():  # let go of the blocks read ahead
            self._verified.get()

    def __enter__(self) -> VerifiedFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Altered(Exception):
    """A block's sha256 is not the manifest's, or the file is longer than its blocks."""


def _new_buffer(size: int) -> Any:
    """`size` bytes of fresh memory for a block: private anonymous memory where there is
    ``mmap.MAP_PRIVATE``, else a bytearray.

    A bytearray is zeroed when it is made, with the GIL held: a gigabyte of it would be
    taken from the main thread's import of scikit-learn. Anonymous memory is zeroed by
    the kernel as the read fills it, with the GIL released, and given back to the system
    as soon as the block is let go. It is asked for in huge pages where the kernel has
    them, as numpy asks for its large arrays: the array the unpickler fills then gets the
    huge pages the blocks give back, and filling it takes half the time (1 GB: 0.2 s
    instead of 0.45 s here).
    """
    import mmap

    if not hasattr(mmap, "MAP_PRIVATE"):  # Windows
        return bytearray(size)
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE"):  # Linux
        buffer.madvise(mmap.MADV_HUGEPAGE)
    return buffer


_PIECE = 1 << 24  # read, then hashed, with the GIL released for each: few hand-overs of the GIL


def _read_into(handle: Any, buffer: Any, digest: Any) -> int:
    """Fill `buffer` from `handle` as far as the file goes, hashing it into `digest`; the bytes read.

    In pieces of 16 MiB, each read and then hashed with the GIL released. Smaller pieces
    would stay in the CPU's cache between the read and the hash, but each one takes the
    GIL back twice, and while scikit-learn imports in the main thread every hand-over can
    wait for the interpreter's switch interval.
    """
    view = memoryview(buffer)
    done = 0
    while done < len(view):
        count = handle.readinto(view[done:done + _PIECE])
        if not count:
            break
        digest.update(view[done:done + count])
        done += count
    return done


def _file_sha256(path: Path) -> str:
    """The sha256 of the file as it is now, for the error message."""
    import hashlib

    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return f"unknown ({exc.strerror or exc})"


def release_series(version: str) -> str:
    """The release series of a version: ``"1.9.1"`` gives ``"1.9"``.

    scikit-learn keeps pickles loadable between patch releases of a series only.

    Examples
    --------
    >>> release_series("1.9.1"), release_series("1.10.0rc1")
    ('1.9', '1.10')
    """
    major, _, rest = version.partition(".")
    minor = ""
    for char in rest:
        if not char.isdigit():
            break
        minor += char
    return f"{major}.{minor}"


def check_sklearn_version(recorded: str, installed: str) -> None:
    """Raise :class:`ModelVersionError` unless both versions are of one release series.

    Examples
    --------
    >>> check_sklearn_version("1.9.0", "1.9.2")
    >>> check_sklearn_version("1.8.2", "1.9.1")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ModelVersionError: the model was trained with scikit-learn 1.8.2, but ...
    """
    if release_series(recorded) != release_series(installed):
        raise ModelVersionError(
            f"the model was trained with scikit-learn {recorded}, but scikit-learn {installed} is "
            "installed, and models do not carry across release series. Install "
            f"scikit-learn=={release_series(recorded)}.* (the package's own requirement), or "
            "retrain the model."
        )


def unpickle(verified: VerifiedFile, path: Path) -> Any:
    """Unpickle the verified bytes of `path` with joblib, then check the rest of the file.

    Raises
    ------
    ModelIntegrityError
        Part of the file is not the manifest's: whatever the unpickler made of the
        verified part before is discarded.
    ModelError
        Unpickling failed: usually a library the model needs is missing or of another
        version. The message names the exception.
    """
    import joblib

    try:
        estimator = joblib.load(verified)
    except Exception as exc:  # whatever the pickle's own code raised, or a block's check
        verified.verify_rest()  # a damaged file is reported as such, whatever the unpickler said
        raise ModelError(
            f"cannot load {path}: {type(exc).__name__}: {exc}. The libraries it needs are "
            "listed under versions in the manifest: install those releases (reinstalling "
            "the package does), or retrain the model."
        ) from exc
    verified.verify_rest()
    return estimator


def check_matches_manifest(estimator: Any, manifest: Mapping[str, Any], path: Path) -> None:
    """Raise :class:`ModelIntegrityError` unless `estimator` is the one `manifest` describes.

    Checked: classifier or regressor, the classes in order, the number and names of
    the features, and the methods the manifest lists.
    """
    problem = _mismatch(estimator, manifest)
    if problem:
        raise ModelIntegrityError(
            f"{path} does not hold the model its manifest describes: {problem}. {_REINSTALL}"
        )


def _mismatch(estimator: Any, manifest: Mapping[str, Any]) -> str:
    from sklearn.base import is_classifier, is_regressor

    kind = type(estimator).__name__
    if not callable(getattr(estimator, "predict", None)) or not hasattr(estimator, "get_params"):
        return f"the file holds a {kind}, not a scikit-learn estimator"
    try:
        classifier, regressor = is_classifier(estimator), is_regressor(estimator)
    except Exception as exc:  # an estimator-like object scikit-learn's tags cannot read
        return f"the {kind} in it is not a scikit-learn estimator ({exc})"
    if manifest["task"] == "classification" and not classifier:
        return f"the manifest describes a classifier, the file holds a {kind}"
    if manifest["task"] == "regression" and not regressor:
        return f"the manifest describes a regressor, the file holds a {kind}"
    missing = [method for method in manifest["methods"] if not hasattr(estimator, method)]
    if missing:
        return f"the {kind} in it has no {', '.join(missing)}"
    names = [feature["name"] for feature in manifest["features"]]
    n_features = getattr(estimator, "n_features_in_", len(names))
    if n_features != len(names):
        return f"its {kind} takes {n_features} features, the manifest lists {len(names)}"
    fitted_names = getattr(estimator, "feature_names_in_", None)
    # A first step of the project's own may read columns without recording their names.
    if manifest["input"] == "dataframe" and fitted_names is not None and list(fitted_names) != names:
        return "its features are not the manifest's, in the manifest's order"
    if manifest["input"] == "array" and fitted_names is not None:
        return "it was fitted on a DataFrame, but the manifest says it takes an array"
    if manifest["task"] == "classification":
        classes = getattr(estimator, "classes_", None)
        found = None if classes is None else classes.tolist() if hasattr(classes, "tolist") else list(classes)
        if found != list(manifest["classes"]):
            return f"its classes are {found}, the manifest's {manifest['classes']}"
    return ""
