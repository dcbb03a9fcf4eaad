"""Time loading a corpus through the save service, every page rendered (no render memo).

    .venv/bin/python -m bench.load [PAGES]                       # this checkout, 1,000 pages
    .venv/bin/python -m bench.load 1000 --root /path/to/other/checkout

Two page-loader processes and the two history loaders, as ``bench.perf`` loads its corpus,
into a fresh SQLite database in a temporary folder. ``--root`` measures another checkout of
the wiki (its ``wiki`` and ``bench`` packages) with this script, to compare two versions of
the save path on the same machine.
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", type=int, nargs="?", default=1000)
    parser.add_argument("--busy-revisions", type=int, default=10)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    root = args.root.resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))
    from bench import corpus

    spec = corpus.CorpusSpec(args.pages, args.busy_revisions)
    url = "sqlite:///" + tempfile.mkdtemp() + "/load.db"
    seconds = corpus.load(url, spec, render_memo=None)
    print(f"{root}: {spec.pages:,} pages (+{spec.busy_revisions + corpus.CALM_REVISIONS} history revisions) "
          f"loaded in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
