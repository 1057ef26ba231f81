"""Which folder caches the compiled training programs between processes.

A new process compiles each training program it runs, most of a small
first fit. The package keeps the compiled programs on disk, as JAX's
serialized executables, so that the next process, or a joblib worker, loads
them instead.
The switch is the environment variable ``SKNN_NEURON_CACHE_DIR`` (a folder,
or ``off``), which :func:`set_compilation_cache_dir` sets; without it the
folder is ``sknn_neuron/jax`` in the user's cache folder.

This module only chooses the folder (no JAX import here); on each fit the
training layer reads it (``_programs.use_compilation_cache``), unless the
user has set JAX's cache folder.
"""

import os
import warnings
from pathlib import Path

ENVIRONMENT_VARIABLE = "SKNN_NEURON_CACHE_DIR"
OFF = "off"


def default_cache_dir():
    """``$XDG_CACHE_HOME/sknn_neuron/jax``, by default ``~/.cache/sknn_neuron/jax``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sknn_neuron" / "jax"


def set_compilation_cache_dir(directory):
    """Set the folder that caches compiled training programs, or turn it off.

    Compiling a training program takes most of a new process's first fit
    (about a second on a small CPU). With a cache folder, a program compiled
    once is read back from disk by the next process, and by the workers of a
    parallel search, instead of compiling again.

    The setting is the environment variable ``SKNN_NEURON_CACHE_DIR`` of
    this process, which this function sets: processes started afterwards
    (joblib's workers, for instance) inherit it. It applies from the next
    ``fit``. A cache folder set for JAX itself (``JAX_COMPILATION_CACHE_DIR``
    or ``jax.config.update("jax_compilation_cache_dir", ...)``) takes
    precedence: the programs are then cached by JAX, as the user set it up.

    .. warning::

       The cache is trusted: a process runs the programs it finds there.
       Anyone who can write to the folder can make your processes run
       arbitrary code. Use a folder only you can write to; a folder that
       others may write to is refused with a warning.

    Parameters
    ----------
    directory : str, path-like or None
        The cache folder, created (mode ``0o700``) on the next fit if it does
        not exist; ``None`` turns the cache off.

    Notes
    -----
    By default (``SKNN_NEURON_CACHE_DIR`` unset) the folder is
    ``sknn_neuron/jax`` in the user's cache folder (``$XDG_CACHE_HOME``, by
    default ``~/.cache``). Its files can be deleted at any time. JAX's
    configuration is never changed.

    Examples
    --------
    >>> import tempfile
    >>> from sknn_neuron import set_compilation_cache_dir
    >>> set_compilation_cache_dir(tempfile.mkdtemp())  # a private folder
    >>> set_compilation_cache_dir(None)  # compile in every process
    """
    os.environ[ENVIRONMENT_VARIABLE] = OFF if directory is None else os.fspath(directory)


def requested_cache_dir():
    """The cache folder, as a string, created if needed; ``None`` when off or unsafe."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if value.lower() == OFF:
        return None
    directory = Path(value).expanduser() if value else default_cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = directory.stat()
    except OSError as error:
        warnings.warn(f"Compiled programs are not cached: {error}.", RuntimeWarning, stacklevel=2)
        return None
    if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
        warnings.warn(
            f"Compiled programs are not cached in {directory}: others can write to it, and a process runs "
            f"the programs it finds there. Make it private (chmod 700) or set {ENVIRONMENT_VARIABLE} to "
            "another folder.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return str(directory)
