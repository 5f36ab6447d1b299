"""The board's pure JavaScript (the store, the avatar colours), tested with node's test runner."""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]


def test_the_board_scripts_pass_their_node_tests():
    node = shutil.which("node")
    require(node is not None, "node (Node.js)")
    tests = sorted(str(path) for path in (ROOT / "tests" / "js").glob("*.test.mjs"))
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [node, "--test", *tests], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
