"""Assertions shared by the tests."""

import numpy as np


def assert_bitwise_equal(before, after, path="estimator"):
    """Assert two values are equal bit for bit, recursively (NaN equals NaN)."""
    assert type(before) is type(after), f"{path}: {type(before)} became {type(after)}"
    if isinstance(before, dict):
        assert before.keys() == after.keys(), path
        for key in before:
            assert_bitwise_equal(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, (list, tuple)):
        assert len(before) == len(after), path
        for i, (a, b) in enumerate(zip(before, after)):
            assert_bitwise_equal(a, b, f"{path}[{i}]")
    elif isinstance(before, (np.ndarray, np.generic)):
        assert before.dtype == after.dtype and before.shape == after.shape, path
        if before.dtype == object:
            assert before.tolist() == after.tolist(), path
        else:
            assert before.tobytes() == after.tobytes(), path
    elif isinstance(before, float):
        assert np.float64(before).tobytes() == np.float64(after).tobytes(), path
    elif isinstance(before, np.random.RandomState):
        assert_bitwise_equal(before.get_state(), after.get_state(), path)
    else:
        assert before == after, path
