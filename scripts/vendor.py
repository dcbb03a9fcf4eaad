#!/usr/bin/env python3
"""Rebuild static/vendor/ from package-lock.json, or check that the committed files match.

    python scripts/vendor.py          # npm ci (no install scripts) in a scratch folder, copy the files
    python scripts/vendor.py --check  # the same, but compare byte for byte and exit 1 on a difference

Each vendored package lands in static/vendor/<package>-<version>/ with its licence files.
node_modules/ is made in a temporary folder, never in the repository. Add a package by pinning
it in package.json (then `npm install --package-lock-only --ignore-scripts`) and listing the
release files to serve in FILES below.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"

# package -> the release files Nexus serves (licences included), as paths inside the package;
# each is copied to static/vendor/<package>-<version>/<its file name>.
FILES = {
    # /api/docs (issue 17): Swagger UI, which runs under our CSP (no inline script or style).
    "swagger-ui-dist": ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-bundle.js.LICENSE.txt",
                        "LICENSE", "NOTICE"),
    # The accessibility checks of the browser tests (issue 19); served to nobody else.
    "axe-core": ("axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"),
    # Diagrams from ```mermaid blocks (issue 19), drawn in the sandboxed /-/diagram-frame.
    "mermaid": ("dist/mermaid.min.js", "LICENSE"),
}


def folder(package: str, version: str) -> Path:
    return VENDOR / f"{package.lstrip('@').replace('/', '-')}-{version}"


def main(check: bool) -> int:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("package.json", "package-lock.json"):
            shutil.copy(ROOT / name, scratch)
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=scratch, check=True)
        differences = []
        for package, files in FILES.items():
            version = lock["packages"][f"node_modules/{package}"]["version"]
            target = folder(package, version)
            for file in files:
                source = Path(scratch) / "node_modules" / package / file
                copy = target / Path(file).name
                if check:
                    if not copy.is_file() or copy.read_bytes() != source.read_bytes():
                        differences.append(str(copy.relative_to(ROOT)))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
    if differences:
        print("These vendored files differ from package-lock.json's releases (run `make vendor`):\n  "
              + "\n  ".join(differences), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
