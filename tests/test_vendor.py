"""static/vendor/ holds exactly the releases package-lock.json pins: `make vendor` rebuilt from
the lock (npm ci in a scratch folder) gives the committed bytes, and every package folder
carries its licence."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_vendored_package_is_pinned_and_licensed():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for package, version in pinned.items():
        assert lock["packages"][f"node_modules/{package}"]["version"] == version  # exact pins only
    for folder in (ROOT / "static" / "vendor").iterdir():
        assert any(folder.glob("LICENSE*")), f"{folder.name} has no licence file"


def test_the_committed_files_match_the_locked_releases():
    if shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("npm is missing: CI must check static/vendor against package-lock.json", pytrace=False)
        pytest.skip("npm is not installed")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
