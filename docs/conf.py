"""Sphinx configuration of the sknn_neuron documentation.

Build with ``docs/build.sh`` (``sphinx-build -W -b html docs docs/_build/html``).
"""

import ast
import importlib
import re
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util.nodes import make_refnode

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document the checkout, installed or not; sphinxext/ holds the site's own
# extensions and inventories/ the intersphinx inventories with their script.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "sphinxext"))
sys.path.insert(0, str(DOCS / "inventories"))

import refresh
import sknn_neuron

# -- Project -----------------------------------------------------------------
project = "sknn_neuron"
author = "The sknn_neuron developers"
copyright = "the sknn_neuron developers"
version = release = sknn_neuron.__version__

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "offline_mathjax",
    "executed_code",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "sphinxext", "Thumbs.db", ".DS_Store"]
default_role = "literal"
pygments_style = "sphinx"
# Every cross-reference must resolve: a name that renders as plain code is a
# link that went missing (add it to the inventories with inventories/refresh.py).
nitpicky = True

# Links to other projects' documentation resolve from the inventories in
# docs/inventories/, never from the network (the build runs offline).
intersphinx_mapping = {name: (site, str(DOCS / "inventories" / f"{name}.inv")) for name, site in refresh.SITES.items()}

autosummary_generate = True
# autosummary writes a page per object listed in api.rst into gen_modules/;
# drop the previous build's pages so that a removed entry leaves no orphan.
for _stub in (DOCS / "gen_modules").glob("*.rst"):
    _stub.unlink()
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = True
numpydoc_class_members_toctree = False  # methods are documented on the class page
numpydoc_attributes_as_param_list = True

# Methods and properties inherited from scikit-learn (score, get_params, set_fit_request...)
# cite labels and glossary terms of scikit-learn's documentation: link them
# there, since this site does not define them.
SKLEARN_DOCS = "https://scikit-learn.org/stable/"
SKLEARN_LABELS = {
    "r2_score": "modules/model_evaluation.html#r2-score",
    "metadata_routing": "metadata_routing.html",
}
_REF = re.compile(r":ref:`([^`<]+?)\s*<([^`>]+)>`")
_TERM = re.compile(r":term:`([^`<]+?)(?:\s*<([^`>]+)>)?`")


def _sklearn_ref(match):
    text, label = match.groups()
    return f"`{text} <{SKLEARN_DOCS}{SKLEARN_LABELS[label]}>`__" if label in SKLEARN_LABELS else text


def _sklearn_term(match):
    text, term = match.group(1), match.group(2) or match.group(1)
    anchor = re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")
    return f"`{text} <{SKLEARN_DOCS}glossary.html#term-{anchor}>`__"


def _link_sklearn_docs(app, what, name, obj, options, lines):
    obj = getattr(obj, "fget", obj)  # a property (the searches' n_features_in_): its getter's module
    if (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        lines[:] = [_TERM.sub(_sklearn_term, _REF.sub(_sklearn_ref, line)) for line in lines]


def _link_page_by_name(app, env, node, contnode):
    """Resolve ``:ref:`name``` to the page ``name`` when no label ``name`` exists."""
    if node.get("reftype") != "ref" or node.get("refdomain") != "std":
        return None
    target = node["reftarget"]
    docname = next((doc for doc in env.all_docs if doc.rsplit("/", 1)[-1] == target), None)
    if docname is None:
        return None
    title = contnode.astext() if node.get("refexplicit") else env.titles[docname].astext()
    return make_refnode(app.builder, node["refdoc"], docname, None, nodes.inline(title, title), title)


def setup(app):
    app.connect("autodoc-process-docstring", _link_sklearn_docs, priority=400)
    app.connect("missing-reference", _link_page_by_name)


# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_neuron {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
# Top-level pages without sub-pages have nothing to show in the left sidebar.
html_sidebars = {page: [] for page in ("index", "getting_started", "why_this_neuron", "benchmarks", "api", "design")}
# "On this page" lists methods as "fit()", not "NeuronRegressor.fit()", which
# the narrow sidebar cuts off.
toc_object_entries_show_parents = "hide"
html_show_sourcelink = False


# -- Gallery -----------------------------------------------------------------
EXAMPLES = ROOT / "examples"
PROJECT_PACKAGE = "sknn_neuron"


def _import_statements(tree):
    """Import statements of a module, except those guarded by a ``try``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, ast.Try):
            yield from _import_statements(node)


def _is_importable(node):
    """Whether an import statement would succeed here."""
    try:
        if isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
        else:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if alias.name != "*" and not hasattr(module, alias.name):
                    importlib.import_module(f"{node.module}.{alias.name}")
    except ImportError:
        return False
    return True


def _missing_optional_imports(path):
    """Third-party imports of an example that this environment lacks.

    The project's own imports never count as optional: if one fails, the
    example runs and the build fails, as it should.
    """
    missing = []
    for node in _import_statements(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.level or not node.module):
            continue
        modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
        if any(name.split(".")[0] == PROJECT_PACKAGE for name in modules):
            continue
        if not _is_importable(node):
            missing.append(ast.unparse(node))
    return missing


def _execution_pattern(examples_dir):
    """``filename_pattern`` running every ``plot_*.py`` whose imports are installed.

    An example that needs a missing optional package (dask, say) is still
    rendered in the gallery, with its code, but not executed.
    """
    skipped = {}
    for path in sorted(examples_dir.glob("**/plot_*.py")):
        missing = _missing_optional_imports(path)
        if missing:
            skipped[path.name] = missing
    for name, missing in skipped.items():
        print(f"[sknn_neuron docs] {name} is shown but not run: {'; '.join(missing)} fails here")
    pattern = r"/plot_"
    if skipped:
        pattern += "(?!(?:" + "|".join(re.escape(name[len("plot_") :]) for name in skipped) + ")$)"
    return pattern


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": _execution_pattern(EXAMPLES),
    "ignore_pattern": r"__init__\.py|/_",
    "abort_on_example_error": True,
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sknn_neuron",),
    "within_subsection_order": "gallery_order.TeachingOrder",
    # The execution-times page loads DataTables from a CDN; each example page
    # still shows its own running time.
    "write_computation_times": False,
    "reset_modules": ("matplotlib", "gallery_execution.example_timeout"),
    "reset_modules_order": "both",
    "min_reported_time": 1,
}
