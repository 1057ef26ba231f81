"""Run the Python snippets of a documentation page, in order, as a reader would.

A page's snippets share one namespace, top to bottom:

- ``.. code-block:: pycon`` (or ``python``) blocks made of ``>>>`` lines are
  doctests: what they show must be what the code prints (``...`` matches
  anything, whitespace differences are ignored);
- other ``.. code-block:: python`` blocks and ``.. executed-code::`` blocks
  run and must not raise.

An rst comment ``.. snippet-skip: reason`` just before a block leaves it out
(for code that needs a cluster or files a reader supplies).

Usage: ``python tests/_rst_snippets.py PAGE.rst [SETUP_CODE]``, in the folder
the page's files should land in; ``SETUP_CODE`` runs first, in the same
namespace, to provide what the page takes from its context.
"""

import doctest
import re
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

_DIRECTIVE = re.compile(r"^\.\. (?:code-block|code|sourcecode):: (python|pycon)\s*$|^\.\. (executed-code)::\s*$")
_SKIP = re.compile(r"^\.\. snippet-skip: (.+)$")
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


class Snippet(NamedTuple):
    """A block of Python of a page: its first line number, its code, why it is skipped."""

    lineno: int
    code: str
    skip: str | None


def snippets(text):
    """The Python blocks of an rst page, in order."""
    lines = text.splitlines()
    skip = None
    for i, line in enumerate(lines):
        if match := _SKIP.match(line):
            skip = match.group(1)
        elif _DIRECTIVE.match(line):
            body = []
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" ")):
                body.append(lines[j])
                j += 1
            while body and body[0].lstrip().startswith(":"):  # directive options
                body.pop(0)
            yield Snippet(i + 2, textwrap.dedent("\n".join(body)).strip("\n"), skip)
            skip = None
        elif line.strip() and not line.startswith(".. "):
            skip = None


def run_page(path, setup=""):
    """Run the page's snippets; return the failures as readable strings."""
    path = Path(path)
    namespace = {"__name__": "__main__"}
    exec(compile(setup, "<setup>", "exec"), namespace)
    failures = []
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    for snippet in snippets(path.read_text(encoding="utf-8")):
        if snippet.skip:
            continue
        where = f"{path.name}:{snippet.lineno}"
        if snippet.code.startswith(">>>"):
            test = doctest.DocTestParser().get_doctest(snippet.code, namespace, where, str(path), snippet.lineno)
            report = []
            result = runner.run(test, out=report.append, clear_globs=False)
            namespace.update(test.globs)  # a DocTest runs in a copy of the namespace
            if result.failed:
                failures.append("".join(report))
        else:
            try:
                exec(compile(snippet.code, where, "exec"), namespace)
            except Exception as error:
                failures.append(f"{where}: {type(error).__name__}: {error}")
    return failures


if __name__ == "__main__":
    problems = run_page(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
    print("\n".join(problems))
    sys.exit(1 if problems else 0)
