"""The Python blocks of README.md and of the book (docs/src/*.md) run as they stand, each
in a fresh interpreter."""

import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FILES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "src", "*.md")))


def blocks_of(path):
    text = open(path, encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


BLOCKS = [(os.path.relpath(p, ROOT), k, code) for p in FILES for k, code in enumerate(blocks_of(p))]


def test_readme_and_book_have_python_blocks():
    counts = {}
    for name, _, _ in BLOCKS:
        counts[name] = counts.get(name, 0) + 1
    assert counts.get("README.md", 0) >= 1
    assert counts.get(os.path.join("docs", "src", "python.md"), 0) >= 5


@pytest.mark.parametrize("name,k,code", BLOCKS, ids=[f"{n}[{k}]" for n, k, _ in BLOCKS])
def test_block_runs(name, k, code, tmp_path):
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, f"{name} block {k}:\n" + r.stdout + r.stderr
