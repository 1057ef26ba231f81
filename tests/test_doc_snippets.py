"""The documentation's Python snippets run, and print what the pages show.

Each page runs in a fresh Python process, in a temporary folder, top to
bottom as a reader would run it (see ``_rst_snippets.py``): its compilation
counts and printed values are those of a new session. ``SETUP`` gives the
pages that continue an example begun elsewhere the names they take from it.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from _rst_snippets import snippets

DOCS = Path(__file__).resolve().parents[1] / "docs"
GENERATED = {"_build", "auto_examples", "gen_modules"}

_DATA = """
import numpy as np
from sknn_neuron import NeuronRegressor
rng = np.random.RandomState(0)
X = rng.normal(size=(300, 3))
y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=300)
"""
SETUP = {
    # "for X_chunk, y_chunk in chunks": any iterable of (X, y) pairs
    "user_guide/solvers.rst": _DATA + "chunks = [(X[i : i + 100], y[i : i + 100]) for i in range(0, 300, 100)]\n",
    # the fitted model of the page's first snippets
    "persistence.rst": _DATA + "reg = NeuronRegressor(random_state=0).fit(X, y)\n",
    # the grid search runs on the workers of an in-process Dask client
    "scaling_out.rst": _DATA + "from dask.distributed import Client\nclient = Client(processes=False, dashboard_address=None)\n",
}

# Optional packages a page's snippets import.
NEEDS = {
    "scaling_out.rst": ["distributed"],
    "onnx.rst": ["skl2onnx", "onnxruntime"],
    "persistence.rst": ["skops"],
}


def _pages():
    for path in sorted(DOCS.rglob("*.rst")):
        page = path.relative_to(DOCS)
        if not GENERATED & set(page.parts) and any(not s.skip for s in snippets(path.read_text(encoding="utf-8"))):
            yield page.as_posix()


@pytest.mark.slow
@pytest.mark.parametrize("page", list(_pages()))
def test_page_snippets_run_and_print_what_the_page_shows(page, tmp_path):
    for module in NEEDS.get(page, ()):
        pytest.importorskip(module)
    runner = Path(__file__).with_name("_rst_snippets.py")
    result = subprocess.run(
        [sys.executable, str(runner), str(DOCS / page), SETUP.get(page, "")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
