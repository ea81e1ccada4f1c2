"""GrabCut, made fast and interactive: the ``grabcut`` engine and its stages.

``cv2.grabCut`` on a whole photo is slow and needs many corrections. This engine cuts a
scaled copy of the region the prompts talk about, learns its colour models itself so it
can weight them, holds a box's object in by the tightness prior, lets clicks claim the
pixels near them, and falls back to plain GrabCut's whole-image cut when the fast one
collapses. One module per stage:

- :mod:`.settings`: every setting, in one dataclass;
- :mod:`.engine`: :class:`GrabCutEngine`, one call from prompts to mask;
- :mod:`.region`: the working region, its crop and scale;
- :mod:`.marks`: clicks and strokes on the working grid, GrabCut's labels;
- :mod:`.start`: where a cut starts (fresh, or continuing the same object);
- :mod:`.fit`: GrabCut's iterations and the choice between the weighted and classic fit;
- :mod:`.tightness`: the tightness prior of a box;
- :mod:`.click_prior`: what a click says about the pixels near it, and the boundary band;
- :mod:`.compare`: the whole-image second cut (collapse guard, box at the image's edge);
- :mod:`.memo`: the answers to the last prompts (the same prompts, the same mask);
- :mod:`.colour_models`, :mod:`.graphcut`, :mod:`.seeds`: Gaussian mixtures, the graph
  cut and geodesic distances they are built on.

How it works and the measurements behind each default: ``docs/engines/grabcut.md``.
"""

from .engine import GrabCutEngine
from .settings import GrabCutSettings

__all__ = ["GrabCutEngine", "GrabCutSettings"]
