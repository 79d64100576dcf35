"""The documentation site: `mkdocs build --strict` passes, every page the README promises is
there, the API reference renders the classes people import, the architecture diagram draws in
Chromium with the network off, and a broken link or an undrawn diagram fails the build."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "install", "training", "evaluating", "playing", "environments", "reliability", "speed",
    "experiments", "architecture", "commands", "status", "agents",
]  # fmt: skip
API = {
    "game": ["GameState", "GameBatch"],
    "envs": ["AlphaTriangleEnv", "AlphaTriangleVectorEnv"],
    "nn": ["NeuralNetwork"],
    "mcts": ["BatchedMCTS", "GumbelRoot", "PuctRoot"],
    "rl": ["ExperienceBuffer", "Trainer"],
    "config": ["RunConfig", "TrainConfig", "SelfPlayConfig", "MCTSConfig"],
}


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    return subprocess.run(
        [str(mkdocs), "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=config.parent, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's site, built once for this module's tests."""
    site = tmp_path_factory.mktemp("docs") / "site"
    proc = _build(ROOT / "mkdocs.yml", site)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WARNING" not in proc.stderr
    return site


def test_the_site_builds_strictly_with_every_page_and_the_api_reference(site: Path) -> None:
    home = (site / "index.html").read_text()
    assert "What it reaches" in home and 'href="training/#learning-on-a-laptop"' in home
    for page in PAGES:
        assert (site / page / "index.html").is_file(), page
    for package in (ROOT / "alphatriangle").glob("*/README.md"):
        name = package.parent.name
        text = (site / "packages" / name / "index.html").read_text()
        assert f"<code>alphatriangle.{name}</code>" in text, package
    for page, names in API.items():
        text = (site / "api" / page / "index.html").read_text()
        for name in names:
            assert re.search(rf'id="alphatriangle\.[\w.]*\b{name}"', text), (page, name)


def test_the_architecture_diagram_draws_with_the_network_off(site: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium)")
    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(offline=True)

            def refuse(route: Any) -> None:
                refused.append(route.request.url)
                route.abort()

            context.route(re.compile(r"^(?!file:)"), refuse)
            page = context.new_page()
            page.goto((site / "architecture" / "index.html").as_uri())
            drawing = page.locator("div.diagram svg")
            drawing.wait_for()
            box = drawing.bounding_box()
            labels = drawing.text_content() or ""
            body = page.locator("article").inner_text()
        finally:
            browser.close()
    assert box is not None and box["width"] > 300 and box["height"] > 200, box
    for label in ("SelfPlayWorker", "ExperienceBuffer", "Trainer", "MLflow store"):
        assert label in labels, labels
    assert "flowchart" not in body and "-->" not in body
    assert [url for url in refused if url.endswith(".js")] == [], "the page needs remote scripts"


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    for name in ("alphatriangle", "models", "scripts", "README.md", "mkdocs.yml"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    with (tmp_path / "docs" / "speed.md").open("a") as page:
        page.write("\nSee [the missing page](no-such-page.md).\n")
    proc = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert "no-such-page.md" in proc.stderr


def test_a_diagram_with_no_drawing_fails_the_build_with_the_command_that_draws_it() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from mkdocs.exceptions import PluginError
    from mkdocs_hooks import drawing_name, mermaid_sources, with_drawings

    drawn = "flowchart LR\n    A --> B\n"
    assert drawing_name(drawn) == "a73441da373d3f60"  # sha256 of the source, 16 hex digits
    page = f"Text.\n\n```mermaid\n{drawn}```\n"
    missing = rf"docs/diagrams/{drawing_name(drawn)}.svg; run `make diagrams`"
    with pytest.raises(PluginError, match=missing):
        with_drawings(page, "new.md")
    drawn_ones = [
        s for page in (ROOT / "docs").rglob("*.md") for s in mermaid_sources(page.read_text())
    ]
    assert drawn_ones, "the docs have no Mermaid diagram left to check"
    name = drawing_name(drawn_ones[0])
    placeholder = with_drawings(f"```mermaid\n{drawn_ones[0]}```\n", "architecture.md")
    assert placeholder == f'<div class="diagram" data-drawing="{name}"></div>\n'
