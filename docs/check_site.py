"""Check the built HTML site for what a reader offline would see go wrong.

Run after ``docs/build.sh`` (``.ci/run`` does)::

    python docs/check_site.py [docs/_build/html]

It builds nothing; it reads every page and fails (exit status 1, with the
reasons) when

- a page loads a script or a style sheet from the network;
- TeX delimiters ``\\(`` or ``\\[`` appear outside math elements (formulas
  that nothing would typeset), code blocks aside;
- fewer than 40 links point into scikit-learn's, JAX's and NumPy's
  documentation (the intersphinx links went missing);
- an example's output shows a ``ConvergenceWarning``, or an example page
  holds an absolute path of the machine that built it;
- the gallery's first card is not the seed example.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "inventories"))
from refresh import SITES  # noqa: E402

MIN_LINKS = 40
LINKED_PROJECTS = ("sklearn", "jax", "numpy")
FIRST_EXAMPLE = "plot_seed_single_neuron"
_NETWORK = re.compile(r"^(https?:)?//", re.IGNORECASE)
_LOADS = {"script": "src", "link": "href"}
_LINK_RELS = {"stylesheet", "preload", "modulepreload"}
_CODE = {"pre", "code", "script", "style", "textarea"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Paths of the build machine that an example's output could leak.
MACHINE_PATHS = sorted({str(DOCS.parent), sys.prefix, sys.base_prefix, str(Path.home())} - {"/"})


class Page(HTMLParser):
    """What one page loads, links to, and shows as text outside code and math."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads, self.links, self.stray_tex, self.output = [], [], [], []
        self.first_card = None  # the tooltip and link of the first gallery card
        self._in_first_card = False
        self._stack = []  # (tag, is_math, is_code, is_output) of the open elements

    def _inside(self, index):
        return any(entry[index] for entry in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        url = attrs.get(_LOADS.get(tag, ""), "")
        rels = set((attrs.get("rel") or "").split())
        if url and _NETWORK.match(url) and (tag == "script" or rels & _LINK_RELS):
            self.loads.append(url)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if "sphx-glr-thumbcontainer" in classes and self.first_card is None:
            self.first_card, self._in_first_card = attrs.get("tooltip") or "", True
        elif tag == "a" and self._in_first_card:
            self.first_card, self._in_first_card = f"{self.first_card} {attrs.get('href')}", False
        if tag not in _VOID:
            is_output = any(c.startswith("sphx-glr-script-out") for c in classes)
            self._stack.append((tag, "math" in classes, tag in _CODE, is_output))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if self._inside(3):
            self.output.append(data)
        if not self._inside(1) and not self._inside(2) and ("\\(" in data or "\\[" in data):
            self.stray_tex.append(data.strip()[:80])


def check(site):
    """The problems found in the built site, and a summary of what was counted."""
    problems, link_counts = [], dict.fromkeys(LINKED_PROJECTS, 0)
    pages = sorted(site.rglob("*.html"))
    if not pages:
        return [f"no HTML pages under {site}: build the docs first"], ""
    for path in pages:
        name = path.relative_to(site).as_posix()
        text = path.read_text(encoding="utf-8")
        page = Page()
        page.feed(text)
        problems += [f"{name}: loads {url} from the network" for url in page.loads]
        problems += [f"{name}: TeX outside math: {snippet!r}" for snippet in page.stray_tex]
        for project in LINKED_PROJECTS:
            link_counts[project] += sum(href.startswith(SITES[project]) for href in page.links)
        if name.startswith("auto_examples/"):
            if "ConvergenceWarning" in "".join(page.output):
                problems.append(f"{name}: an example's output shows a ConvergenceWarning")
            problems += [f"{name}: holds the build machine's path {p}" for p in MACHINE_PATHS if p in text]
        if name == "auto_examples/index.html" and FIRST_EXAMPLE not in (page.first_card or ""):
            problems.append(f"{name}: the first card is not {FIRST_EXAMPLE}: {page.first_card!r}")
    total = sum(link_counts.values())
    if total < MIN_LINKS:
        problems.append(f"{total} links into {', '.join(LINKED_PROJECTS)} documentation, fewer than {MIN_LINKS}")
    summary = f"{len(pages)} pages; links: " + ", ".join(f"{p} {n}" for p, n in link_counts.items()) + f" ({total})"
    return problems, summary


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    problems, summary = check(Path(argv[0]) if argv else DOCS / "_build" / "html")
    print(summary)
    for problem in problems:
        print("FAIL", problem)
    print("site check:", "failed" if problems else "passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
