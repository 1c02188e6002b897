"""The server's collector policy: rare young collections, the start-up heap frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from server import gc_policy


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_tune_makes_young_collections_rare(restored_gc: None) -> None:
    gc_policy.tune()
    assert gc.get_threshold() == (50_000, 20, 20)


def test_freezing_start_up_leaves_what_it_made_out_of_later_collections(
    restored_gc: None,
) -> None:
    frozen_before = gc.get_freeze_count()
    start_up_made: list[list[int]] = [[] for _ in range(1_000)]
    gc_policy.freeze_start_up()
    assert gc.get_freeze_count() >= frozen_before + len(start_up_made)
