"""Refresh the intersphinx inventories that the documentation links through.

The build resolves references to other projects (``:class:`~sklearn.pipeline.Pipeline```,
``:func:`jax.jit```, the names in the gallery's code) from the ``*.inv``
files beside this script, never from the network: ``docs/conf.py`` maps each
project's site to its file here. Each file is that project's ``objects.inv``
trimmed to Python objects: every class and function of the project (for
Python's standard library, only those the pages name), and the methods,
attributes and modules that these pages can name: those whose dotted name's
parts (``sklearn``, ``linear_model``, ``LinearRegression``, ``fit``) are all
words of the documentation's sources (``docs/``, ``examples/``, the
package's sources and the README) or of the docstrings of the public API,
those it inherits from scikit-learn included.

Run it, with network, after adding references to objects the inventories
lack (the build then warns "reference target not found"), or to follow new
releases::

    python docs/inventories/refresh.py                      # every project
    python docs/inventories/refresh.py numpy jax            # some of them
    python docs/inventories/refresh.py --source python=/usr/share/doc/python3/html/objects.inv python

``--source NAME=PATH_OR_URL`` reads a project's full inventory from a local
file (a distribution's documentation package, a saved download) instead of
its site.
"""

import argparse
import inspect
import re
import sys
import urllib.request
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's sknn_neuron, for its docstrings

# name: the documentation root that links point to, which serves objects.inv
SITES = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "sklearn": "https://scikit-learn.org/stable/",
    "jax": "https://docs.jax.dev/en/latest/",
    "optax": "https://optax.readthedocs.io/en/latest/",
    "joblib": "https://joblib.readthedocs.io/en/stable/",
    "dask": "https://docs.dask.org/en/stable/",
    "distributed": "https://distributed.dask.org/en/stable/",
    "dask_ml": "https://ml.dask.org/",
}
# Keep every class and function of these projects' inventories; the others
# (Python's standard library: thousands of entries) only what the docs name.
WHOLE_API = {"py:class", "py:function", "py:exception"}
NAMED_ONLY = {"python"}
CORPUS = ["docs/**/*.rst", "docs/**/*.py", "examples/**/*.py", "sknn_neuron/**/*.py", "README.md"]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENTRY = re.compile(r"(?P<name>.+?)\s+(?P<type>\S+:\S+)\s+(?P<priority>-?\d+)\s+(?P<location>\S*)\s+(?P<display>.*)")


def _api_docstrings():
    """Docstrings of the public API, those inherited from scikit-learn included."""
    import sknn_neuron

    for name in sknn_neuron.__all__:
        obj = getattr(sknn_neuron, name)
        yield inspect.getdoc(obj) or ""
        if inspect.isclass(obj):
            yield from (inspect.getdoc(member) or "" for _, member in inspect.getmembers(obj))


def corpus_words(root=ROOT):
    """Every identifier-like word of the documentation's sources and API docstrings."""
    words = set()
    for pattern in CORPUS:
        for path in root.glob(pattern):
            if "_build" not in path.parts:
                words.update(_WORD.findall(path.read_text(encoding="utf-8")))
    for docstring in _api_docstrings():
        words.update(_WORD.findall(docstring))
    return words


def read_inventory(data):
    """``(project, version, entries)`` of an ``objects.inv`` (version 2) given as bytes."""
    lines = data.split(b"\n", 4)
    if len(lines) < 5 or lines[0].strip() != b"# Sphinx inventory version 2":
        raise ValueError(f"not a version 2 Sphinx inventory: {lines[0]!r}")
    project = lines[1].decode().removeprefix("# Project:").strip()
    version = lines[2].decode().removeprefix("# Version:").strip()
    entries = [_ENTRY.fullmatch(line) for line in zlib.decompress(lines[4]).decode().splitlines()]
    return project, version, [entry.groupdict() for entry in entries if entry]


def write_inventory(path, project, version, entries):
    """Write entries (dicts as ``read_inventory`` returns) as an ``objects.inv``."""
    lines = "".join(
        f"{e['name']} {e['type']} {e['priority']} {e['location']} {e['display']}\n"
        for e in sorted(entries, key=lambda e: (e["name"], e["type"]))
    )
    header = (
        f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.write_bytes(header.encode() + zlib.compress(lines.encode(), 9))


def kept(entry, words, whole_api):
    """Whether to keep an inventory entry.

    Python objects only; with ``whole_api``, every class and function, so that
    new pages can name any of them before the next refresh; otherwise, and for
    methods, attributes and modules, those whose name's parts are all in ``words``.
    """
    if not entry["type"].startswith("py:"):
        return False
    return (whole_api and entry["type"] in WHOLE_API) or all(part in words for part in entry["name"].split("."))


def fetch(source):
    """The bytes of a local file or of a URL."""
    if Path(source).exists():
        return Path(source).read_bytes()
    with urllib.request.urlopen(source, timeout=60) as response:
        return response.read()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"refresh only these: {', '.join(SITES)}")
    parser.add_argument("--source", action="append", default=[], metavar="NAME=PATH_OR_URL",
                        help="read NAME's full inventory from a file or URL instead of its site")  # fmt: skip
    args = parser.parse_args(argv)
    sources = {name: root + "objects.inv" for name, root in SITES.items()}
    sources.update(item.split("=", 1) for item in args.source)
    unknown = set(args.names) - set(SITES)
    if unknown:
        parser.error(f"unknown project(s): {', '.join(sorted(unknown))}")
    words = corpus_words()
    for name in args.names or SITES:
        project, version, entries = read_inventory(fetch(sources[name]))
        keep = [entry for entry in entries if kept(entry, words, whole_api=name not in NAMED_ONLY)]
        write_inventory(HERE / f"{name}.inv", project, version, keep)
        print(f"{name}: {project} {version}, {len(keep)} of {len(entries)} entries kept")


if __name__ == "__main__":
    main()
