#!/usr/bin/env bash
# Make a virtual environment that runs a newer transformers tree: bench/envs/make_env.sh 4.57 [TARGET]
# (default TARGET: .cache/env-<version>, git-ignored). tfscaffold is installed into it in editable mode, so
# `TARGET/bin/tfscaffold verify <m> --repo <4.57 tree>` and `TARGET/bin/python bench/...` run there.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${1:?usage: bench/envs/make_env.sh VERSION [TARGET]}
PINS=bench/envs/transformers-$VERSION.txt
[ -f "$PINS" ] || { echo "no pins for transformers $VERSION ($PINS)" >&2; exit 2; }
TARGET=${2:-.cache/env-$VERSION}
PY=${PYTHON:-python3.11}
[ -x "$TARGET/bin/python" ] || "$PY" -m venv "$TARGET"
pip() { "$TARGET/bin/python" -m pip --disable-pip-version-check -q "$@"; }
pip install -r "$PINS"
pip install --no-deps tf-keras==2.15.1
pip install -e .
echo "ready: $TARGET"
