"""A per-example time limit for sphinx-gallery.

sphinx-gallery has no timeout of its own. ``example_timeout`` is listed in
``reset_modules`` with ``reset_modules_order="both"``: before an example it
arms ``SIGALRM``, after it disarms it. An example still running when the alarm
fires raises ``TimeoutError``, which ``abort_on_example_error`` turns into a
failed build instead of a hung one. Set ``SKNN_DOCS_EXAMPLE_TIMEOUT`` (seconds,
``0`` for none) to change the limit. The alarm interrupts Python code; a single
long call into compiled code is interrupted when it returns.
"""

import os
import signal

DEFAULT_TIMEOUT_S = 300


def _timeout_s():
    return int(os.environ.get("SKNN_DOCS_EXAMPLE_TIMEOUT", DEFAULT_TIMEOUT_S))


def _raise_timeout(signum, frame):
    raise TimeoutError(
        f"the example ran longer than {_timeout_s()} s (SKNN_DOCS_EXAMPLE_TIMEOUT); make it cheaper or raise the limit"
    )


def example_timeout(gallery_conf, fname, when):
    """Arm the alarm before an example runs, disarm it after."""
    if not hasattr(signal, "SIGALRM"):  # not on Windows
        return
    if when == "before" and fname is not None and _timeout_s() > 0:
        signal.signal(signal.SIGALRM, _raise_timeout)
        signal.alarm(_timeout_s())
    else:
        signal.alarm(0)
