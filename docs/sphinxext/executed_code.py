"""``.. executed-code::``: Python run while the page is built, shown with its output.

The blocks of one page run in order in one namespace, as a reader would run
them in one session; each block is rendered as highlighted code followed by
what it printed. An exception fails the build, with the block's place in the
page, so a page cannot show output that its code no longer produces.

.. code-block:: rst

   .. executed-code::

      print(1 + 1)
"""

import contextlib
import io
import traceback

from docutils import nodes
from docutils.parsers.rst import Directive

_NAMESPACES = "executed_code_namespace"


class ExecutedCode(Directive):
    """Run the directive's content and show it with what it printed."""

    has_content = True

    def run(self):
        source = "\n".join(self.content)
        env = self.state.document.settings.env
        namespace = env.temp_data.setdefault(_NAMESPACES, {"__name__": "__main__"})
        where = f"{env.docname}.rst, line {self.lineno}"
        printed = io.StringIO()
        try:
            code = compile(source, where, "exec")
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
        except Exception:
            raise self.error(f"executed-code block failed:\n{traceback.format_exc()}") from None
        shown = [nodes.literal_block(source, source, language="python")]
        if printed.getvalue():
            output = printed.getvalue().rstrip("\n")
            shown.append(nodes.literal_block(output, output, language="none", classes=["executed-output"]))
        return shown


def setup(app):
    app.add_directive("executed-code", ExecutedCode)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
