"""static/vendor holds exactly what the npm registry serves for the versions package-lock.json pins.

The test installs the lock file's packages into a temporary folder with `npm ci` (npm checks
every package against the lock's integrity hashes) and compares the vendored files with them
byte for byte. npm and the registry are required: a missing npm fails this test, it never skips.
"""
import filecmp
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Issue 19: package -> (vendored folder, {file in the package: file in the folder}).
VENDORED = {
    "axe-core": ("axe-core-{version}", {"axe.min.js": "axe.min.js", "LICENSE": "LICENSE",
                                        "LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt"}),
    "mermaid": ("mermaid-{version}", {"dist/mermaid.min.js": "mermaid.min.js", "LICENSE": "LICENSE"}),
}


def locked_version(package: str) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


@pytest.mark.parametrize("package", sorted(VENDORED))
def test_the_vendored_folder_is_named_for_the_locked_version(package):
    folder, files = VENDORED[package]
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    version = locked_version(package)
    assert manifest["devDependencies"][package] == version  # pinned exactly, no ranges
    vendored = ROOT / "static" / "vendor" / folder.format(version=version)
    assert sorted(p.name for p in vendored.iterdir()) == sorted(files.values())


def test_vendored_bytes_match_the_lock_file(tmp_path):
    npm = shutil.which("npm")
    assert npm, "npm is missing: apt-get install -y npm"
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=600)
    for package, (folder, files) in VENDORED.items():
        vendored = ROOT / "static" / "vendor" / folder.format(version=locked_version(package))
        for source, target in files.items():
            assert filecmp.cmp(tmp_path / "node_modules" / package / source, vendored / target, shallow=False), (
                f"{vendored / target} differs from {package}/{source} as locked: run `make vendor`")
