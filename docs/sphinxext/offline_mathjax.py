"""Formulas typeset by a MathJax that the built site carries itself.

Sphinx's ``mathjax`` extension loads MathJax from a CDN by default, so a page
read offline (from disk, on an air-gapped machine, in CI) shows raw TeX. The
``docs`` extra installs ``django-static-mathjax`` from PyPI, which holds
MathJax 3.2.2 as its authors publish it (Apache-2.0). This extension copies
one of its files, ``tex-svg-full.js``, into the HTML build's ``_static``
folder, with MathJax's licence, and points ``mathjax_path`` at it. That file
holds the TeX input with every extension and the SVG output with its fonts:
a page typesets its formulas without fetching anything else.
"""

import shutil
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from sphinx.errors import ExtensionError

DISTRIBUTION = "django-static-mathjax"
SOURCE = "mathjax/static/mathjax"  # MathJax's own tree inside the distribution
FILES = {"es5/tex-svg-full.js": "tex-svg-full.js", "LICENSE": "LICENSE"}
TARGET = "mathjax"  # under the build's _static/


def _source_dir():
    try:
        root = Path(distribution(DISTRIBUTION).locate_file(SOURCE))
    except PackageNotFoundError:
        root = None
    if root is None or not all((root / name).is_file() for name in FILES):
        raise ExtensionError(f'MathJax not found: install the docs extra (pip install -e ".[docs]"), {DISTRIBUTION}')
    return root


def _use_local_mathjax(app, config):
    config.mathjax_path = f"{TARGET}/{FILES['es5/tex-svg-full.js']}"


def _copy_mathjax(app):
    if app.builder.format != "html":
        return
    source, target = _source_dir(), Path(app.outdir) / "_static" / TARGET
    target.mkdir(parents=True, exist_ok=True)
    for name, copy in FILES.items():
        shutil.copyfile(source / name, target / copy)


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _use_local_mathjax)
    app.connect("builder-inited", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
