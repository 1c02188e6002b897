"""The test suite. Its shared kits live in `tests.support`, which asserts too: pytest rewrites
those asserts (so a failure shows its values) only if told before anything imports them."""

import pytest

pytest.register_assert_rewrite("tests.support")
