#!/usr/bin/env bash
# Build the documentation site, warnings as errors, into docs/_build/html.
#
#   pip install -e ".[docs]" && docs/build.sh
#
# Runs the gallery's examples (each under SKNN_DOCS_EXAMPLE_TIMEOUT seconds,
# 300 by default). Pass extra sphinx-build options as arguments, e.g.
# `docs/build.sh -D plot_gallery=0` to skip running the examples, or set
# PYTHON to choose the interpreter. Use `docs/build.sh clean` to remove
# everything the build generates.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "clean" ]]; then
    rm -rf docs/_build docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
    exit 0
fi

PYTHON="${PYTHON:-python}"
# JAX on CPU unless the caller chose otherwise; examples then run the same anywhere.
export JAX_PLATFORMS="${JAX_PLATFORMS:-cpu}"
export MPLBACKEND=Agg
"$PYTHON" -m sphinx -W --keep-going -b html "$@" docs docs/_build/html
echo "docs built: docs/_build/html/index.html"
