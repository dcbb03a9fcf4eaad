"""The reference ceiling for bench/perf.py: a bare Flask app returning a 5 KB HTML page
rendered from a template, served by the same gunicorn settings as the wiki.

``gunicorn bench.bare_app:app``. The template has a few variables and a loop, like any
page; nothing else runs per request (no database, no session, no extensions).
"""
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "bare_templates"))

ITEMS = [f"Item number {n} with a little text to make the page weigh what a page weighs" for n in range(40)]


@app.get("/")
def page():
    return render_template("page.html", title="A page", items=ITEMS)
