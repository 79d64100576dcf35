"""Draw the docs' Mermaid diagrams as SVG files, which the site shows with no network.

    python scripts/render_diagrams.py     (make diagrams)

Every ```mermaid fence in docs/*.md is drawn by Mermaid (the npm package, at the version and
integrity pinned here) in Debian's Chromium, into docs/diagrams/<hash of its source>.svg;
drawings no page uses any more are removed. The MkDocs hook inlines them and fails the build
for a fence with no drawing. Needs npm and chromium (`make browser`).
"""

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from mkdocs_hooks import DIAGRAMS, ROOT, drawing_name, mermaid_sources
from playwright.sync_api import sync_playwright

MERMAID_VERSION = "12.4.0"
MERMAID_INTEGRITY = (
    "sha512-j2gvsGUFeS/53WdYLl9H5G2YtMZX9G/PlCvV3E5Pf4j5XSnK19Dw"
    "azU6wki7OTcKeYKed7+qujRDLhy8NV2zBg=="
)


def mermaid_script(directory: Path) -> str:
    """The text of Mermaid's browser bundle, from the pinned npm tarball (checked)."""
    subprocess.run(
        ["npm", "pack", "--silent", f"mermaid@{MERMAID_VERSION}"],
        cwd=directory, check=True, capture_output=True,
    )  # fmt: skip
    tarball = directory / f"mermaid-{MERMAID_VERSION}.tgz"
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != MERMAID_INTEGRITY:
        raise SystemExit(f"{tarball.name} does not match its pinned integrity; not drawing")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/dist/mermaid.min.js")
        assert member is not None
        return member.read().decode()


def draw(sources: list[str], script: str, chromium: str) -> list[str]:
    """Each source drawn to SVG text by Mermaid in a blank page."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content("<!doctype html><html><body></body></html>")
            page.add_script_tag(content=script)
            page.evaluate("mermaid.initialize({startOnLoad: false, theme: 'default'})")
            return [
                page.evaluate(
                    "async ([id, text]) => (await mermaid.render(id, text)).svg",
                    [f"diagram-{drawing_name(source)}", source],
                )
                for source in sources
            ]
        finally:
            browser.close()


def as_xml(svg: str) -> str:
    """Mermaid's SVG with its HTML labels' line breaks closed, so the file is well-formed XML
    that an SVG viewer opens too, not only an HTML page."""
    return re.sub(r"<br\s*>", "<br/>", svg)


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None or shutil.which("npm") is None:
        raise SystemExit("drawing diagrams needs npm and Debian's chromium (make browser)")
    pages = sorted((ROOT / "docs").rglob("*.md"))
    sources = [source for page in pages for source in mermaid_sources(page.read_text())]
    with tempfile.TemporaryDirectory() as directory:
        script = mermaid_script(Path(directory))
    DIAGRAMS.mkdir(exist_ok=True)
    wanted = {f"{drawing_name(source)}.svg" for source in sources}
    for stale in DIAGRAMS.glob("*.svg"):
        if stale.name not in wanted:
            stale.unlink()
    for source, svg in zip(sources, draw(sources, script, chromium), strict=True):
        (DIAGRAMS / f"{drawing_name(source)}.svg").write_text(as_xml(svg) + "\n")
    print(f"drew {len(sources)} diagram(s) into {DIAGRAMS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
