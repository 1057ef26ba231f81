"""Compiled training programs: ``jax.jit``, their bound, and their executables on disk.

A training program is a function of a static configuration (its first
argument, a hashable ``NamedTuple``) and of traced inputs. :func:`program`
makes one: :func:`jax.jit` with the configuration static, plus two things
JAX's own cache does not do.

- **Executables kept between processes.** With the package's compilation
  cache on (see :mod:`sknn_neuron._compilation_cache`), each compiled
  program is also saved whole, as JAX's serialized executable, and a later
  process (or a joblib worker) loads it instead of tracing, lowering and
  compiling again. (JAX's persistent compilation cache saves only the
  compilation: tracing and lowering the L-BFGS program would still cost
  most of a small first fit. An executable that JAX itself read from that
  cache cannot be serialized whole, so the two are not combined.) An
  executable is looked up by the program's name, its configuration, the
  structure, shapes and dtypes of its inputs, the JAX and jaxlib versions,
  the device and (on a CPU) the processor's features; one that cannot be
  loaded is compiled again.
- **A bound.** A compiled program holds about 300 memory mappings of JIT
  code (each XLA kernel is an object of its own) and a process may have
  65,530: past ``MAX_PROGRAMS`` programs, :func:`release_programs` drops them
  all, and they compile (or load) again on demand.

When the user has set JAX's cache folder, or turned the package's cache off,
a program is plain ``jax.jit``. JAX's configuration is never changed.
"""

import functools
import hashlib
import os
import pickle
import platform
import tempfile
from pathlib import Path

import jax
import jaxlib
from jax.experimental import serialize_executable

from . import _compilation_cache

MAX_PROGRAMS = 64
FORMAT = 1  # of the files: a new one makes every earlier file a miss

_PROGRAMS = []  # every program made by ``program``
_our_cache_dir = None  # the folder of the executables; None: plain jax.jit


class Program:
    """A jitted training program whose executables are also kept on disk.

    Called as ``program(config, *args)``. Without the package's cache it is
    ``jax.jit(fun, static_argnums=0)``; with it, the executable for the
    inputs' signature comes from memory, then from disk, then from a
    compilation that is saved for the next process.
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self._jitted = jax.jit(fun, static_argnums=0)
        self._executables = {}  # signature -> jax.stages.Compiled

    def __call__(self, config, *args):
        if _our_cache_dir is None:
            return self._jitted(config, *args)
        leaves, tree = jax.tree.flatten(args)
        signature = (config, tree, tuple(map(jax.typeof, leaves)), jax.config.jax_enable_x64)
        executable = self._executables.get(signature)
        if executable is None:
            executable = self._executables[signature] = self._load_or_compile(signature, config, args)
        return executable(*args)

    def _load_or_compile(self, signature, config, args):
        path = Path(_our_cache_dir, f"{self.__name__}-{_digest(signature)}.exe")
        if _kernels_ready():
            try:
                with open(path, "rb") as file:
                    return serialize_executable.deserialize_and_load(*pickle.load(file))
            except Exception:  # absent, partly written, or from another build: compile it again
                pass
        executable = self._jitted.lower(config, *args).compile()
        try:
            _write_atomically(path, pickle.dumps(serialize_executable.serialize(executable)))
        except (OSError, ValueError, NotImplementedError, pickle.PicklingError):
            pass  # a read-only folder, or a program JAX cannot serialize: it stays in memory
        return executable

    def _cache_size(self):
        return self._jitted._cache_size() + len(self._executables)

    def clear_cache(self):
        """Drop this program's compiled executables (the files on disk stay)."""
        self._jitted.clear_cache()
        self._executables.clear()


def program(fun):
    """Make ``fun(config, *args)`` a training program (see :class:`Program`)."""
    made = Program(fun)
    _PROGRAMS.append(made)
    return made


def release_programs():
    """Drop the compiled training programs once there are more than ``MAX_PROGRAMS``.

    JAX keeps every compiled program of a ``jax.jit`` function; a process
    that fits many shapes would otherwise run out of memory mappings and
    crash. Only this package's programs are dropped, never the user's.
    """
    if sum(made._cache_size() for made in _PROGRAMS) > MAX_PROGRAMS:
        for made in _PROGRAMS:
            made.clear_cache()


def use_compilation_cache():
    """Keep executables in the folder the package's setting asks for, unless the user set JAX's cache.

    The user's JAX cache folder, if any, wins: the programs are then plain
    ``jax.jit``, cached by JAX as the user has set it up. So they are on a
    GPU or TPU. JAX's configuration is never changed here.
    """
    global _our_cache_dir
    # On accelerators, whose kernels' set-up a loaded executable could miss as
    # it would LAPACK's (see ``_kernels_ready``) and which cannot be tested
    # here, programs are plain ``jax.jit``.
    ours = not jax.config.jax_compilation_cache_dir and jax.default_backend() == "cpu"
    directory = _compilation_cache.requested_cache_dir() if ours else None
    if directory != _our_cache_dir:
        for made in _PROGRAMS:
            made._executables.clear()  # loaded from the previous folder
        _our_cache_dir = directory


@functools.cache
def _kernels_ready():
    """Initialize what a loaded executable calls but only lowering would set up; False if it cannot be.

    The whitening's eigendecomposition calls LAPACK, which JAX binds while
    lowering ``eigh`` (on a CPU): an executable loaded from disk in a process
    that never lowered one would call through a null pointer. JAX's hook for
    it is private, so if it ever goes away executables are compiled, never
    loaded.
    """
    try:
        from jax._src.lax import linalg

        linalg.initialize_lapack()
    except Exception:  # pragma: no cover (another JAX)
        return False
    return True


@functools.cache
def _machine():
    """What an executable was built for: JAX's build, the device, and a CPU's features."""
    device = jax.devices()[0]
    features = platform.processor()
    if device.platform == "cpu" and os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            features = next((line for line in cpuinfo if line.startswith(("flags", "Features"))), features)
    return (jax.__version__, jaxlib.__version__, device.platform, device.device_kind,
            device.client.platform_version, features)  # fmt: skip


@functools.cache
def _source():
    """A digest of the package's code: an executable of other code is never loaded.

    A new release, or an edited checkout, changes the programs without
    changing their signatures.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest(signature):
    return hashlib.sha256(repr((FORMAT, signature, _machine(), _source())).encode()).hexdigest()[:32]


def _write_atomically(path, data):
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
        file.write(data)
    os.replace(file.name, path)
