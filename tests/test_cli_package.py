"""The command line as a package: engine flags made from each engine's own options, a parser
that imports nothing heavy, and no import circle between its modules."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interactive_seg import cli, write_image
from interactive_seg.engines import engine_class, engine_names

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "dask", "distributed", "matplotlib", "napari", "qtpy", "PyQt6", "vispy")


def _subparser(parser, *path):
    for name in path:
        action = next(a for a in parser._actions if a.dest in ("command", "job"))
        parser = action.choices[name]
    return parser


def _flags(parser) -> dict:
    """{flag: help} of a parser, with argparse's %% as %."""
    return {
        name: (action.help or "").replace("%%", "%") for action in parser._actions for name in action.option_strings
    }


@pytest.mark.parametrize("command", [("segment",), ("batch", "masks"), ("replay",)])
def test_every_option_of_every_engine_is_a_flag_with_the_engines_help(command):
    flags = _flags(_subparser(cli.build_parser(), *command))
    for name in engine_names():
        for option in engine_class(name).options:
            flag = "--" + option.name.replace("_", "-")
            assert flag in flags, f"{' '.join(command)} has no {flag} for the {name} engine"
            assert option.help.rstrip(".") in flags[flag], f"{flag}'s help is not the {name} engine's"
            assert f"{name} (default" in flags[flag] or option.default is None


def test_batch_embed_takes_the_options_of_the_engines_that_embed():
    flags = _flags(_subparser(cli.build_parser(), "batch", "embed"))
    embedding = [name for name in engine_names() if engine_class(name).embeds]
    assert embedding, "no engine embeds"
    for name in engine_names():
        for option in engine_class(name).options:
            flag = "--" + option.name.replace("_", "-")
            if name in embedding:
                assert option.help.rstrip(".") in flags[flag]
            elif not any(option.name in [o.name for o in engine_class(e).options] for e in embedding):
                assert flag not in flags, f"batch embed takes {flag}, an option of {name}, which does not embed"


def test_an_engine_registered_later_gets_its_flags(monkeypatch):
    """A new engine's options become flags of segment without touching the command line."""
    from interactive_seg.engines import _REGISTRY, register_engine

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    monkeypatch.setitem(_REGISTRY, "patient", None)  # removed again afterwards
    register_engine("patient", "engines_for_cli", "PatientEngine")
    flags = _flags(_subparser(cli.build_parser(), "segment"))
    assert "--patience" in flags and "How long to wait before giving up, in seconds." in flags["--patience"]
    assert "--verbose" in flags and "--no-verbose" in flags


def test_the_flags_reach_the_engine(tmp_path):
    """--click-radius is plain_grabcut's: the record of the object says the engine took it."""
    image = np.zeros((60, 80, 3), np.uint8)
    image[15:45, 20:60] = (200, 40, 40)
    write_image(tmp_path / "a.png", image)
    coco = tmp_path / "a.json"
    argv = [
        "segment",
        str(tmp_path / "a.png"),
        "--box",
        "15,10,65,50",
        "--engine",
        "plain_grabcut",
        "--click-radius",
        "7",
        "--iterations",
        "2",
        "--coco",
        str(coco),
        "--category",
        "red",
        "-q",
    ]
    assert cli.main(argv) == 0
    options = json.loads(coco.read_text())["annotations"][0]["interactive_seg"]["engine"]["options"]
    assert options["click_radius"] == 7 and options["iterations"] == 2


def test_a_flag_of_another_engine_is_refused_by_replay(tmp_path, capsys):
    coco = tmp_path / "in.json"
    coco.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    status = cli.main(
        [
            "replay",
            str(coco),
            "--engine",
            "plain_grabcut",
            "--tightness",
            "0.1",
            "--out",
            str(tmp_path / "out.json"),
            "--workers",
            "0",
        ]
    )
    assert status == 2
    assert "has no option --tightness" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()


def test_a_bad_value_says_which_flag(tmp_path, capsys):
    write_image(tmp_path / "a.png", np.zeros((20, 20, 3), np.uint8))
    argv = [
        "segment",
        str(tmp_path / "a.png"),
        "--box",
        "2,2,18,18",
        "--scribble-prior",
        "random",
        "--out",
        str(tmp_path / "o"),
    ]
    assert cli.main(argv) == 2
    assert "scribble_prior must be one of geodesic, none" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _run(code: str, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-c", code, *args], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["segment", "--help"],
        ["batch", "masks", "--help"],
        ["batch", "embed", "--help"],
        ["replay", "--help"],
        ["review", "--help"],
        ["gui", "--help"],
        ["models", "--help"],
    ],
)
def test_help_imports_nothing_heavy(argv):
    code = (
        "import sys\n"
        "from interactive_seg.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = _run(code, *argv)
    assert result.returncode == 0, result.stderr
    assert "usage: interactive-seg" in result.stdout
    assert "HEAVY []" in result.stdout, result.stdout[-500:]


def test_the_engine_flags_are_there_without_torch():
    """SAM's options are listed (and its flags made) on an install without torch or transformers."""
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'transformers', 'torchvision', 'segment_anything'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from interactive_seg.engines import engine_class\n"
        "print('SAM', [o.name for o in engine_class('sam', installed=False).options])\n"
        "from interactive_seg.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = _run(code, "segment", "--help")
    assert result.returncode == 0, result.stderr
    assert "SAM ['model_type', 'device', 'checkpoint']" in result.stdout
    assert "--model-type" in result.stdout and "--device" in result.stdout


def test_python_dash_m_runs_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "interactive_seg.cli", "check", "--help"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "usage: interactive-seg check" in result.stdout


def test_an_import_circle_in_the_command_line_is_caught(tmp_path):
    """The acyclic contract bites: a helper of cli.common importing a command back is reported."""
    pytest.importorskip("importlinter")
    shutil.copytree(
        ROOT / "interactive_seg", tmp_path / "interactive_seg", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "interactive_seg" / "cli" / "common.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef _circle():\n    from . import segment  # noqa: F401\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = subprocess.run(
        [sys.executable, "-c", code, "--no-cache"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "No import circle among the modules of a package BROKEN" in result.stdout
    assert ".common -> .segment" in result.stdout or ".segment -> .common" in result.stdout


def test_the_cli_reference_lists_every_engine_flag_with_its_help():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## Engine options", 1)[1].split("\n## ", 1)[0]
    from interactive_seg.engines import _REGISTRY

    built_in = [name for name, entry in _REGISTRY.items() if entry[0].startswith("interactive_seg.")]  # not a test's
    assert {"grabcut", "plain_grabcut", "sam"} <= set(built_in)
    for name in built_in:
        for option in engine_class(name).options:
            flag = "--" + option.name.replace("_", "-")
            line = next((row for row in section.splitlines() if row.startswith(f"- `{flag}")), None)
            assert line is not None, f"docs/cli.md's Engine options do not list {flag}"
            assert f"`{name}`" in line and option.help.rstrip(".") in line, (
                f"docs/cli.md's {flag} is not the {name} engine's help"
            )
