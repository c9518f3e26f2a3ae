"""The Python blocks of README.md run as they stand (each in a fresh interpreter)."""

import os
import re
import subprocess
import sys

import pytest

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def blocks():
    text = open(README, encoding="utf-8").read()
    section = text[text.index("## Python package"):]
    section = section[: section.index("\n## ", 5)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_has_python_blocks():
    assert len(blocks()) >= 3


@pytest.mark.parametrize("k", range(len(blocks())))
def test_readme_block_runs(k, tmp_path):
    code = blocks()[k]
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
