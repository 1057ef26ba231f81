"""The built-site check of docs/check_site.py catches what a reader offline would see go wrong."""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "docs" / "check_site.py"
_spec = importlib.util.spec_from_file_location("check_site", _PATH)
check_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_site)

SKLEARN = check_site.SITES["sklearn"]
LINKS = "".join(f'<a href="{SKLEARN}modules/generated/x{i}.html">x</a>' for i in range(check_site.MIN_LINKS))
CARD = '<div class="sphx-glr-thumbcontainer" tooltip="seed"><p><a href="plot_seed_single_neuron.html">s</a></p></div>'


def _site(tmp_path, pages):
    for name, body in {"index.html": LINKS, "auto_examples/index.html": CARD, **pages}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><head></head><body>{body}</body></html>", encoding="utf-8")
    return tmp_path


def test_a_clean_site_passes(tmp_path):
    problems, summary = check_site.check(_site(tmp_path, {"page.html": '<span class="math">\\(x\\)</span>'}))
    assert problems == []
    assert f"sklearn {check_site.MIN_LINKS}" in summary


@pytest.mark.parametrize(
    "body, reason",
    [
        ('<script src="https://cdn.example.org/mathjax.js"></script>', "from the network"),
        ('<link rel="stylesheet" href="//cdn.example.org/theme.css">', "from the network"),
        ("<p>\\(x^2\\) left raw</p>", "TeX outside math"),
    ],
    ids=["cdn-script", "cdn-style", "raw-tex"],
)
def test_a_page_that_needs_the_network_or_shows_raw_tex_fails(tmp_path, body, reason):
    problems, _ = check_site.check(_site(tmp_path, {"page.html": body}))
    assert any(reason in problem for problem in problems), problems


def test_tex_in_code_blocks_is_not_math(tmp_path):
    problems, _ = check_site.check(_site(tmp_path, {"page.html": '<pre>re.compile(r"\\(a\\)")</pre>'}))
    assert problems == []


def test_an_example_printing_a_convergence_warning_or_a_machine_path_fails(tmp_path):
    output = f'<div class="sphx-glr-script-out"><pre>{check_site.MACHINE_PATHS[0]}/x.py: ConvergenceWarning</pre></div>'
    problems, _ = check_site.check(_site(tmp_path, {"auto_examples/plot_x.html": output}))
    assert any("ConvergenceWarning" in problem for problem in problems), problems
    assert any("path" in problem for problem in problems), problems


def test_too_few_links_or_another_first_card_fail(tmp_path):
    site = _site(tmp_path, {"index.html": "", "auto_examples/index.html": CARD.replace("seed_single_neuron", "other")})
    problems, _ = check_site.check(site)
    assert any("fewer than" in problem for problem in problems), problems
    assert any("first card" in problem for problem in problems), problems
