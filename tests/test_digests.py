"""The set of image digests the duplicate checks keep: what it says is in it, at any size."""

from __future__ import annotations

import hashlib

from vixray_data.records import Digests, SeenImages


def sha(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def test_a_digest_added_is_found_before_and_after_its_batch_is_merged_and_another_is_not():
    digests = Digests()
    for i in range(Digests._PENDING * 2 + 10):  # two merges and a few pending
        digests.add(sha(i))
    assert all(sha(i) in digests for i in range(Digests._PENDING * 2 + 10))
    assert not any(sha(i) in digests for i in range(10**6, 10**6 + 1000))


def test_upper_case_or_other_strings_are_kept_as_written():
    digests = Digests()
    digests.add(sha(1).upper())
    digests.add("not a digest")
    assert sha(1).upper() in digests and "not a digest" in digests
    assert sha(1) not in digests  # another string: lower case only is read as a number


def test_a_second_image_with_the_same_bytes_or_pixels_is_a_duplicate():
    seen = SeenImages()
    assert seen.check("row 1", sha(1), sha(2), "image") is None
    assert seen.check("row 2", sha(1), sha(3), "image").reason == "duplicate_file"
    assert seen.check("row 3", sha(4), sha(2), "image").reason == "duplicate_pixels"
    assert seen.check("row 4", sha(5), None, "image") is None
