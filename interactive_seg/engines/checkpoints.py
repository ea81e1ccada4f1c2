"""Known Segment Anything checkpoints: where they come from, where they are cached, downloading them.

Downloads go to the user cache folder (``platformdirs``; ``INTERACTIVE_SEG_CACHE_DIR``
overrides it), into ``<name>.part`` first: an interrupted download resumes from there
(HTTP Range) or restarts cleanly, and only a file whose SHA-256 matches the official
checksum is renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import InputError

__all__ = ["MODELS", "ModelInfo", "cache_dir", "models_dir", "find_checkpoint", "download", "sha256_of", "progress_bar"]

ENV_CACHE = "INTERACTIVE_SEG_CACHE_DIR"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    file_name: str
    url: str
    sha256: str
    size: int  # bytes, as published
    note: str


#: The official checkpoints (SHA-256 of the published files).
MODELS = {
    "vit_h": ModelInfo(
        "vit_h", "sam_vit_h_4b8939.pth", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
        "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e", 2564550879, "SAM ViT-H, best masks, GPU",
    ),
    "vit_l": ModelInfo(
        "vit_l", "sam_vit_l_0b3195.pth", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
        "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622", 1249524607, "SAM ViT-L",
    ),
    "vit_b": ModelInfo(
        "vit_b", "sam_vit_b_01ec64.pth", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
        "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912", 375042383, "SAM ViT-B, smallest official SAM",
    ),
    "vit_t": ModelInfo(
        "vit_t", "mobile_sam.pt", "https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt",
        "6dbb90523a35330fedd7f1d3dfc66f995213d81b29a5ca8108dbcdd4e37d6c2f", 40728226, "MobileSAM (TinyViT), recommended on CPU",
    ),
}


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


def model_info(name: str) -> ModelInfo:
    if name not in MODELS:
        raise InputError(f"Unknown model {name!r}; known models: {', '.join(MODELS)}.")
    return MODELS[name]


def find_checkpoint(model_type: str, cache=None) -> Path:
    """The downloaded checkpoint of ``model_type`` in the cache, or an InputError saying how to get it."""
    info = model_info(model_type)
    path = models_dir(cache) / info.file_name
    if not path.is_file():
        raise InputError(
            f"No checkpoint for {model_type} in {path.parent}; download it with "
            f"`interactive-seg models download {model_type}` or pass checkpoint=PATH."
        )
    return path


def sha256_of(path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def progress_bar(done: int, total: Optional[int], name: str) -> None:
    if total:
        width = 30
        filled = int(width * done / total)
        text = f"\r{name} [{'#' * filled}{'.' * (width - filled)}] {done / 1e6:.1f}/{total / 1e6:.1f} MB"
    else:
        text = f"\r{name} {done / 1e6:.1f} MB"
    print(text, end="", file=sys.stderr, flush=True)


def download(
    name: str,
    *,
    cache=None,
    info: Optional[ModelInfo] = None,
    progress: Optional[Callable[[int, Optional[int], str], None]] = progress_bar,
    timeout: float = 60.0,
    chunk: int = 1 << 20,
) -> Path:
    """Download a checkpoint into the cache and verify it; returns its path.

    Resumes a partial download (``<file>.part``) with an HTTP Range request; when the
    server ignores the range, starts over. A file whose SHA-256 does not match is deleted
    and reported as an :class:`InputError`; nothing is left at the final path unless it
    is verified.
    """
    info = info or model_info(name)
    folder = models_dir(cache)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the cache folder {folder} ({exc.strerror or exc}); set {ENV_CACHE}.") from exc
    target = folder / info.file_name
    if target.is_file() and sha256_of(target) == info.sha256:
        return target
    part = folder / (info.file_name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(info.url, headers={"User-Agent": "interactive-seg"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part is already whole (or longer): verify it below
            response = None
        else:
            raise InputError(f"Downloading {info.url} failed: HTTP {exc.code} {exc.reason}. Try again later.") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"Cannot reach {info.url} ({getattr(exc, 'reason', exc)}); check the network and try again.") from exc
    if response is not None:
        with response:
            resumed = have and response.status == 206
            if not resumed:
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            done = have
            try:
                with open(part, "ab" if resumed else "wb") as handle:
                    while True:
                        block = response.read(chunk)
                        if not block:
                            break
                        handle.write(block)
                        done += len(block)
                        if progress:
                            progress(done, total, info.file_name)
            except OSError as exc:
                raise InputError(
                    f"The download of {info.name} stopped ({exc}); run the same command again to resume it."
                ) from exc
            if progress:
                print(file=sys.stderr)
            if total is not None and done < total:
                raise InputError(f"The download of {info.name} ended early ({done} of {total} bytes); run it again to resume.")
    digest = sha256_of(part)
    if digest != info.sha256:
        part.unlink(missing_ok=True)
        raise InputError(
            f"The downloaded {info.file_name} is corrupted (SHA-256 {digest[:12]}..., expected {info.sha256[:12]}...); "
            "it was deleted. Run the download again."
        )
    os.replace(part, target)
    return target
