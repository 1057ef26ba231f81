"""Count XLA compilations: every program JAX compiles while the counter is on.

JAX logs ``"Finished XLA compilation of jit(NAME) in T sec"`` on the
``jax._src.dispatch`` logger, at WARNING level inside
:func:`jax.log_compiles`. The counter turns that on, listens on the ``jax``
logger (so the messages are counted instead of printed) and keeps the program
names: ``train_epochs`` and ``train_lbfgs`` are the training programs; small
ones (``stage``, ``convert_element_type``, ``dynamic_slice``...) are the eager
operations around them, compiled once per shape and dtype.

Examples
--------
>>> import jax, jax.numpy as jnp
>>> double = jax.jit(lambda x: 2 * x)
>>> with CompilationCounter() as compiled:
...     _ = double(jnp.ones(3)), double(jnp.ones(3))
>>> compiled.count("<lambda>")
1
"""

import logging
import re

import jax

_LOGGER = "jax"
_FINISHED = re.compile(r"Finished XLA compilation of (?:jit|pmap)\((?P<name>.*)\) in (?P<seconds>\S+) sec")
TRAINING_PROGRAMS = ("train_epochs", "train_lbfgs", "search_epochs", "search_lbfgs")


class CompilationCounter(logging.Handler):
    """Context manager recording the XLA compilations made while it is active.

    Attributes
    ----------
    names : list of str
        Name of each compiled program, in order.
    seconds : list of float
        Compile time of each, as JAX reports it.
    """

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.names, self.seconds = [], []
        self._log_compiles = None

    def emit(self, record):
        match = _FINISHED.match(record.getMessage())
        if match:
            self.names.append(match["name"])
            self.seconds.append(float(match["seconds"]))

    def __enter__(self):
        self._log_compiles = jax.log_compiles(True)
        self._log_compiles.__enter__()
        logging.getLogger(_LOGGER).addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger(_LOGGER).removeHandler(self)
        self._log_compiles.__exit__(*exc)
        return False

    @property
    def total(self):
        """Number of compilations of any program."""
        return len(self.names)

    @property
    def training(self):
        """Number of compilations of the training programs."""
        return sum(name in TRAINING_PROGRAMS for name in self.names)

    def count(self, name):
        """Number of compilations of the program called ``name``."""
        return self.names.count(name)

    def summary(self):
        """``"name x count"`` for each program, most compiled first."""
        counts = {}
        for name in self.names:
            counts[name] = counts.get(name, 0) + 1
        return ", ".join(f"{name} x{n}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))
