"""A written Markdown report as ONE self-contained HTML page that opens offline.

`write_html(report.md)` writes `report.html` beside it: the Markdown converted
by Python-Markdown (tables, fenced code), every figure it links
(`![..](plots/x.png)`) embedded as a base64 data URI, a small inline style
sheet (readable tables, a measure for the text, the system fonts with CJK
fallbacks) and nothing else: no script, no font, no style sheet or image
fetched from anywhere. A link to a file beside the report becomes its text
(the page travels alone); links to web pages stay links. Raw HTML in the
Markdown (a scenario's description is user text) is shown as text, not run.

The same Markdown and figures give the same bytes. `pages(drawn)` is the hook
the pipeline calls after a command's report has drawn (`Report.draw`,
experiments.engine.report): a page for every Markdown file drawn, so every
command and `plot DIR` write one.
"""

from __future__ import annotations

import base64
import html
import logging
import mimetypes
import re
from collections.abc import Iterable
from pathlib import Path
from xml.etree import ElementTree

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from model.errors import InputError

logger = logging.getLogger(__name__)

SUFFIX = ".html"
EXTENSIONS = ("tables", "fenced_code")
WEB = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
FONTS = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", '
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", sans-serif'
)
MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "Noto Sans Mono CJK SC", monospace'
STYLE = f"""\
body {{ margin: 0; background: #fff; color: #1b1f24; font-family: {FONTS}; line-height: 1.5; }}
main {{ max-width: 72rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }}
p, li {{ max-width: 52rem; }}
h1 {{ font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 1rem; }}
h2 {{ font-size: 1.35rem; margin-top: 2.25rem; padding-bottom: 0.2rem; border-bottom: 1px solid #d8dee4; }}
h3 {{ font-size: 1.1rem; margin-top: 1.75rem; }}
table {{ display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; margin: 1rem 0;
  font-size: 0.875rem; font-variant-numeric: tabular-nums; }}
th, td {{ border: 1px solid #d0d7de; padding: 0.35rem 0.6rem; vertical-align: top; }}
th {{ background: #f3f5f7; text-align: left; }}
tbody tr:nth-child(even) {{ background: #f9fafb; }}
img {{ display: block; max-width: 100%; height: auto; margin: 1rem auto; }}
code {{ font-family: {MONO}; font-size: 0.85em; background: #f3f5f7; padding: 0.1em 0.3em; border-radius: 3px; }}
pre {{ background: #f3f5f7; padding: 0.75rem 1rem; overflow-x: auto; border-radius: 4px; }}
pre code {{ background: none; padding: 0; }}
footer {{ margin-top: 3rem; color: #57606a; font-size: 0.8rem; }}
@media print {{ main {{ max-width: none; }} table {{ display: table; }} h2 {{ break-after: avoid; }} }}
"""
PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}</style>
</head>
<body>
<main>
{body}
<footer>{footer}</footer>
</main>
</body>
</html>
"""


def html_name(markdown_name: str) -> str:
    """The page's file name: `report.md` -> `report.html`."""
    return Path(markdown_name).with_suffix(SUFFIX).name


class _SelfContained(Treeprocessor):
    """Embeds every local image, unlinks every local link, and notes the first heading (the title)."""

    def __init__(self, md: markdown.Markdown, folder: Path, source: Path) -> None:
        super().__init__(md)
        self.folder, self.source = folder, source
        self.title = ""

    def run(self, root: ElementTree.Element) -> None:
        for el in root.iter():
            if not self.title and el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.title = " ".join("".join(el.itertext()).split())
            if el.tag == "img":
                self._embed(el)
            elif el.tag == "a" and not WEB.match(el.get("href", "")) and not el.get("href", "").startswith("#"):
                el.tag = "span"  # a file beside the report is not there when the page travels alone
                el.attrib.pop("href", None)
                el.attrib.pop("title", None)

    def _embed(self, el: ElementTree.Element) -> None:
        src = el.get("src", "")
        path = (self.folder / src).resolve()
        kind = IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or ""
        inside = path.is_relative_to(self.folder.resolve()) and ":" not in src.split("/")[0]
        if not (inside and kind.startswith("image/") and path.is_file()):
            raise InputError(
                self.source,
                "",
                f"the figure {src!r} it links is not a file beside it",
                "figures under the report's folder (plots/*.png), drawn before the page",
            )
        el.set("src", f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii"))


class _Offline(Extension):
    def __init__(self, folder: Path, source: Path) -> None:
        super().__init__()
        self.folder, self.source = folder, source
        self.processor: _SelfContained | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.deregister("html_block")  # raw HTML is shown as text
        md.inlinePatterns.deregister("html")
        self.processor = _SelfContained(md, self.folder, self.source)
        md.treeprocessors.register(self.processor, "offline", 15)  # after the inline patterns (20)


def render(text: str, folder: Path, source: Path) -> str:
    """The page of Markdown `text` whose relative links are relative to `folder`."""
    offline = _Offline(folder, source)
    md = markdown.Markdown(extensions=[*EXTENSIONS, offline], output_format="html")
    body = md.convert(text)
    title = offline.processor.title if offline.processor and offline.processor.title else source.stem
    footer = f"Written from {html.escape(source.name)}; the figures are embedded, so this page opens offline."
    return PAGE.format(title=html.escape(title), style=STYLE, body=body, footer=footer)


def write_html(report: Path) -> Path:
    """`<stem>.html` beside the Markdown report `report`, its figures embedded."""
    report = Path(report)
    page = render(report.read_text(encoding="utf-8"), report.parent, report)
    out = report.with_suffix(SUFFIX)
    out.write_text(page, encoding="utf-8")
    logger.info("wrote %s", out)
    return out


def pages(drawn: Iterable[Path]) -> list[Path]:
    """A page for every Markdown report among the files a command's report drew (its figures already written)."""
    return [write_html(p) for p in drawn if p.suffix == ".md"]
