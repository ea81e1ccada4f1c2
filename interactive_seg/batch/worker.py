"""What runs inside a batch worker: thread limits, extra modules, and engines built once per process.

A worker process keeps one engine per engine name and options for its whole life, so a
SAM model is loaded once per worker, not once per task. Tasks that run on several threads
of one worker share that engine through a lock (the local cluster runs one task at a time
per worker). Nothing here imports dask: the same code runs in this process when a batch
is run without a cluster (``workers=0``).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from typing import Optional

from ..engines import get_engine

__all__ = ["configure", "engine", "check_engine", "available_cores", "state", "peak_memory"]

_ENGINES: dict = {}
_GUARD = threading.Lock()
_STATE = {"threads": None, "loads": 0, "preloaded": ()}


def available_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def configure(threads: Optional[int] = None, preload=()) -> int:
    """Limit OpenCV's (and torch's, once loaded) threads and import ``preload`` modules; returns the thread count.

    Called once per worker process when a batch starts (and again with the same values
    for every batch). ``threads`` None leaves the libraries' own defaults.
    """
    for name in preload:
        importlib.import_module(name)
    _STATE["preloaded"] = tuple(preload)
    if threads is not None:
        threads = max(1, int(threads))
        import cv2

        cv2.setNumThreads(threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
    _STATE["threads"] = threads
    return threads or 0


def peak_memory() -> Optional[int]:
    """The most resident memory this process has held so far, in bytes (None where unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def preload_here(modules) -> None:
    """Import ``modules`` in this process; an :class:`InputError` naming the one that is missing."""
    from ..errors import InputError

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise InputError(
                f"Cannot import the preload module {name!r} ({exc}); check its name and that it is on PYTHONPATH."
            ) from None


def tune_malloc() -> bool:
    """Let glibc keep large blocks in the heap again (True when it could be told).

    dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; any such setting switches off
    glibc's adaptive mmap threshold, so every numpy temporary over 128 kB is mapped and
    unmapped afresh (GrabCut ran about 1.5 times slower for it here). This sets the
    thresholds to the values glibc's own adaptation reaches on 64-bit (mmap 32 MB, trim
    64 MB), so memory still goes back to the system once more than 64 MB lies free.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 64 << 20))
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False


def state() -> dict:
    """This process's id, thread setting, engines built and peak memory (for reports and tests)."""
    return {
        "pid": os.getpid(),
        "threads": _STATE["threads"],
        "loads": _STATE["loads"],
        "preloaded": _STATE["preloaded"],
        "peak_memory": peak_memory(),
    }


def engine(name: str, options: dict):
    """The engine ``name`` with ``options`` of this process, built on first use; returns (engine, lock, built_now).

    SAM engines get the worker's thread limit unless ``options`` name one.
    """
    key = (name, json.dumps(options, sort_keys=True, default=str))
    with _GUARD:
        entry = _ENGINES.get(key)
        built = entry is None
        if built:
            opts = dict(options)
            if name == "sam" and _STATE["threads"] and "threads" not in opts:
                opts["threads"] = _STATE["threads"]
            entry = (get_engine(name, **opts), threading.Lock())
            _ENGINES[key] = entry
            _STATE["loads"] += 1
    if _STATE["threads"] and "torch" in sys.modules:
        # an engine built here may have loaded torch after configure(): keep its threads in line
        torch = sys.modules["torch"]
        if torch.get_num_threads() != _STATE["threads"]:
            torch.set_num_threads(_STATE["threads"])
    return entry[0], entry[1], built


def check_engine(name: str, options: dict) -> str:
    """Build (and keep) the engine once, so that a bad option or checkpoint is found before the batch runs."""
    built = engine(name, options)[0]
    return getattr(built, "name", name)
