"""Whole-folder outputs (imports, exports) that appear complete or not at all.

``with staged_dir(out, overwrite) as tmp:`` writes into a temporary sibling folder and renames it to
``out`` only when the block finishes; an error or Ctrl-C removes the temporary folder and leaves any
earlier ``out`` untouched, so the command can simply be run again.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from heron.data.errors import DatasetError


@contextmanager
def staged_dir(out: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    out = Path(out)
    if out.exists() and not overwrite:
        raise DatasetError(f"{out}: already exists; pass --overwrite to replace it (it is replaced only once the new one is complete)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
