"""Sparse inputs inside the compiled programs: CSR rows, non-zeros padded to a bucket.

A scipy.sparse ``X`` enters training as :class:`SparseRows`: its CSR row
pointers and, per stored entry, the row, the column and the value. The entry
arrays are padded with explicit zeros to a shape bucket, so that data with a
similar number of non-zeros share one compiled program, as padded rows do.

``X @ W`` gathers the rows of ``W`` named by the entries' columns and sums
them per row (``segment_sum`` over rows in order); its gradient with respect
to ``W`` is the transposed scatter, ``X^T r``, which :func:`jax.grad` derives.
Nothing of size ``n_samples x n_features`` is ever formed: memory grows with
the non-zeros. A minibatch is a window of consecutive entries (a batch's
rows are consecutive in CSR order) whose entries outside the batch count as
zeros. Reductions over all the entries (the preconditioner's column
statistics) run over chunks of them, so that their temporaries do not grow
with the non-zeros.
"""

import functools

import jax
import jax.numpy as jnp
from jax import lax

CHUNK_ENTRIES = 1 << 20  # entries per step of a reduction over all of them


@jax.tree_util.register_pytree_node_class
class SparseRows:
    """A sparse matrix in CSR order, as the training programs read it.

    Parameters
    ----------
    indptr : int32 array of shape (n_rows + 1,) or None
        Row pointers: the entries of row ``i`` are ``indptr[i]:indptr[i + 1]``.
        ``None`` for a minibatch, which is not sliced further.
    row, col : int32 arrays of shape (n_entries,)
        Row and column of each entry; rows in ascending order.
    val : array of shape (n_entries,)
        Values; padding entries are explicit zeros.
    shape : tuple of int
        ``(n_rows, n_features)`` (static).
    batch_entries : int
        Static: the most entries a minibatch of rows may hold, the size of
        the window :meth:`rows` slices.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> X = SparseRows(jnp.array([0, 1, 3]), jnp.array([0, 1, 1]), jnp.array([1, 0, 2]),
    ...                jnp.array([2.0, 3.0, 4.0]), shape=(2, 3), batch_entries=2)
    >>> (X @ jnp.ones((3, 1))).ravel().tolist()  # [[0, 2, 0], [3, 0, 4]] @ 1
    [2.0, 7.0]
    >>> (X.rows(1, 1) @ jnp.ones((3, 1))).ravel().tolist()
    [7.0]
    """

    def __init__(self, indptr, row, col, val, shape, batch_entries):
        self.indptr, self.row, self.col, self.val = indptr, row, col, val
        self.shape, self.batch_entries = shape, batch_entries

    @property
    def dtype(self):
        return self.val.dtype

    def tree_flatten(self):
        return (self.indptr, self.row, self.col, self.val), (self.shape, self.batch_entries)

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, *aux)

    def __matmul__(self, W):
        products = self.val[:, None] * W[self.col]
        return jax.ops.segment_sum(products, self.row, num_segments=self.shape[0], indices_are_sorted=True)

    def rows(self, start, size):
        """Rows ``start:start + size`` as a minibatch (``start`` traced).

        A window of ``batch_entries`` consecutive entries from the first of
        the batch (moved back, if need be, to end with the last entry) holds
        all of the batch's; the window's entries of other rows are zeroed.
        """
        window = functools.partial(
            lax.dynamic_slice_in_dim, start_index=self.indptr[start], slice_size=self.batch_entries
        )
        row = window(self.row) - start
        inside = (row >= 0) & (row < size)
        return SparseRows(
            None, jnp.clip(row, 0, size - 1), window(self.col), jnp.where(inside, window(self.val), 0.0),
            (size, self.shape[1]), self.batch_entries,
        )  # fmt: skip


def slice_rows(a, start, size):
    """Rows ``start:start + size`` of a dense array or of :class:`SparseRows`."""
    if isinstance(a, SparseRows):
        return a.rows(start, size)
    return lax.dynamic_slice_in_dim(a, start, size)


def column_moments(X, wn, centre):
    """Weighted column means (times ``centre``) and deviations of :class:`SparseRows`.

    From the stored entries only: each column's absent entries are zeros of
    total weight ``1 - sum(wn)`` over its entries, which the deviation adds
    as one term. Explicit zeros (padding) count as absent ones do. Values
    are divided by the column's largest magnitude first, so that no finite
    input overflows.

    Parameters
    ----------
    X : SparseRows
    wn : array of shape (n_rows,)
        Row weights summing to one.
    centre : traced 0.0 or 1.0
        Whether deviations are taken from the mean (else from zero).

    Returns
    -------
    shift, std : arrays of shape (n_features,)

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> X = SparseRows(jnp.array([0, 1, 2]), jnp.array([0, 1]), jnp.array([0, 0]),
    ...                jnp.array([2.0, 4.0]), shape=(2, 2), batch_entries=2)
    >>> shift, std = column_moments(X, jnp.array([0.5, 0.5]), 1.0)
    >>> shift.tolist(), std.tolist()
    ([3.0, 0.0], [1.0, 0.0])
    """
    top = _by_column(X, lambda row, col, val: jnp.abs(val), jax.ops.segment_max, jnp.maximum)
    top = jnp.where(top > 0, top, 1.0)

    def scaled(row, col, val):  # a value and its row's weight
        return jnp.stack([wn[row] * val / top[col], wn[row]], axis=1)

    mean, stored = _by_column(X, scaled, jax.ops.segment_sum, jnp.add).T
    mean = centre * mean

    def deviation(row, col, val):
        return wn[row] * (val / top[col] - mean[col]) ** 2

    spread = _by_column(X, deviation, jax.ops.segment_sum, jnp.add) + (1.0 - stored) * mean**2
    return top * mean, top * jnp.sqrt(jnp.maximum(spread, 0.0))  # no negative rounding


def _by_column(X, values, reduce, combine, chunk=CHUNK_ENTRIES):
    """``reduce`` (a segment max or sum) of ``values(row, col, val)`` over each column's entries.

    ``combine`` (``jnp.maximum`` or ``jnp.add``) joins the chunks' results.

    A loop over chunks of entries: its temporaries are chunk-sized, not
    entry-sized (an entry-sized array of the full problem is 80 MiB). A
    last chunk moved back to end with the last entry skips the entries it
    shares with the one before. Values are zero or more (masked entries
    are zeros).
    """
    n_entries = X.val.shape[0]
    size = min(chunk, n_entries)

    def add_chunk(i, total):
        start = jnp.minimum(i * size, n_entries - size)
        row, col, val = (lax.dynamic_slice_in_dim(a, start, size) for a in (X.row, X.col, X.val))
        fresh = start + jnp.arange(size) >= i * size
        chunk_values = values(row, col, val)
        mask = fresh.reshape(-1, *(1,) * (chunk_values.ndim - 1))
        part = reduce(jnp.where(mask, chunk_values, 0.0), col, num_segments=X.shape[1])
        return combine(total, part)

    shape = jax.eval_shape(values, X.row[:size], X.col[:size], X.val[:size])
    zeros = jnp.zeros((X.shape[1], *shape.shape[1:]), shape.dtype)
    return lax.fori_loop(0, -(-n_entries // size), add_chunk, zeros)
