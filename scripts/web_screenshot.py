"""The README's picture of `play --web`: the shipped agent's game on a seed after a few of its
moves, with its analysis shown, in Debian's Chromium.

    python scripts/web_screenshot.py [--agent models/laptop] [--seed 20240007] [--moves 12]
        [--width 1180] [--height 860] [--out docs/web-page.png]

The phone picture in docs/playing.md: `--width 390 --height 844 --out docs/web-page-phone.png`
(the whole page, scrolled).
"""

import argparse
import shutil
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from alphatriangle.data import DEFAULT_ROOT
from alphatriangle.web.server import bind_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="models/laptop")
    parser.add_argument("--seed", type=int, default=20_240_007)
    parser.add_argument("--moves", type=int, default=12)
    parser.add_argument("--width", type=int, default=1180)
    parser.add_argument("--height", type=int, default=860)
    parser.add_argument("--out", type=Path, default=Path("docs/web-page.png"))
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: make browser")
    web = bind_server(args.agent, DEFAULT_ROOT)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        phone = args.width < 600
        page = browser.new_page(
            viewport={"width": args.width, "height": args.height}, is_mobile=phone, has_touch=phone
        )
        page.goto(f"{web.url}&seed={args.seed}")
        page.wait_for_selector("body[data-ready='1']")
        for move in range(args.moves):
            page.click("#agent-move")
            page.wait_for_function(f"document.getElementById('moves').textContent === '{move + 1}'")
        page.click("#hint")
        page.wait_for_function("document.getElementById('board').dataset.hint !== ''")
        page.screenshot(path=str(args.out), full_page=phone)
        browser.close()
    web.server.should_exit = True
    thread.join(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
