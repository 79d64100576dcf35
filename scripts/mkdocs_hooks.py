"""MkDocs hooks: the site's home page is the repository's README, its links turned into
links between the site's pages (the README links `docs/training.md`, the site `training.md`)."""

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"


def site_links(markdown: str) -> str:
    """The README's relative links as the site's: `docs/` dropped, package READMEs as their
    pages under `packages/`."""
    markdown = re.sub(r"\]\(alphatriangle/(\w+)/README\.md\)", r"](packages/\1.md)", markdown)
    return re.sub(r"\]\(docs/", "](", markdown)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri == "index.md":
        return site_links(README.read_text())
    return markdown
