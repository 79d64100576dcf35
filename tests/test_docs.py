"""The documentation site: `mkdocs build --strict` passes, every page the README promises is
there, the API reference renders the classes people import, and a broken link fails."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_the_site_builds_strictly_with_every_page_and_the_api_reference(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = _build(ROOT / "mkdocs.yml", site)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WARNING" not in proc.stderr
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
    assert 'class="mermaid"' in (site / "architecture" / "index.html").read_text()


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    for name in ("alphatriangle", "models", "scripts", "README.md", "mkdocs.yml"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    with (tmp_path / "docs" / "speed.md").open("a") as page:
        page.write("\nSee [the missing page](no-such-page.md).\n")
    proc = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert "no-such-page.md" in proc.stderr
