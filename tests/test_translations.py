"""The Chinese edition: its catalogues keep step with the English pages, every translation keeps the English
string's mathematics, code, targets and links, and (marked `book`) the built edition in _build/html/zh links each
page to its English twin and back.

The first tests extract the English strings (a gettext build with no execution, a few seconds) and compare them
with locale/; they fail when an English page changed and `make translations` was not run, or a string is left
to translate, and say which, page by page.
"""

import html
import posixpath
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import book_html  # noqa: E402
import i18n  # noqa: E402
import po_check  # noqa: E402

SITE = ROOT / "_build" / "html"
EDITIONS = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["book_editions"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    return i18n.extract(tmp_path_factory.mktemp("gettext"))


def test_every_page_is_extracted(templates):
    pages = set(i18n.templates(templates))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    wanted = {toc["root"]} | {c["file"] for part in toc["parts"] for c in part["chapters"]}
    assert wanted <= pages, wanted - pages


def test_catalogues_are_in_step_with_the_english_pages(templates):
    """No string of an English page is new, changed, untranslated or fuzzy in a catalogue, none is left over."""
    found = i18n.status(templates)
    assert not found, ("the catalogues are not in step with the English pages: run `make translations`, translate "
                       "what is untranslated or fuzzy, then `python tools/po_check.py`:\n" + "\n".join(found))


def test_every_translation_keeps_mathematics_code_targets_and_links():
    catalogues = sorted((ROOT / "locale").rglob("*.po"))
    assert catalogues
    found = [f"{path.relative_to(ROOT)}: {line}" for path in catalogues for line in po_check.problems(path)]
    assert not found, "\n".join(found)


# The update (`make translations`) on catalogues made here.

def _write(path, messages, header=None):
    catalog = Catalog(locale="zh_CN", project=header)
    for msgid, msgstr in messages:
        catalog.add(msgid, msgstr)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog)


@pytest.fixture
def book(tmp_path):
    """Templates of two pages after a paragraph moved from one to the other and a sentence changed, and the
    catalogues as they were before."""
    pot, locale = tmp_path / "pot", tmp_path / "locale"
    po = locale / "zh_CN" / "LC_MESSAGES"
    moved = "A paragraph that moves to the next page, with $x_t$ in it."
    _write(po / "a.po", [("A title", "标题"), (moved, "一个段落，其中有 $x_t$。"),
                         ("The forget gate keeps what it keeps.", "遗忘门保留它保留的内容。")], header="book")
    _write(pot / "a.pot", [("A title", ""), ("The forget gate keeps what it keeps, and more.", "")])
    _write(pot / "b.pot", [(moved, ""), ("\nC_t = f_t * C_{t-1}\n", ""), ("\nx \\text{ if } y\n", ""),
                           ("A new paragraph.", "")])
    return pot, locale


def test_update_keeps_moved_translations_and_marks_changed_ones_fuzzy(book):
    pot, locale = book
    summary = i18n.update(pot, locale)
    assert any(line.startswith("zh_CN/LC_MESSAGES/b.po: created") for line in summary), summary
    a = i18n.read_catalogue(locale / "zh_CN" / "LC_MESSAGES" / "a.po")
    b = i18n.read_catalogue(locale / "zh_CN" / "LC_MESSAGES" / "b.po")
    assert [m.id for m in a if m.id] == ["A title", "The forget gate keeps what it keeps, and more."]
    assert a.get("A title").string == "标题" and not a.get("A title").fuzzy
    changed = a.get("The forget gate keeps what it keeps, and more.")
    assert changed.fuzzy and changed.string == "遗忘门保留它保留的内容。"
    assert changed.previous_id == ["The forget gate keeps what it keeps."]
    moved = b.get("A paragraph that moves to the next page, with $x_t$ in it.")
    assert moved.string == "一个段落，其中有 $x_t$。" and not moved.fuzzy
    assert b.get("\nC_t = f_t * C_{t-1}\n").string == "\nC_t = f_t * C_{t-1}\n"  # display mathematics
    assert b.get("\nx \\text{ if } y\n").string == ""  # words in it: a translator decides
    assert b.get("A new paragraph.").string == ""
    assert b.project == "book"  # a new catalogue has the header of the others


def test_update_is_stable(book):
    pot, locale = book
    i18n.update(pot, locale)
    files = {p: p.read_bytes() for p in locale.rglob("*.po")}
    assert i18n.update(pot, locale) == []
    assert {p: p.read_bytes() for p in locale.rglob("*.po")} == files
    text = (locale / "zh_CN" / "LC_MESSAGES" / "a.po").read_text()
    assert "#: " not in text  # no locations
    assert '#| msgid "The forget gate keeps what it keeps."' in text  # the previous string, as gettext writes it


def test_update_drops_a_page_no_longer_in_the_book(book):
    pot, locale = book
    (pot / "a.pot").unlink()
    summary = i18n.update(pot, locale)
    assert not (locale / "zh_CN" / "LC_MESSAGES" / "a.po").exists()
    assert "zh_CN/LC_MESSAGES/a.po: removed (the page is no longer in the book)" in summary


def test_status_names_the_page_and_the_string(book):
    pot, locale = book
    found = i18n.status(pot, locale)
    assert "zh_CN/a: changed: 'The forget gate keeps what it keeps, and more.', was " \
           "'The forget gate keeps what it keeps.'" in found
    assert "zh_CN/b: no catalogue (new page)" in found


def test_twin_links_are_relative():
    editions = {"en": {"label": "English", "folder": ""}, "zh_CN": {"label": "中文", "folder": "zh/"}}
    assert book_html.twin_links(editions, "en", "intro.html")[0]["href"] == "zh/intro.html"
    assert book_html.twin_links(editions, "en", "chapters/01_recurrence.html")[0]["href"] == \
        "../zh/chapters/01_recurrence.html"
    zh = book_html.twin_links(editions, "zh_CN", "exercises/ex01_recurrence/ex01_recurrence.html")[0]
    assert zh == {"href": "../../../exercises/ex01_recurrence/ex01_recurrence.html", "lang": "en",
                  "label": "English", "title": "English"}


def test_only_the_student_edition_links_to_other_languages(monkeypatch):
    config = SimpleNamespace(book_editions=EDITIONS, language=None)
    monkeypatch.delenv("RNNBOOK_EDITION", raising=False)
    assert set(book_html._editions(config)) == {"en", "zh_CN"}
    monkeypatch.setenv("RNNBOOK_EDITION", "instructor")  # not translated: no link to a page that is not there
    assert book_html._editions(config) == {}


def test_the_chinese_configuration_is_derived_from_the_english_one(tmp_path):
    config = yaml.safe_load(i18n.derived_config("zh_CN", tmp_path).read_text())
    english = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["config"]["language"] == "zh_CN"
    assert config["execute"]["cache"] == str(ROOT / "_build" / ".jupyter_cache")  # the English student build's
    assert config["execute"]["execute_notebooks"] == english["execute"]["execute_notebooks"]
    assert all(Path(path).is_absolute() for path in config["sphinx"]["local_extensions"].values())
    assert config["parse"] == english["parse"] and config["exclude_patterns"] == english["exclude_patterns"]
    gettext = yaml.safe_load(i18n.derived_config("gettext", tmp_path).read_text())
    assert gettext["execute"]["execute_notebooks"] == "off"


# The built editions (`make book`).

def _pages(site):
    """Every page of an edition with the book's header (the root index.html only redirects to the first page)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not {"_static", "_sources", "_images", "zh"} & set(p.relative_to(site).parts[:-1])
                  and p.relative_to(site).as_posix() != "index.html")


def _language_link(page):
    links = re.findall(r'<a class="btn btn-sm book-language-link" href="([^"]*)" hreflang="([^"]*)"',
                       page.read_text())
    assert len(links) == 1, f"{page}: {len(links)} language links"
    return html.unescape(links[0][0]), links[0][1]


@pytest.fixture(scope="module")
def editions():
    english, chinese = SITE, SITE / EDITIONS["zh_CN"]["folder"]
    for site in (english, chinese):
        if not (site / "index.html").exists():
            pytest.fail(f"{site.relative_to(ROOT)} is missing: run `make book` first")
    return english, chinese


@pytest.mark.book
def test_every_page_links_to_its_twin_and_back(editions):
    english, chinese = editions
    pages = _pages(english)
    assert "intro.html" in pages and "chapters/01_recurrence.html" in pages and "search.html" in pages
    assert _pages(chinese) == pages, "the two editions do not have the same pages"
    wrong = []
    for page in pages:
        for site, twin_site, lang in ((english, chinese, "zh-CN"), (chinese, english, "en")):
            href, hreflang = _language_link(site / page)
            target = Path(posixpath.normpath((site / page).parent.joinpath(href).as_posix()))
            if href.startswith(("/", "http:", "https:")) or target != twin_site / page or hreflang != lang:
                wrong.append(f"{(site / page).relative_to(SITE)}: {href} ({hreflang})")
    assert not wrong, "language links that do not lead to the same page in the other edition:\n" + "\n".join(wrong)


@pytest.mark.book
def test_the_chinese_edition_is_in_chinese(editions):
    english, chinese = editions
    untranslated, figures = [], []
    for page in _pages(chinese):
        text = (chinese / page).read_text()
        assert re.search(r'<html[^>]* lang="zh[-_]CN"', text), f"zh/{page} is not marked as Chinese"
        if page in {"genindex.html", "search.html"}:
            continue
        article = re.search(r'<article class="bd-article"[^>]*>(.*?)</article>', text, re.S)
        if not article or len(CJK.findall(re.sub(r"<[^>]+>", "", article.group(1)))) < 20:
            untranslated.append(page)
        # Figure captions and alt texts come from the cells' metadata: they are translated too.
        figures += [f"{page}: caption {re.sub(r'<[^>]+>', '', caption).strip()[:60]!r}"
                    for caption in re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S)
                    if not CJK.search(caption)]
        figures += [f"{page}: alt text {html.unescape(alt)[:60]!r}"
                    for alt in re.findall(r'<img\b[^>]*\balt="([^"]*)"', text) if not CJK.search(html.unescape(alt))]
        # Headings and the notes under hidden functions (cell outputs, rewritten by book_html) are Chinese too.
        for heading in re.findall(r"<h[1-4]>(.*?)</h[1-4]>", article.group(1) if article else "", re.S):
            words = re.findall(r"[A-Za-z]{4,}", re.sub(r'<span class="math[^"]*">.*?</span>|<[^>]+>', "", heading))
            if len(words) >= 3 and not CJK.search(heading):
                figures.append(f"{page}: heading {re.sub(r'<[^>]+>', '', heading).strip()[:60]!r}")
        figures += [f"{page}: exercise note in English" for _ in re.findall('class="exercise-note">The body of', text)]
    assert not untranslated, f"pages of the Chinese edition without Chinese text: {untranslated}"
    assert not figures, "figures, headings or notes of the Chinese edition in English:\n" + "\n".join(figures)
    assert 'lang="en"' in (english / "intro.html").read_text()
    title = re.search(r"<title>(.*?)</title>", (chinese / "intro.html").read_text(), re.S).group(1)
    assert CJK.search(title), title


def test_a_translated_edition_uses_the_sites_mathjax(tmp_path):
    site, zh = tmp_path, tmp_path / "zh"
    (site / "_static" / "mathjax").mkdir(parents=True)
    (zh / "_static" / "mathjax").mkdir(parents=True)
    (zh / "chapters").mkdir()
    tag = '<script defer="defer" src="{}_static/mathjax/tex-chtml-full.js?v=1"></script>'
    (zh / "intro.html").write_text(tag.format(""))
    (zh / "chapters" / "a.html").write_text(tag.format("../"))
    (zh / "plain.html").write_text("<p>no mathematics</p>")
    assert i18n.share_mathjax(site, zh) == 2
    assert (zh / "intro.html").read_text() == tag.format("../")
    assert (zh / "chapters" / "a.html").read_text() == tag.format("../../")
    assert not (zh / "_static" / "mathjax").exists() and (site / "_static" / "mathjax").is_dir()
    # each rewritten path leads from its page to the site's copy
    for page, src in ((zh / "intro.html", "../_static/mathjax"), (zh / "chapters" / "a.html", "../../_static/mathjax")):
        assert (page.parent / src).resolve() == (site / "_static" / "mathjax").resolve()


def test_exercise_notes_are_rewritten_in_the_editions_words():
    sys.path.insert(0, str(ROOT / "lib"))
    from rnnbook import source

    english = source._notes_html([("The body of `rnn_step_forward`, `rnn_forward` is yours to write in",
                                   "../exercises/ex01_recurrence/ex01_recurrence.html", "Exercise 1: forward")])
    note = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["book_editions"]["zh_CN"]
    titles = {"exercises/ex01_recurrence/ex01_recurrence": "练习 1：前向传播"}
    chinese = book_html.translate_exercise_notes(english, note["exercise_note"], "chapters/01_recurrence", titles)
    assert chinese == ('<p class="exercise-note"><code>rnn_step_forward</code>、<code>rnn_forward</code> 的函数体由你在'
                       '<a href="../exercises/ex01_recurrence/ex01_recurrence.html">练习 1：前向传播</a>中编写。</p>')
    assert "yours to write" not in chinese
