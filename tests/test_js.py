"""The board's pure JavaScript (the store, the avatar colours), tested with node's test runner."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_board_scripts_pass_their_node_tests():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    tests = sorted(str(path) for path in (ROOT / "tests" / "js").glob("*.test.mjs"))
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [node, "--test", *tests], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
