"""Sphinx configuration of the skentropy documentation site.

Build (offline: no intersphinx, no theme icons that need the network)::

    python -m sphinx -W -b html docs docs/_build/html

``-D plot_gallery=0`` skips running ``examples/plot_*.py``.
"""

import os
import re

os.environ.setdefault("MPLBACKEND", "Agg")

import skentropy

# -- Project -----------------------------------------------------------------
project = "skentropy"
author = "The skentropy developers"
copyright = "The skentropy developers"
version = skentropy.__version__
release = skentropy.__version__

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
default_role = "literal"

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_default_options = {"inherited-members": True}
autodoc_member_order = "groupwise"
# "fit()" rather than "EEMLSTMClassifier.fit()" in the page's table of contents.
toc_object_entries_show_parents = "hide"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Validation is off: when on, numpydoc reports every check as a warning,
# which -W turns into a failed build. Run it by hand with
# ``python -m numpydoc lint`` to review the docstrings.
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

# numpydoc type fields such as ``ndarray of shape (n_features_in_,)`` name
# fitted attributes with a trailing underscore, which reStructuredText reads
# as a hyperlink reference ("Unknown target name"). Escape such words in the
# "name : type" lines of the sections (outside inline literals) before
# numpydoc renders them.
_FIELD_LINE = re.compile(r"^(\s*\*{0,2}\w+\s+:\s+)(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\w`\\])([A-Za-z]\w*)_(?![\w`])")


def _escape_trailing_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _FIELD_LINE.match(line)
        if match is None:
            continue
        head, kind = match.groups()
        parts = kind.split("``")
        parts[::2] = [_TRAILING_UNDERSCORE.sub(r"\1\\_", part) for part in parts[::2]]
        lines[i] = head + "``".join(parts)


# The metadata-routing setters that scikit-learn generates on every
# estimator (``set_fit_request`` ...) document scikit-learn, not us, and
# point at scikit-learn's user guide, which is not part of this site.
_SKLEARN_GENERATED = re.compile(r"^set_\w+_request$")


def _skip_member(app, what, name, obj, skip, options):
    if _SKLEARN_GENERATED.match(name):
        return True
    return None


# Labels of scikit-learn's own documentation that inherited scikit-learn
# docstrings (``set_output``, ``get_params`` ...) refer to. Without
# intersphinx (the build is offline) they are shown as plain text instead of
# failing the build; any other missing label still fails it.
_SKLEARN_LABELS = {
    "accuracy_score",
    "df_output_transform",
    "metadata_routing",
    "r2_score",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py",
}


def _sklearn_reference_as_text(app, env, node, contnode):
    if node.get("refdomain") == "std" and node.get("reftarget") in _SKLEARN_LABELS:
        return contnode
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    # Before numpydoc (default priority 500) turns the sections into markup.
    app.connect("autodoc-process-docstring", _escape_trailing_underscores, 400)
    app.connect("missing-reference", _sklearn_reference_as_text)


# -- MyST (CHANGELOG.md) -----------------------------------------------------
myst_heading_anchors = 3

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py run; quickstart.py is shown without running.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    # "Examples using X" mini-galleries on the API pages.
    "doc_module": ("skentropy",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skentropy": None},
    "show_memory": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skentropy {release}"
html_short_title = "skentropy"
html_theme_options = {
    "logo": {"text": "skentropy"},
    "icon_links": [],
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
# No left sidebar on the pages without sub-pages.
html_sidebars = {
    page: []
    for page in (
        "index",
        "install",
        "getting_started",
        "sequences",
        "scaling_out",
        "changelog",
    )
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_copy_source = False
