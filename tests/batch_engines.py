"""Imported on batch workers by the batch tests (``--preload batch_engines``).

``slowcut`` is GrabCut that waits ``ISEG_TEST_DELAY`` seconds (default 0.3) per box, so a
test can act while a batch is under way (interrupt it, kill a worker). Its masks are
GrabCut's.
"""

import os
import time

from interactive_seg.engines import register_engine
from interactive_seg.engines.grabcut import GrabCutEngine


class SlowGrabCut(GrabCutEngine):
    name = "slowcut"

    def segment(self, prompts):
        time.sleep(float(os.environ.get("ISEG_TEST_DELAY", "0.3")))
        return super().segment(prompts)


register_engine("slowcut", "batch_engines", "SlowGrabCut", requires=("cv2",))
