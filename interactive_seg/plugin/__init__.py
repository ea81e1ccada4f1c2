"""The napari plugin: the only package of interactive_seg that imports napari, Qt or magicgui."""

import sys


def _keep_triton_out() -> None:
    """Stop torch from importing triton inside napari.

    triton's libtriton carries its own LLVM; loaded after an OpenGL context of Mesa's
    llvmpipe (or another LLVM-based driver) exists, the two clash and the process dies
    with a segmentation fault (seen with torch 2.14 under Xvfb). torch only needs triton
    for ``torch.compile`` GPU kernels, which interactive_seg never uses; with the module
    marked missing, torch behaves as a build without triton. Nothing changes when triton
    was imported already (before any OpenGL context, where it is safe).
    """
    if "triton" not in sys.modules:
        sys.modules["triton"] = None  # makes `import triton` raise ImportError


_keep_triton_out()
