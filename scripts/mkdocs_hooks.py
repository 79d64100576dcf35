"""MkDocs hooks: the site's home page is the repository's README, its links turned into
links between the site's pages (the README links `docs/training.md`, the site `training.md`);
each Mermaid diagram is shown as the SVG drawn from it (`make diagrams`), so the site needs
no network to draw it."""

import hashlib
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DIAGRAMS = ROOT / "docs" / "diagrams"
MERMAID_FENCE = re.compile(r"^```mermaid\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r'<div class="diagram" data-drawing="(\w+)"></div>')


def site_links(markdown: str) -> str:
    """The README's relative links as the site's: `docs/` dropped, package READMEs as their
    pages under `packages/`."""
    markdown = re.sub(r"\]\(alphatriangle/(\w+)/README\.md\)", r"](packages/\1.md)", markdown)
    return re.sub(r"\]\(docs/", "](", markdown)


def drawing_name(source: str) -> str:
    """The drawing's file stem: a hash of the diagram's source, so an edited diagram has no
    drawing until it is drawn again."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def mermaid_sources(markdown: str) -> list[str]:
    """The source of every Mermaid fence in a page, in order."""
    return [match.group(1) for match in MERMAID_FENCE.finditer(markdown)]


def with_drawings(markdown: str, page: str) -> str:
    """Each Mermaid fence replaced by a placeholder for its drawing; a fence with no drawing
    fails the build with the command that draws it."""

    def placeholder(match: re.Match[str]) -> str:
        name = drawing_name(match.group(1))
        if not (DIAGRAMS / f"{name}.svg").is_file():
            raise PluginError(
                f"{page}: a Mermaid diagram has no drawing docs/diagrams/{name}.svg; "
                "run `make diagrams`"
            )
        return f'<div class="diagram" data-drawing="{name}"></div>'

    return MERMAID_FENCE.sub(placeholder, markdown)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri == "index.md":
        markdown = site_links(README.read_text())
    return with_drawings(markdown, page.file.src_uri)


def on_page_content(html: str, **_: Any) -> str:
    """The drawings inlined as SVG elements (not images: their text stays searchable and
    selectable)."""
    return PLACEHOLDER.sub(
        lambda m: f'<div class="diagram">{(DIAGRAMS / f"{m.group(1)}.svg").read_text()}</div>',
        html,
    )
