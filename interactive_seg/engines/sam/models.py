"""The model catalogue of every SAM family: what each model is, where it comes from, fetching it.

Nothing here imports torch or transformers, so ``interactive-seg models list`` and the
widget's model menu read it instantly. Each family module (:data:`FAMILIES`) lists its
models as :class:`ModelInfo`; adding a family is one module and one line in
:data:`FAMILIES`.

One way of fetching models: a model published on the Hugging Face Hub (SAM 2.1, SAM 3) is
fetched with ``huggingface_hub.snapshot_download`` (progress bar, resume, offline use once
cached, gated repositories); a model published as one file (the SAM 1 checkpoints) with
``pooch.retrieve`` against its official SHA-256. Both land in the package's cache folder
(``$INTERACTIVE_SEG_CACHE_DIR`` or the user cache folder) under ``models/``.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError

__all__ = [
    "FAMILIES",
    "Cancelled",
    "ModelInfo",
    "cache_dir",
    "catalogue",
    "download",
    "family_of_folder",
    "find_checkpoint",
    "is_cached",
    "login_needed",
    "model_info",
    "models_dir",
]

ENV_CACHE = "INTERACTIVE_SEG_CACHE_DIR"

#: The families, one module each (the registry: a new family is one module and one line here).
FAMILIES = (
    "interactive_seg.engines.sam.sam1",
    "interactive_seg.engines.sam.sam2",
    "interactive_seg.engines.sam.sam3",
)

#: The files of a Hugging Face model repository that loading needs (not the original .pt).
HF_FILES = ["*.json", "*.safetensors", "*.txt"]


@dataclass(frozen=True)
class ModelInfo:
    """One model a user can name.

    Attributes
    ----------
    name : str
        What a user types (``model_type``, ``models download NAME``).
    family : str
        The family module that loads it.
    size : int
        Bytes to download, as published (about).
    note : str
        One line for a listing.
    repo : str
        A Hugging Face repository id (fetched with huggingface_hub), or "".
    url, file_name, sha256 : str
        A single published file (fetched with pooch and checked), or "".
    gated : bool
        The repository asks its users to accept a licence and log in.
    """

    name: str
    family: str
    size: int
    note: str
    repo: str = ""
    url: str = ""
    file_name: str = ""
    sha256: str = ""
    gated: bool = False

    @property
    def source(self) -> str:
        return self.url or f"https://huggingface.co/{self.repo}"


def _family(module: str):
    return importlib.import_module(module)


def catalogue() -> dict:
    """Every known model of every family, by name (family order, then each family's order)."""
    out = {}
    for module in FAMILIES:
        for info in _family(module).MODELS:
            out[info.name] = info
    return out


def model_info(name: str) -> ModelInfo:
    known = catalogue()
    if name not in known:
        raise InputError(f"Unknown model {name!r}; known models: {', '.join(known)} (or a model folder).")
    return known[name]


def cache_dir(override=None) -> Path:
    """The cache folder: ``override``, else ``$INTERACTIVE_SEG_CACHE_DIR``, else the user cache dir."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - platformdirs comes with the sam extra
        return Path.home() / ".cache" / "interactive-seg"
    return Path(user_cache_dir("interactive-seg"))


def models_dir(override=None) -> Path:
    return cache_dir(override) / "models"


def _hub_dir(cache=None) -> Path:
    return models_dir(cache) / "huggingface"


def family_of_folder(path) -> str:
    """The family module that loads the model folder ``path`` (read from its config.json).

    Raises
    ------
    InputError
        When the folder is missing, has no readable config.json, or holds a model no
        family loads.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise InputError(
            f"There is no model folder at {str(folder)!r}; check the path, or name a model from `interactive-seg models list`."
        )
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{str(folder)!r} is not a model folder (no readable config.json: {type(exc).__name__}); "
            "pass a folder saved with save_pretrained or downloaded with `interactive-seg models download NAME`."
        ) from exc
    kind = config.get("model_type") if isinstance(config, dict) else None
    for module in FAMILIES:
        if kind in getattr(_family(module), "CONFIG_TYPES", ()):
            return module
    raise InputError(
        f"{str(folder)!r} holds a {kind!r} model, which no SAM family here loads; pass a SAM 2.1 or SAM 3 model folder."
    )


def _hub(name: str):
    try:
        import huggingface_hub
    except ImportError as exc:
        raise InputError(
            f"Fetching {name} needs huggingface_hub ({exc}); run: pip install 'interactive-seg[sam]'"
        ) from exc
    return huggingface_hub


class Cancelled(Exception):
    """A download stopped because its caller set the ``cancel`` event (a Hub download resumes
    where it stopped the next time; a single-file download starts again)."""


def _login_sentence(info: ModelInfo) -> str:
    return (
        f"{info.name} ({info.repo}) is gated: accept its licence at {info.source}, then log in with "
        "`hf auth login` (or set HF_TOKEN) and download it again."
    )


def _token() -> str | None:
    """The Hugging Face token this process would send (HF_TOKEN or `hf auth login`'s), or None."""
    try:
        import huggingface_hub
    except ImportError:
        return None
    try:
        return huggingface_hub.get_token()
    except Exception:  # noqa: BLE001 - an unreadable token file is no token
        return None


def login_needed(name: str, cache=None) -> str | None:
    """The one sentence that says how to log in, when ``name`` is a gated model that is not in
    the cache and no Hugging Face token is set; None otherwise (cached models load offline)."""
    info = model_info(name)
    if not info.gated or is_cached(name, cache) or _token():
        return None
    return _login_sentence(info)


class _Progress:
    """Bytes written so far by a download, handed to ``report(done, total)`` as they arrive,
    and the point where a set ``cancel`` event stops it (raising :class:`Cancelled` inside the
    download's own thread, so its files are left as an interrupted download leaves them)."""

    def __init__(self, report: Callable[[int, int], None] | None, cancel: threading.Event | None, size: int):
        self.report, self.cancel, self.size = report, cancel, int(size)
        self.bars: list = []
        self.lock = threading.Lock()

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            _abort_transfers()
            raise Cancelled("The download was cancelled.")

    def changed(self) -> None:
        self.check()
        if self.report is None:
            return
        with self.lock:  # huggingface_hub's bars of bytes: the bytes written, and (Xet) those received
            byte_bars = [bar for bar in self.bars if bar.unit == "B"]
            done = max((int(bar.n) for bar in byte_bars), default=0)
            total = max((int(bar.total or 0) for bar in byte_bars), default=0) or self.size
        self.report(done, max(total, done))

    def bar_class(self):
        """A class that stands in for tqdm where huggingface_hub draws its progress bars."""
        progress = self

        class Bar:
            def __init__(self, *args, total=None, initial=0, unit="it", desc="", **kwargs):
                self.total, self.n, self.unit, self.desc = total, initial or 0, unit, desc
                self.format_dict = {"rate": None}
                with progress.lock:
                    progress.bars.append(self)

            def update(self, n=1):
                self.n += n or 0
                progress.changed()

            def reset(self, total=None):
                self.n = 0
                if total is not None:
                    self.total = total

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def __iter__(self):
                return iter(())

            def _ignore(self, *args, **kwargs):
                return None

            close = refresh = clear = set_description = set_description_str = set_postfix = set_postfix_str = _ignore

        return Bar


def _abort_transfers() -> None:
    """Stop huggingface_hub's Xet transfers in flight (they run outside Python's threads)."""
    try:
        from huggingface_hub.utils._xet import abort_xet_session
    except ImportError:  # an older or newer huggingface_hub: the next progress report stops it
        return
    try:
        abort_xet_session()
    except Exception:  # noqa: BLE001 - stopping is best effort; Cancelled is raised anyway
        pass


def _snapshot(
    info: ModelInfo, cache=None, local_only: bool = False, progress: bool = True, watch: _Progress | None = None
) -> Path:
    hub = _hub(info.name)
    from huggingface_hub import errors
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    disabled = are_progress_bars_disabled()
    if not progress:
        disable_progress_bars()
    extra = {} if watch is None else {"tqdm_class": watch.bar_class()}
    try:
        folder = hub.snapshot_download(
            info.repo, cache_dir=_hub_dir(cache), allow_patterns=HF_FILES, local_files_only=local_only, **extra
        )
    except Cancelled:
        raise
    except errors.GatedRepoError as exc:
        raise InputError(_login_sentence(info)) from exc
    except errors.RepositoryNotFoundError as exc:
        raise InputError(
            f"The Hub says there is no repository {info.repo} (or it is private); check the name or log in with `hf auth login`."
        ) from exc
    except errors.LocalEntryNotFoundError as exc:
        if local_only:
            raise InputError(
                f"{info.name} is not in the cache ({_hub_dir(cache)}); download it with "
                f"`interactive-seg models download {info.name}`, or pass a model folder."
            ) from exc
        raise InputError(
            f"Cannot reach the Hugging Face Hub for {info.repo}; check the network and try again (a download resumes)."
        ) from exc
    except (errors.HfHubHTTPError, OSError) as exc:
        raise InputError(f"Downloading {info.repo} failed ({exc}); download it again to resume.") from exc
    finally:
        if not progress and not disabled:
            enable_progress_bars()
    return Path(folder)


def find_checkpoint(model_type: str, cache=None) -> Path:
    """The model's weights in the cache (a file for SAM 1, a folder for Hub models), offline;
    an InputError that says how to download it when it is not there."""
    info = model_info(model_type)
    if info.repo:
        return _snapshot(info, cache, local_only=True)
    path = models_dir(cache) / info.file_name
    if not path.is_file():
        raise InputError(
            f"No checkpoint for {model_type} in {path.parent}; download it with "
            f"`interactive-seg models download {model_type}` or pass checkpoint=PATH (--checkpoint PATH on the command line)."
        )
    if info.sha256 and info.size and path.stat().st_size != info.size:  # (the official file's size is known)
        raise InputError(
            f"The checkpoint {str(path)!r} is {path.stat().st_size} bytes, not the official file's {info.size} "
            f"(a download cut short, or another file); download it again with `interactive-seg models download "
            f"{model_type}`, or pass your own weights with checkpoint=PATH (--checkpoint PATH on the command line)."
        )
    return path


def is_cached(model_type: str, cache=None) -> bool:
    """True when the model can be loaded without a download."""
    try:
        find_checkpoint(model_type, cache)
    except InputError:
        return False
    return True


def download(
    name: str,
    *,
    cache=None,
    progress: bool = True,
    info: ModelInfo | None = None,
    report: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch a model into the cache (or check a local model folder) and return its path.

    A Hub model is fetched with huggingface_hub (resumes an interrupted download, uses the
    cache offline, asks for a login on gated models); a single-file checkpoint with pooch,
    checked against its official SHA-256 (a corrupted file is deleted, never kept).

    ``report(done, total)`` is called with the bytes written so far as they arrive (from
    the download's threads; ``progress`` then draws no console bar); setting ``cancel``
    stops the download at its next chunk with :class:`Cancelled`.

    Raises
    ------
    InputError
        An unknown name, a gated model without a login (one sentence on how to log in),
        no network, a corrupted file.
    Cancelled
        ``cancel`` was set.
    """
    if info is None and (os.sep in str(name) or Path(str(name)).is_dir()):
        family_of_folder(name)
        return Path(name).expanduser()
    info = info or model_info(name)
    watch = _Progress(report, cancel, info.size) if (report is not None or cancel is not None) else None
    if info.repo and info.gated and not _token():
        try:
            return _snapshot(info, cache, local_only=True, progress=False)  # in the cache: no login needed
        except InputError:
            raise InputError(_login_sentence(info)) from None
    try:
        if info.repo:
            return _snapshot(info, cache, progress=progress and watch is None, watch=watch)
        return _fetch_file(info, cache, progress, watch)
    except Cancelled:
        raise
    except Exception as exc:
        if cancel is not None and cancel.is_set():  # what stopping a transfer made fail
            raise Cancelled("The download was cancelled.") from exc
        raise


class _PoochBar:
    """pooch's custom progress bar: ``total`` set by pooch, ``update`` per chunk, then
    ``reset``, ``update(total)`` and ``close`` at the end."""

    def __init__(self, watch: _Progress):
        self.watch, self.total, self.n, self.unit = watch, 0, 0, "B"
        watch.bars.append(self)

    def update(self, n):
        # pooch counts whole chunks, the last one too: no more than the file's length
        self.n = min(self.n + n, self.total) if self.total else self.n + n
        self.watch.changed()

    def reset(self):
        self.n = 0

    def close(self):
        pass


def _fetch_file(info: ModelInfo, cache=None, progress: bool = True, watch: _Progress | None = None) -> Path:
    try:
        import pooch
        import requests
    except ImportError as exc:
        raise InputError(f"Fetching {info.name} needs pooch ({exc}); run: pip install 'interactive-seg[sam]'") from exc
    folder = models_dir(cache)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the cache folder {folder} ({exc.strerror or exc}); set {ENV_CACHE}.") from exc
    bar = _PoochBar(watch) if watch is not None else progress
    try:
        path = pooch.retrieve(
            info.url, known_hash=f"sha256:{info.sha256}", fname=info.file_name, path=folder, progressbar=bar
        )
    except ValueError as exc:  # pooch: the SHA-256 does not match (the file is not kept)
        raise InputError(
            f"The downloaded {info.file_name} is corrupted ({exc}); it was deleted. Run the download again."
        ) from exc
    except requests.exceptions.HTTPError as exc:
        raise InputError(f"Downloading {info.url} failed ({exc}). Try again later.") from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        raise InputError(f"Cannot reach {info.url} ({type(exc).__name__}); check the network and try again.") from exc
    return Path(path)
