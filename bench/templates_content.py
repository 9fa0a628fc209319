"""Benchmark: the template editor's server-side helpers on small, typical and huge templates.

    .venv/bin/python bench/templates_content.py [--repeat 15]

The editor calls lint (`apps.mailtemplates.content.lint_template`) after each pause in typing,
"Generate from HTML" calls `html_to_text`, every preview fills merge tags, and an import unpacks
a .zip and embeds its images. Prints the median and worst time of each on 10 KB, 100 KB and
1 MB of Chinese HTML (and a 2 MB .zip of 20 images).

Target (issue #4, set here): lint and merge-tag filling under 50 ms for a 100 KB template, so
the live panels keep up with typing; everything under 1 s even for 1 MB.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edmportal.settings.test")

import django  # noqa: E402

django.setup()

from apps.mailtemplates.content import (  # noqa: E402
    SAMPLE_CONTACT,
    fill_merge_tags,
    html_to_text,
    import_file,
    lint_template,
)

BLOCK = (
    '<table role="presentation" width="100%"><tr><td style="padding:12px">'
    "<h2>春季新品 {$fullname}</h2><p>尊敬的会员，您好！本季新品已经上架，会员专享八折优惠，"
    "欢迎选购。您的会员编号是 {$var1}。</p>"
    '<p><img src="https://example.com/p.png" alt="新品图片" width="560"></p>'
    '<ul><li>第一件商品</li><li>第二件商品</li></ul><p><a href="https://example.com/shop">'
    "立即选购</a></p></td></tr></table>\n"
)


def html_of(size: int) -> str:
    body = BLOCK * max(1, size // len(BLOCK.encode()))
    return (
        "<html><body>" + body + '<p><a href="https://example.com/unsubscribe">退订</a></p>'
        "</body></html>"
    )


def zip_of(images: int, image_bytes: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        page = "".join(f'<img src="img/{i}.png" alt="{i}">' for i in range(images))
        zf.writestr("index.html", f"<html><body>{page}{BLOCK}</body></html>")
        for i in range(images):
            zf.writestr(f"img/{i}.png", os.urandom(image_bytes))
    return buf.getvalue()


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rows = []
    for label, size in (("10 KB", 10_000), ("100 KB", 100_000), ("1 MB", 1_000_000)):
        html = html_of(size)
        text = html_to_text(html)
        cases = {
            "lint_template": lambda h=html, t=text: lint_template(
                html_source=h, text=t, subjects=["春季新品"]
            ),
            "html_to_text": lambda h=html: html_to_text(h),
            "fill_merge_tags": lambda h=html: fill_merge_tags(h, SAMPLE_CONTACT, escape=True),
        }
        for name, fn in cases.items():
            median, worst = timed(fn, args.repeat)
            rows.append((name, label, median, worst))
    archive = zip_of(20, 100_000)
    median, worst = timed(lambda: import_file("mail.zip", archive), args.repeat)
    rows.append(("import_file (.zip)", f"{len(archive) // 1_000_000} MB, 20 images", median, worst))

    print(f"{'operation':<20} {'input':<20} {'median ms':>10} {'worst ms':>10}")
    print("-" * 63)
    for name, label, median, worst in rows:
        print(f"{name:<20} {label:<20} {median:>10.1f} {worst:>10.1f}")
    live = [m for n, lbl, m, _ in rows if lbl == "100 KB" and n != "html_to_text"]
    ok = max(live) < 50 and max(w for *_, w in rows) < 1000
    print(
        f"\ntarget (lint and merge tags < 50 ms at 100 KB; all < 1 s): {'met' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
