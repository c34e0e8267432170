"""Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``): two fixes to the book's HTML.

* The repository and issue buttons follow ``repository.url`` in ``_config.yml``: they are shown when it is
  set and hidden when it is empty, so that the book never links to a repository that does not exist.

* Every inline script is included once. Sphinx 7.4 keeps two copies of an inline script (one with no
  file name) that an extension adds once the builder exists: one under the file name ``None`` and one under
  ``''``, which it does not recognise as the same. sphinx-togglebutton's selector and sphinx-thebe's
  configuration are added that way, and the second ``const THEBE_JS_URL`` is a JavaScript error
  ("Identifier 'THEBE_JS_URL' has already been declared") on every page.
"""

from __future__ import annotations


def _buttons_follow_repository_url(app, config) -> None:
    options = config.html_theme_options
    shown = bool((options.get("repository_url") or "").strip())
    options["use_repository_button"] = shown
    options["use_issues_button"] = shown


def _include_each_inline_script_once(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        filename = getattr(script, "filename", script) or ""
        attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
        if (filename, attributes) not in seen:
            seen.add((filename, attributes))
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("config-inited", _buttons_follow_repository_url, priority=900)
    app.connect("html-page-context", _include_each_inline_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
