"""The documentation site builds with warnings as errors, and is complete.

One Sphinx build (module-scoped fixture) of a copy of ``docs/``,
``examples/`` and ``CHANGELOG.md`` in a temporary directory, so that the
build never writes into the checkout. It runs every ``examples/plot_*.py``
(sphinx-gallery), which takes minutes: the tests are marked ``slow`` and
``docs``, and skip when the ``docs`` extra is not installed.
"""

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = [pytest.mark.docs, pytest.mark.slow]

for _module in (
    "sphinx",
    "pydata_sphinx_theme",
    "numpydoc",
    "sphinx_gallery",
    "myst_parser",
    "matplotlib",
):
    pytest.importorskip(_module)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
PUBLIC_MODULES = ("skentropy.metrics", "skentropy.datasets", "skentropy.sequences")
# What the build writes into its source directory: never copied from a
# checkout that has been built in place.
BUILD_OUTPUT = ("_build", "generated", "auto_examples", "sg_execution_times.rst")


def _public_names():
    """(module, name) of every public object the API reference must show."""
    import skentropy

    names = [("skentropy", name) for name in skentropy.__all__ if name != "__version__"]
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names += [(module_name, name) for name in module.__all__]
    return names


def _toctree_entries(rst):
    """Entries of the toctree directives of a reStructuredText file."""
    entries, inside = [], False
    for line in rst.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith(".. toctree::"):
            inside = True
        elif inside and line and not line[0].isspace():
            inside = False
        elif inside and line.strip() and not line.strip().startswith(":"):
            entries.append(line.strip())
    return entries


def _tail(text, lines=60):
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site once: its source and html directories, or a failure
    with the tail of the log."""
    root = tmp_path_factory.mktemp("docs_build")
    src = root / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns(*BUILD_OUTPUT))
    shutil.copytree(
        EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ROOT / "CHANGELOG.md", root / "CHANGELOG.md")
    out = root / "html"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", src, out],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(
            f"sphinx-build -W failed (return code {result.returncode}).\n"
            f"--- stdout (tail) ---\n{_tail(result.stdout)}\n"
            f"--- stderr (tail) ---\n{_tail(result.stderr)}",
            pytrace=False,
        )
    return SimpleNamespace(src=src, html=out)


def test_site_builds_without_warnings(site):
    assert (site.html / "index.html").is_file()


@pytest.mark.parametrize(
    "example", sorted(path.stem for path in EXAMPLES.glob("plot_*.py"))
)
def test_every_example_is_rendered_with_a_figure(site, example):
    page = site.html / "auto_examples" / f"{example}.html"
    assert page.is_file(), f"no gallery page for examples/{example}.py"
    image = f"sphx_glr_{example}_001.png"
    assert (site.src / "auto_examples" / "images" / image).is_file(), (
        f"examples/{example}.py drew no figure in the gallery"
    )
    assert (site.html / "_images" / image).is_file()
    assert image in page.read_text(encoding="utf-8")


def test_every_public_name_is_in_the_api_reference(site):
    api = (site.html / "api.html").read_text(encoding="utf-8")
    missing = []
    for module, name in _public_names():
        page = site.html / "generated" / f"{module}.{name}.html"
        if not (page.is_file() and f'href="generated/{module}.{name}.html' in api):
            missing.append(f"{module}.{name}")
    assert not missing, f"not in docs/api.rst (autosummary): {missing}"


def test_index_links_every_page_of_its_toctree(site):
    index = (site.html / "index.html").read_text(encoding="utf-8")
    entries = _toctree_entries(DOCS / "index.rst")
    assert "api" in entries and "auto_examples/index" in entries
    for entry in entries:
        assert (site.html / f"{entry}.html").is_file(), f"{entry}.html was not built"
        assert re.search(rf'href="{re.escape(entry)}\.html[#"]', index), (
            f"index.html does not link to {entry}.html"
        )
