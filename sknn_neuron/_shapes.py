"""Shape buckets: pad rows so that nearby sizes share one compiled program.

A compiled program is specialized to its input shapes. Cross-validation folds,
learning curves and ``partial_fit`` chunks come in many row counts; rounding
the count up to a bucket (four per octave, so at most 25 % padding) and giving
the padded rows a weight of zero makes them share one compilation while
contributing exactly nothing to the loss or the gradient. A sparse ``X``
pads its stored entries too, with explicit zeros, to a bucket of their own.
"""

import numpy as np
from scipy import sparse

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


def pad(X, y, sample_weight, n_pad, order=None):
    """Copy ``(X, y, sample_weight)`` into ``n_pad`` rows, zero-weight padding.

    ``order``, if given, permutes the rows in the same copy. The arrays are
    64-byte aligned, so that JAX's CPU backend can use them in place instead
    of copying them once more. A sparse ``X`` becomes the arrays of
    :func:`pad_csr`.

    Examples
    --------
    >>> X_pad, y_pad, w_pad = pad(np.ones((3, 2)), np.ones((3, 1)), np.ones(3), 16)
    >>> X_pad.shape, float(w_pad.sum()), X_pad.ctypes.data % 64
    ((16, 2), 3.0, 0)
    """
    if sparse.issparse(X):
        return (pad_csr(X, n_pad, order), *(_pad_rows(a, n_pad, order) for a in (y, sample_weight)))
    return tuple(_pad_rows(a, n_pad, order) for a in (X, y, sample_weight))


def _pad_rows(a, n_pad, order):
    n = a.shape[0]
    out = _aligned_empty((n_pad, *a.shape[1:]), a.dtype)
    if order is None:
        out[:n] = a
    else:
        np.take(a, order, axis=0, out=out[:n], mode="clip")  # 'raise' would buffer
    out[n:] = 0
    return out


def pad_csr(X, n_pad, order=None):
    """CSR arrays of sparse ``X`` (rows permuted by ``order``) in ``n_pad`` rows.

    The stored entries are padded to ``bucket_size(nnz)`` with explicit zeros
    in the last row; duplicate entries are summed (on a copy).

    Returns
    -------
    indptr : int32 array of shape (n_pad + 1,)
    row, col : int32 arrays of shape (n_entries,)
    val : array of shape (n_entries,)

    Examples
    --------
    >>> from scipy import sparse
    >>> indptr, row, col, val = pad_csr(sparse.csr_array([[0.0, 2.0], [3.0, 0.0]]), 4)
    >>> indptr.tolist(), row.shape, val[:3].tolist()
    ([0, 1, 2, 2, 16], (16,), [2.0, 3.0, 0.0])
    """
    X = sparse.csr_matrix(X[order] if order is not None else X)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    n, nnz = X.shape[0], X.nnz
    n_entries = bucket_size(nnz)
    indptr = np.full(n_pad + 1, nnz, np.int32)
    indptr[: n + 1], indptr[-1] = X.indptr, n_entries
    row, col = _aligned_empty(n_entries, np.int32), _aligned_empty(n_entries, np.int32)
    row[:] = np.repeat(np.arange(n_pad, dtype=np.int32), np.diff(indptr))
    val = _aligned_empty(n_entries, X.dtype)
    col[:nnz], val[:nnz] = X.indices, X.data
    col[nnz:], val[nnz:] = 0, 0
    return indptr, row, col, val


def batch_entries(indptr, n_rows, batch):
    """Most stored entries of a batch of ``batch`` real rows, rounded up to a bucket.

    At most all the entries: a sparse minibatch slices a window this long.

    Examples
    --------
    >>> batch_entries(np.array([0, 1, 5, 6, 6, 16]), 4, 2)
    16
    """
    bounds = np.append(indptr[:n_rows:batch], indptr[n_rows])
    return min(bucket_size(int(np.diff(bounds).max())), int(indptr[-1]))


def batches_per_block(batch, n_features, itemsize):
    """Consecutive batches visited together: about 256 KiB of rows.

    Jumping to a random batch every step costs small batches up to half their
    speed (cache and prefetch misses); shuffling blocks of batches keeps the
    order random from epoch to epoch at the cost of a coarser shuffle.

    Examples
    --------
    >>> batches_per_block(32, 100, 4), batches_per_block(1024, 100, 4)
    (20, 1)
    """
    return max(1, (256 * 1024) // (batch * n_features * itemsize))


def block_orders(n_slots, n_batches, per_block, n_rows, shuffle, seed, first_epoch, n_epochs):
    """Order of the blocks of batches for ``n_epochs`` epochs, as ``n_rows`` rows.

    Whole blocks of real batches are permuted (seeded by ``(seed, epoch)``);
    the remaining blocks keep their place. Drawn on the host: a random
    permutation inside the compiled program would make it larger and slower
    to compile.

    Examples
    --------
    >>> block_orders(4, 3, 1, 2, True, 0, 0, 1).tolist()
    [[2, 0, 1, 3], [0, 1, 2, 3]]
    """
    n_blocks = -(-n_slots // per_block)
    orders = np.tile(np.arange(n_blocks, dtype=np.int32), (n_rows, 1))
    if shuffle:
        n_full = n_batches // per_block
        for e in range(n_epochs):
            orders[e, :n_full] = np.random.default_rng([seed, first_epoch + e]).permutation(n_full)
    return orders


def drop_zero_weight(X, y, sample_weight):
    """Remove the rows of weight zero: they contribute nothing, exactly.

    No batch can then be empty of weight, and no step is spent on them.

    Examples
    --------
    >>> X, y, w = drop_zero_weight(np.arange(3.0)[:, None], np.ones((3, 1)), np.array([1.0, 0.0, 2.0]))
    >>> X.ravel().tolist(), w.tolist()
    ([0.0, 2.0], [1.0, 2.0])
    """
    keep = sample_weight > 0
    if keep.all():
        return X, y, sample_weight
    keep = np.flatnonzero(keep)  # scipy's sparse arrays take integer row indices
    return X[keep], y[keep], sample_weight[keep]


def _aligned_empty(shape, dtype, alignment=64):
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(n_bytes + alignment, dtype=np.uint8)
    offset = -raw.ctypes.data % alignment
    return raw[offset : offset + n_bytes].view(dtype).reshape(shape)
