"""Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``): fixes and additions to the book's HTML.

* The repository and issue buttons follow ``repository.url`` in ``_config.yml``: they are shown when it is
  set and hidden when it is empty, so that the book never links to a repository that does not exist.

* Every inline script is included once. Sphinx 7.4 keeps two copies of an inline script (one with no
  file name) that an extension adds once the builder exists: one under the file name ``None`` and one under
  ``''``, which it does not recognise as the same. sphinx-togglebutton's selector and sphinx-thebe's
  configuration are added that way, and the second ``const THEBE_JS_URL`` is a JavaScript error
  ("Identifier 'THEBE_JS_URL' has already been declared") on every page.

* Every page links to the same page in the book's other editions (``book_editions`` in ``_config.yml``: one
  per language, each with its label, its title and its folder relative to the English edition), in the
  article's header, left of its buttons, where it stays at phone width. The links are relative, so that they
  work from ``file://`` as from a server; the page's ``<head>`` also names them (``<link rel="alternate"
  hreflang>``). A page's language is Sphinx's ``language`` (the English edition leaves it unset: ``en``). Only
  the student edition is translated: the instructor edition has no such links.

* A translated string can paste a notebook's values (``{glue:text}`key:.2f```) as the English one does. Sphinx
  parses each translation as a small document of its own, for which MyST-NB has no notebook, so that every
  glue role in it would fail ("No key ... found in glue data for this document"): the translation of a string
  of a notebook is parsed with that notebook's outputs at hand.

* A figure's caption and its image's alt text, set in its code cell's metadata (``mystnb: figure: caption:``,
  ``mystnb: image: alt:``), are translated like the prose. They exist only once the cell's outputs do, and the
  strings are extracted with no execution (``make translations``): for the gettext builder, each such cell
  carries stand-ins, a caption and an image with that text, so that the catalogue has them; a translated
  edition then translates the real caption and alt text, which Sphinx's Locale transform treats alike.

* The captions of the table of contents (the parts of _toc.yml) are translated like the rest of the root page:
  Jupyter Book inserts its toctrees after Sphinx has translated the page, so that they would stay in English.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STYLESHEET = "book_html.css"  # in STATIC: the language link on the line of the header's buttons
LANGUAGE_SWITCH = "language-switch.html"


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


def language_tag(language: str | None) -> str:
    """zh_CN -> zh-CN (BCP 47, as HTML's lang and hreflang want it)."""
    return (language or "en").replace("_", "-")


def _editions(config) -> dict:
    """The language editions: none for the instructor edition, which is not translated (RNNBOOK_EDITION, read
    by rnnbook.source: the student edition when unset)."""
    if os.environ.get("RNNBOOK_EDITION", "student") == "instructor":
        return {}
    editions = config.book_editions or {}
    current = config.language or "en"
    if editions and current not in editions:
        raise ValueError(f"book_editions has no edition for the language being built ({current!r})")
    return editions


def _header_shows_language_links(app, config) -> None:
    if len(_editions(config)) < 2:
        return
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    app.add_css_file(STYLESHEET)
    options = config.html_theme_options
    end = options.get("article_header_end", "article-header-buttons.html")
    end = [t.strip() for t in end.split(",")] if isinstance(end, str) else list(end)
    if LANGUAGE_SWITCH not in end:
        options["article_header_end"] = [LANGUAGE_SWITCH, *end]


def twin_links(editions: dict, current: str, page_uri: str) -> list[dict]:
    """The same page (`page_uri`, relative to the root of the current edition, chapters/01_recurrence.html) in
    every other edition, as links relative to the page."""
    here = editions[current]["folder"] or "."
    up = "../" * page_uri.count("/")
    links = []
    for language, edition in editions.items():
        if language == current:
            continue
        folder = posixpath.relpath(edition["folder"] or ".", here)
        href = up + ("" if folder == "." else folder + "/") + page_uri
        links.append({"href": href, "lang": language_tag(language), "label": edition["label"],
                      "title": edition.get("title", edition["label"])})
    return links


def _language_links(app, pagename, templatename, context, doctree) -> None:
    editions = _editions(app.config)
    if len(editions) < 2:
        return
    links = twin_links(editions, app.config.language or "en", app.builder.get_target_uri(pagename))
    context["book_language_links"] = links
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{link["lang"]}" href="{html.escape(link["href"])}" />' for link in links)


# rnnbook.source writes, under a function whose body an exercise asks for, "The body of `f` is yours to write in
# <a>Exercise N: ...</a>." as a cell output. Outputs come from the English build's execution cache, so a
# translated edition rewrites the sentence with its edition's `exercise_note` and the exercise's translated title.
EXERCISE_NOTE = re.compile(r'<p class="exercise-note">The body of (?P<functions>.*?) is yours to write in '
                           r'<a href="(?P<href>[^"]+)">(?P<title>.*?)</a>\.</p>', re.S)


def translate_exercise_notes(output: str, note: dict, docname: str, titles: dict) -> str:
    """`output` (HTML) with every exercise note in the words of `note` ({"text": ..., "separator": ...});
    `titles` maps a docname to its title in this edition."""
    def rewrite(match):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(docname), match["href"]))
        title = titles.get(target.removesuffix(".html"))
        link = f'<a href="{match["href"]}">{html.escape(title) if title else match["title"]}</a>'
        functions = note.get("separator", ", ").join(match["functions"].split(", "))
        return f'<p class="exercise-note">{note["text"].format(functions=functions, exercise=link)}</p>'
    return EXERCISE_NOTE.sub(rewrite, output)


def _exercise_notes_in_this_language(app, doctree, docname) -> None:
    note = _editions(app.config).get(app.config.language or "en", {}).get("exercise_note")
    if not note:
        return
    titles = {name: title.astext() for name, title in app.env.titles.items()}
    for node in list(doctree.findall(nodes.raw)):
        if 'class="exercise-note"' in node.astext():
            node.replace_self(nodes.raw("", translate_exercise_notes(node.astext(), note, docname, titles),
                                        format=node.get("format", "html")))


# The notebook being read (its MyST-NB element renderer, which holds its outputs): one at a time per process.
_NOTEBOOK: dict = {}
TRANSLATED = "<translated>"  # how Sphinx names the document of a translated string: "<source>:<line>:<translated>"


def _glue_in_translated_strings() -> None:
    from myst_nb import sphinx_ as myst_nb_sphinx

    parse = myst_nb_sphinx.Parser.parse
    if getattr(parse, "book_html", False):
        return
    load_renderer = myst_nb_sphinx.load_renderer

    def load_renderer_remembering(name):
        renderer_class = load_renderer(name)

        def create(*args, **kwargs):
            _NOTEBOOK["element"] = element = renderer_class(*args, **kwargs)
            return element

        return create

    def parse_with_the_notebook(self, inputstring, document):
        source = document.current_source or ""
        element = _NOTEBOOK.get("element")
        notebook = getattr(getattr(element, "renderer", None), "document", None)
        if (source.endswith(TRANSLATED) and "nb_renderer" not in document and notebook is not None
                and source.startswith(f"{notebook['source']}:")):
            document.attributes["nb_renderer"] = element
            try:
                return parse(self, inputstring, document)
            finally:
                document.attributes.pop("nb_renderer", None)
        return parse(self, inputstring, document)

    parse_with_the_notebook.book_html = True
    myst_nb_sphinx.load_renderer = load_renderer_remembering
    myst_nb_sphinx.Parser.parse = parse_with_the_notebook


class TranslateTocCaptions(SphinxTransform):
    """Translate the captions of the toctrees that sphinx-external-toc inserts (at priority 100, after Sphinx's
    Locale transform at 20), with the page's catalogue, as Locale translates the page itself."""

    default_priority = 150

    def apply(self, **kwargs) -> None:
        toctrees = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not toctrees or (self.config.language or "en") == "en":
            return
        dirs = [str(Path(self.env.srcdir, directory)) for directory in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for node in toctrees:
            node["caption"] = node["rawcaption"] = catalog.gettext(node["caption"])


class FigureTextsForTranslation(SphinxTransform):
    """For the gettext builder: each code cell's figure caption and alt text, as a stand-in caption and image
    at the cell, before Sphinx gives translatable nodes their uids (priority 880)."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        if self.app.builder.name != "gettext":
            return
        for cell in self.document.findall(nodes.container):
            if cell.get("nb_element") != "cell_code":
                continue
            options = (cell.get("cell_metadata") or {}).get("mystnb") or {}
            caption = str((options.get("figure") or {}).get("caption") or "").strip()
            alt = (options.get("image") or {}).get("alt")
            if caption:
                # MyST-NB's caption is the first paragraph of the caption's Markdown (the rest is a legend).
                first = re.split(r"\n\s*\n", caption)[0]
                stand_in = nodes.caption(first, first)
                stand_in.source, stand_in.line = cell.source or self.document["source"], cell.line
                cell += stand_in
            if alt:
                stand_in = nodes.image(uri="", alt=str(alt))
                stand_in.source, stand_in.line = cell.source or self.document["source"], cell.line
                cell += stand_in


def setup(app):
    _glue_in_translated_strings()
    app.add_transform(TranslateTocCaptions)
    app.add_transform(FigureTextsForTranslation)
    app.add_config_value("book_editions", {}, "html", types=[dict])
    app.connect("config-inited", _buttons_follow_repository_url, priority=900)
    app.connect("config-inited", _header_shows_language_links, priority=900)
    # Before the theme's own handler (priority 500), which drops header templates that render empty.
    app.connect("html-page-context", _language_links, priority=400)
    app.connect("html-page-context", _include_each_inline_script_once, priority=900)
    app.connect("doctree-resolved", _exercise_notes_in_this_language)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
