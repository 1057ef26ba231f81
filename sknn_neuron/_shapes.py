"""Shape buckets: pad rows so that nearby sizes share one compiled program.

A compiled program is specialized to its input shapes. Cross-validation folds,
learning curves and ``partial_fit`` chunks come in many row counts; rounding
the count up to a bucket (four per octave, so at most 25 % padding) and giving
the padded rows a weight of zero makes them share one compilation while
contributing exactly nothing to the loss or the gradient.
"""

import numpy as np

_MIN_BUCKET = 16


def bucket_size(n):
    """Smallest bucket holding ``n`` rows: ``2**k * {1, 1.25, 1.5, 1.75}``.

    Examples
    --------
    >>> [bucket_size(n) for n in (1, 16, 17, 50, 100, 1000)]
    [16, 16, 20, 56, 112, 1024]
    """
    if n <= _MIN_BUCKET:
        return _MIN_BUCKET
    octave = 1 << (int(n - 1).bit_length() - 1)
    for step in (4, 5, 6, 7, 8):
        size = octave * step // 4
        if size >= n:
            return size
    raise AssertionError("unreachable")  # pragma: no cover


def padded_rows(n, batch_size):
    """Rows after padding, and the batch size the program uses.

    A batch as large as the data becomes the whole bucket (one batch), so
    that ``batch_size="auto"`` on small data does not compile once per size.

    Examples
    --------
    >>> padded_rows(150, 150)
    (160, 160)
    >>> padded_rows(1000, 32)
    (1024, 32)
    >>> padded_rows(300, 200)
    (400, 200)
    """
    n_pad = bucket_size(n)
    if batch_size is None or batch_size >= n:
        return n_pad, n_pad
    n_pad = -(-n_pad // batch_size) * batch_size
    return n_pad, batch_size


def pad(X, y, sample_weight, n_pad):
    """Copy ``(X, y, sample_weight)`` into ``n_pad`` rows, zero-weight padding."""
    n = X.shape[0]
    X_pad = np.zeros((n_pad, X.shape[1]), dtype=X.dtype)
    y_pad = np.zeros((n_pad, y.shape[1]), dtype=y.dtype)
    w_pad = np.zeros(n_pad, dtype=sample_weight.dtype)
    X_pad[:n], y_pad[:n], w_pad[:n] = X, y, sample_weight
    return X_pad, y_pad, w_pad
