"""Timing, machine description, Markdown tables and child processes.

Timings on a shared machine are noisy: every number is the best of a few
runs, and every comparison is a ratio of numbers measured in the same run.
"""

import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

RESULT_PREFIX = "BENCHMARK-RESULT "


def wall_times(fn, repeat):
    """Wall time of each of ``repeat`` calls of ``fn()``, in seconds, sorted."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)


def best_of(fn, repeat):
    """Shortest wall time of ``repeat`` calls of ``fn()``, in seconds."""
    return wall_times(fn, repeat)[0]


def median_of(fn, repeat):
    """Median wall time of ``repeat`` calls of ``fn()``, in seconds."""
    times = wall_times(fn, repeat)
    return times[len(times) // 2]


class CallTimer:
    """Context manager that times every call of ``owner.name`` while active.

    Replaces the attribute by a wrapper that waits for the JAX inputs (an
    asynchronous transfer to the device still running), then times the call
    until its results are ready: the seconds are the program's alone. This
    separates the epochs of a fit from what the fit does around them.
    """

    def __init__(self, owner, name):
        self.owner, self.name, self.seconds, self.calls = owner, name, 0.0, 0

    def __enter__(self):
        import jax

        original = self._original = getattr(self.owner, self.name)

        def timed(*args, **kwargs):
            jax.block_until_ready((args, kwargs))  # transfers still running belong to the caller
            start = time.perf_counter()
            result = jax.block_until_ready(original(*args, **kwargs))
            self.seconds += time.perf_counter() - start
            self.calls += 1
            return result

        setattr(self.owner, self.name, timed)
        return self

    def __exit__(self, *exc):
        if isinstance(self.owner, type) or not hasattr(type(self.owner), self.name):
            setattr(self.owner, self.name, self._original)
        else:  # an instance attribute shadowing the class's method
            delattr(self.owner, self.name)
        return False


def quiet(fn):
    """Call ``fn()`` with warnings silenced (convergence warnings of short fits)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def machine_header():
    """One line naming the CPU, core count, JAX backend and library versions."""
    import jax
    import jaxlib
    import numpy
    import optax
    import sklearn

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    devices = ", ".join(f"{d.platform}:{d.device_kind}" for d in jax.devices())
    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores (load average {load}); "
        f"JAX backend {jax.default_backend()} [{devices}]; "
        f"python {platform.python_version()}, jax {jax.__version__}, jaxlib {jaxlib.__version__}, "
        f"optax {optax.__version__}, numpy {numpy.__version__}, scikit-learn {sklearn.__version__}"
    )


def markdown_table(header, rows):
    """A Markdown table: a header row, then one row per list of cells."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"
    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def ms(seconds):
    """Seconds as a short string of milliseconds."""
    if seconds is None:
        return "n/a"
    value = seconds * 1e3
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.3f}"


def ratio(numerator, denominator):
    """``numerator / denominator`` as ``"12.3x"`` (``n/a`` when undefined)."""
    if numerator is None or not denominator:
        return "n/a"
    value = numerator / denominator
    return f"{value:.1f}x" if value >= 1 else f"{value:.2f}x"


def run_child(task, env=None, **kwargs):
    """Run ``run.py --child task`` in a fresh interpreter and return its result.

    The child's compiled programs are not cached on disk
    (``SKNN_NEURON_CACHE_DIR=off``), so that its first fit is cold, unless
    ``env`` (variables added to the child's environment) says otherwise.
    """
    script = Path(__file__).resolve().parent / "run.py"
    command = [sys.executable, str(script), "--child", task, json.dumps(kwargs)]
    env = {**os.environ, "SKNN_NEURON_CACHE_DIR": "off", **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"child {task} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def report_to_parent(result):
    """Print a child's result where :func:`run_child` finds it."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)
