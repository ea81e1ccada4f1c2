"""Sample images for File > Open Sample (the photographs in the repository's sample_images/)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_image

SAMPLES = {
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
}


def sample_path(key: str) -> Path:
    """Where a sample image lies: sample_images/ beside the package (a source checkout)."""
    path = Path(__file__).resolve().parents[2] / "sample_images" / SAMPLES[key]
    if not path.is_file():
        raise InputError(
            f"The sample image {SAMPLES[key]} is not here ({path}); install interactive-seg from a source checkout (pip install -e .)."
        )
    return path


def _sample(key: str):
    return [(read_image(sample_path(key)), {"name": key, "rgb": True})]


def coffee():
    return _sample("coffee")


def chelsea():
    return _sample("chelsea")


def astronaut():
    return _sample("astronaut")


def rocket():
    return _sample("rocket")
