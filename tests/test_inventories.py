"""The committed intersphinx inventories, and the rule docs/inventories/refresh.py trims them by."""

import importlib.util
from pathlib import Path

import pytest

_DIR = Path(__file__).resolve().parents[1] / "docs" / "inventories"
_spec = importlib.util.spec_from_file_location("refresh", _DIR / "refresh.py")
refresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh)


@pytest.mark.parametrize("name", list(refresh.SITES))
def test_each_linked_project_has_a_readable_inventory(name):
    project, version, entries = refresh.read_inventory((_DIR / f"{name}.inv").read_bytes())
    assert project and entries
    assert all(entry["type"].startswith("py:") for entry in entries)


def test_an_inventory_survives_a_write_and_a_read(tmp_path):
    entries = [{"name": "jax.jit", "type": "py:function", "priority": "1", "location": "a.html#$", "display": "-"}]
    refresh.write_inventory(tmp_path / "x.inv", "JAX", "0.1", entries)
    assert refresh.read_inventory((tmp_path / "x.inv").read_bytes()) == ("JAX", "0.1", entries)


def test_methods_are_kept_only_when_the_docs_name_them():
    method = {"name": "sklearn.linear_model.Ridge.fit", "type": "py:method"}
    words = {"sklearn", "linear_model", "Ridge"}
    assert not refresh.kept(method, words, whole_api=True)
    assert refresh.kept(method, words | {"fit"}, whole_api=True)
    assert refresh.kept({"name": "sklearn.linear_model.Lasso", "type": "py:class"}, set(), whole_api=True)
    assert not refresh.kept({"name": "pickle.dump", "type": "py:function"}, {"pickle"}, whole_api=False)
    assert not refresh.kept({"name": "glossary", "type": "std:label"}, {"glossary"}, whole_api=True)
