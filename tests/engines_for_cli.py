"""An engine with options no built-in engine has (a float and a bool), for the command line tests."""

import numpy as np

from interactive_seg.engines import Engine, Option, Result


class PatientEngine(Engine):
    name = "patient"
    options = (
        Option("patience", float, 1.0, "How long to wait before giving up, in seconds."),
        Option("verbose", bool, False, "Say what it does."),
    )

    def __init__(self, patience: float = 1.0, verbose: bool = False):
        self.patience, self.verbose = patience, verbose

    def set_image(self, image) -> None:
        self.shape = np.asarray(image).shape[:2]

    def segment(self, prompts) -> Result:
        return Result(mask=np.ones(self.shape, bool))
