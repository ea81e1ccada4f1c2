#!/usr/bin/env bash
# Install everything the test suite needs, then run all tests (GUI tests under Xvfb).
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# System libraries for a virtual X server and Mesa OpenGL (napari's canvas needs real GL;
# QT_QPA_PLATFORM=offscreen crashes in vispy).
APT_PACKAGES="xvfb xauth libgl1 libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0
libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0
libxcb-cursor0 libdbus-1-3 libfontconfig1"
missing=""
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# The package with its GUI, SAM, batch, plots and test extras; torch pinned to a pair that imports on CPU.
python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test,gui,sam,batch,plots]"

# opencv-python's bundled Qt breaks napari's: only the headless build may be installed
if python -m pip show -q opencv-python >/dev/null 2>&1; then
  echo "opencv-python is installed beside opencv-python-headless; its Qt breaks napari: pip uninstall opencv-python" >&2
  exit 1
fi

# Lint, format and layering first: a tree that fails them does not land.
ruff check .
ruff format --check .
lint-imports

exec xvfb-run -a -s "-screen 0 1600x1000x24" python -m pytest "$@"
