"""The layering is a check, not a wish: import-linter's contracts (pyproject's [tool.importlinter]).

Only interactive_seg.plugin imports Qt or napari; the core reaches the plugin only through
the gui command; torch only in the SAM engine; matplotlib only in review or plots modules;
dask only in interactive_seg.batch. And a copy of the package with a broken rule fails,
so the contracts are known to bite.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(cwd: Path, pythonpath: Path = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath) + os.pathsep + env.get("PYTHONPATH", "")
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_layering_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory):
    """A copy of the package in which the core breaks every rule once."""
    root = tmp_path_factory.mktemp("layering")
    shutil.copytree(
        ROOT / "interactive_seg", root / "interactive_seg", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    with open(root / "interactive_seg" / "masks.py", "a", encoding="utf-8") as handle:
        handle.write(
            "\n\ndef _broken():\n"
            "    import napari  # noqa: F401\n"
            "    import torch  # noqa: F401\n"
            "    import matplotlib  # noqa: F401\n"
            "    from .plugin import layers  # noqa: F401\n"
        )
    return lint_imports(root, pythonpath=root)


def test_a_core_module_importing_napari_is_caught(broken_copy):
    assert broken_copy.returncode != 0
    assert "interactive_seg.masks -> napari" in broken_copy.stdout


def test_a_core_module_importing_torch_or_matplotlib_is_caught(broken_copy):
    assert "interactive_seg.masks -> torch" in broken_copy.stdout
    assert "interactive_seg.masks -> matplotlib" in broken_copy.stdout


def test_a_core_module_importing_the_plugin_is_caught(broken_copy):
    assert "interactive_seg.masks -> interactive_seg.plugin.layers" in broken_copy.stdout


def test_collection_needs_no_optional_extra(tmp_path):
    """With only the core installed, doctest collection skips the plugin, SAM, batch and plots modules."""
    blocker = tmp_path / "core_only.py"
    blocker.write_text(
        "import sys, importlib.abc\n"
        "sys.path.insert(0, sys.argv.pop(1))\n"
        "from conftest import OPTIONAL\n"
        "BLOCK = OPTIONAL | {'pytestqt', 'npe2', 'importlinter', 'grimp'}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCK:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import pytest\n"
        "sys.exit(pytest.main(sys.argv[1:]))\n"
    )
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    result = subprocess.run(
        [sys.executable, str(blocker), str(ROOT), "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "error" not in result.stdout.lower().split("short test summary")[-1]
    assert "interactive_seg/model/annotations.py::" in result.stdout  # the core's doctests still run
    assert "interactive_seg/plugin/" not in result.stdout
