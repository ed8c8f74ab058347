"""``--shard i/N`` parsing and selection, and the Ray helpers that need no Ray (folder packing, atomic writes)."""

from __future__ import annotations

import pytest

from heron.parallel import Shard, parse_shard, take_shard
from heron.parallel.ray_pool import pack_folder, unpack_folder, write_atomic


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_partition_the_items(n):
    items = list(range(20))
    parts = [take_shard(items, Shard(i, n)) for i in range(n)]
    assert sorted(x for p in parts for x in p) == items  # every item once
    assert all(p == items[i::n] for i, p in enumerate(parts))  # by position: fixed by seed, not by what is stored


def test_parse_shard():
    assert parse_shard("1/4") == Shard(1, 4)
    assert parse_shard(" 0/1 ") == Shard(0, 1)
    assert parse_shard(None) is None
    assert take_shard([1, 2], None) == [1, 2]


@pytest.mark.parametrize("bad, says", [("4/4", "0 <= i < N"), ("1/0", "N >= 1"), ("-1/2", "0 <= i < N"),
                                       ("x", "expected i/N"), ("1", "expected i/N"), ("1/2/3", "expected i/N")])
def test_bad_shards_say_what_is_wrong(bad, says):
    with pytest.raises(ValueError, match=says):
        parse_shard(bad)


def test_pack_and_unpack_a_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"\x00\x01")
    (tmp_path / "spec.json").write_text("{}")
    files = pack_folder(tmp_path)
    assert files == {"a/x.bin": b"\x00\x01", "spec.json": b"{}"}
    back = unpack_folder(files)
    assert (back / "a" / "x.bin").read_bytes() == b"\x00\x01" and (back / "spec.json").read_text() == "{}"
    with pytest.raises(FileNotFoundError, match="not a folder"):
        pack_folder(tmp_path / "missing")


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "sub" / "shard-ray-0000000-0000003.h5"
    write_atomic(path, b"first")
    write_atomic(path, b"second")  # an item run twice: one whole file
    assert path.read_bytes() == b"second"
    assert [p.name for p in path.parent.iterdir()] == [path.name]
