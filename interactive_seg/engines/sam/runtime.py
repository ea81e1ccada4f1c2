"""Where and how the SAM families run: the device, the encoder's precision, CPU threads, and
an encoder run that reports progress and can be stopped.

Shared by every family (one rule each): ``device="auto"`` picks CUDA, then MPS, then the
CPU; ``precision="auto"`` runs the image encoder in bfloat16 autocast on CUDA and in
float32 elsewhere (the prompt path always runs in float32).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterator

import torch

from ...errors import InputError

__all__ = ["encoder_autocast", "resolve_device", "resolve_precision", "steps_of", "use_threads"]

PRECISIONS = ("auto", "fp32", "bf16")


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks cuda, then mps, then cpu; an unavailable explicit device is an InputError."""
    if isinstance(device, torch.device):
        device = str(device)
    name = str(device).strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise InputError(f"{device!r} is not a device name; use auto, cpu, cuda, cuda:N or mps.") from exc
    if dev.type == "cuda" and (not torch.cuda.is_available() or (dev.index or 0) >= torch.cuda.device_count()):
        raise InputError(
            f"The device {device!r} is not available here (no CUDA GPU found); use device='cpu' or 'auto'."
        )
    if dev.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise InputError(f"The device {device!r} is not available here (no Apple GPU); use device='cpu' or 'auto'.")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise InputError(f"The device {device!r} is not supported; use auto, cpu, cuda or mps.")
    return dev


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The encoder's autocast dtype: bfloat16 for ``"bf16"`` (and ``"auto"`` on CUDA), None for float32."""
    name = str(precision).strip().lower()
    if name not in PRECISIONS:
        raise InputError(f"{precision!r} is not a precision; use auto (bf16 on CUDA, else fp32), fp32 or bf16.")
    if name == "bf16" or (name == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


def encoder_autocast(device: torch.device, dtype: torch.dtype | None):
    """A context that runs the image encoder in ``dtype`` (autocast), or does nothing for float32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def use_threads(device: torch.device, threads: int | None) -> None:
    """On a CPU, let torch use ``threads`` (default: every core this process may use)."""
    if device.type != "cpu":
        return
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(int(threads) if threads else available)


class _Stopped(Exception):
    """Raised inside the encoder when the caller stopped listening."""


def steps_of(run: Callable[[], object], modules: list) -> Iterator:
    """Run ``run()`` (a model call) in a thread, yielding the fraction done after each of
    ``modules`` (forward hooks), then ``run``'s result as the last item.

    Closing the generator early stops the model at its next module (nothing is returned).
    Used for encoders that are one call (transformers models), so their progress shows
    and a cancel takes effect within one block.
    """
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    total = len(modules) + 1

    def hook(*_):
        if stop.is_set():
            raise _Stopped
        events.put("step")

    handles = [m.register_forward_hook(hook) for m in modules]
    outcome: dict = {}

    def work():
        try:
            outcome["value"] = run()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc
        finally:
            events.put("done")

    thread = threading.Thread(target=work, name="sam-encoder", daemon=True)
    try:
        thread.start()
        done = 0
        while events.get() != "done":
            done += 1
            yield min(done, total - 1) / total
    finally:
        stop.set()
        thread.join()
        for handle in handles:
            handle.remove()
    if "error" in outcome:
        raise outcome["error"]
    yield outcome["value"]
