"""How well and how fast the portal reads meter displays: generated photos with known readings.

    make bench-recognition                       # the portal's engine, 500 drum + 500 LCD photos
    .venv/bin/python bench/recognition.py --count 100 --engines ours,tesseract-photo,tesseract-strip,ssocr-strip
    <a venv with rapidocr-onnxruntime>/bin/python bench/recognition.py --count 100 --engines rapidocr-photo

Photos come from readings/recognition/synthetic.py (seeded: the same photos every run) and are drawn
before the clock starts. For each engine and kind: the share read exactly right (the whole part),
the share wrong but sure (confidence at or above recognition.CONFIDENT; an engine with no confidence
is always sure), and the CPU time per photo (process CPU, plus the child process's for command-line
engines), median and 90th percentile, and the wall time of the engine's photos. Appends a section to
bench/RESULTS.md unless --no-append. `--profile` runs each engine under cProfile (CPU time) and prints its
top five costs (the CPU figures then include the profiler's overhead).
Pure: no Django, no database.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.profiling import add_profile_argument, profiled  # noqa: E402
from bench.results import results_append  # noqa: E402
from readings import recognition  # noqa: E402
from readings.recognition import engine, synthetic  # noqa: E402


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _whole(text: str) -> int | None:
    """The longest run of digits before a decimal point, as other engines print it."""
    runs = re.findall(r"\d+(?:[.,]\d+)?", text.replace(" ", ""))
    if not runs:
        return None
    best = max(runs, key=lambda r: len(re.split(r"[.,]", r)[0]))
    return int(re.split(r"[.,]", best)[0])


def _strip(image: bytes):
    """Our row finder's level crop of the display (digits 48 px tall), as a grayscale array, or None."""
    rgb = engine.decode(image)
    if rgb is None:
        return None
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    rows = engine._candidate_rows(gray)
    if not rows:
        return None
    row, dark_ink = rows[0]
    _, strip = engine._strip(rgb, gray, row)
    top = int((engine.ABOVE - 0.3) * engine.STRIP_H)
    strip = strip[top:, int(engine.LEFT * engine.STRIP_H * 0.6) :]
    return strip if dark_ink else 255 - strip


def ours(image: bytes):
    r = recognition.recognize(image, "total")
    return r.values.get("total"), r.sure, r.code


def tesseract(image_or_gray, psm: int):
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        if isinstance(image_or_gray, bytes):
            rgb = engine.decode(image_or_gray)
            cv2.imwrite(f.name, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        else:
            cv2.imwrite(f.name, image_or_gray)
        out = subprocess.run(
            ["tesseract", f.name, "stdout", "--psm", str(psm), "-c", "tessedit_char_whitelist=0123456789.", "tsv"],
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        ).stdout
    words = []
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) == 12 and cols[11].strip():
            words.append((cols[11].strip(), float(cols[10]), int(cols[9])))
    if not words:
        return None, False, None
    text, conf, _ = max(words, key=lambda w: (len(re.sub(r"\D", "", w[0].split(".")[0])), w[2]))
    return _whole(text), conf >= 80, None


def tesseract_photo(image: bytes):
    return tesseract(image, 11)


def tesseract_strip(image: bytes):
    strip = _strip(image)
    return (None, False, None) if strip is None else tesseract(strip, 7)


def ssocr_strip(image: bytes):
    strip = _strip(image)
    if strip is None:
        return None, False, None
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        cv2.imwrite(f.name, strip)
        out = subprocess.run(["ssocr", "-d", "-1", "-T", "-C", f.name], capture_output=True, text=True).stdout
    return _whole(out.strip()), True, None  # ssocr gives no confidence


_rapid = None


def rapidocr_photo(image: bytes):
    global _rapid
    if _rapid is None:
        from rapidocr_onnxruntime import RapidOCR

        _rapid = RapidOCR()
    rgb = engine.decode(image)
    result, _ = _rapid(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not result:
        return None, False, None
    # the reading is the tallest text with digits in it
    with_digits = [r for r in result if re.search(r"\d{3,}", r[1])]
    if not with_digits:
        return None, False, None
    box, text, score = max(with_digits, key=lambda r: np.ptp([p[1] for p in r[0]]))
    return _whole(text), float(score) >= 0.9, None


ENGINES = {
    "ours": ours,
    "tesseract-photo": tesseract_photo,
    "tesseract-strip": tesseract_strip,
    "ssocr-strip": ssocr_strip,
    "rapidocr-photo": rapidocr_photo,
}


def run(engine_name: str, photos: list[synthetic.Photo], verbose: bool = False) -> dict:
    fn = ENGINES[engine_name]
    cpu, right, sure_wrong, code_right = [], 0, 0, 0
    wall = time.perf_counter()
    for p in photos:
        t0, c0 = time.process_time(), _children_cpu()
        value, sure, code = fn(p.image)
        cpu.append((time.process_time() - t0) + (_children_cpu() - c0))
        ok = value == p.value
        right += ok
        sure_wrong += (not ok) and sure
        code_right += code == p.code
        if verbose and not ok:
            print(f"  {p.kind} value {p.value} code {p.code}: read {value} code {code} sure {sure}", file=sys.stderr)
    wall = time.perf_counter() - wall
    n = len(photos)
    cpu.sort()
    return {
        "n": n,
        "right": right / n,
        "sure_wrong": sure_wrong / n,
        "code_right": code_right / n,
        "median_ms": statistics.median(cpu) * 1000,
        "p90_ms": cpu[int(n * 0.9)] * 1000,
        "cpu_s": sum(cpu),
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="photos of each kind")
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--engines", default="ours", help=f"comma-separated: {', '.join(ENGINES)}")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every photo read wrong")
    add_profile_argument(parser)
    args = parser.parse_args()
    names = args.engines.split(",")
    for name in names:
        if name not in ENGINES:
            parser.error(f"unknown engine {name}")
    t0 = time.perf_counter()
    photos = {
        kind: [synthetic.sample(kind, seed) for seed in range(args.start, args.start + args.count)]
        for kind in ("drum", "lcd")
    }
    print(f"generated {2 * args.count} photos in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    # Warm up: the glyph templates are drawn once per process, not per photo.
    recognition.recognize(photos["drum"][0].image)
    lines = []
    for name in names:
        for kind, items in photos.items():
            with profiled(args.profile, label=f"{name}, {kind}"):
                r = run(name, items, args.verbose)
            code = f"{r['code_right']:.1%}" if name == "ours" and kind == "lcd" else "—"
            line = (
                f"| {name} | {kind} | {r['n']} | {r['right']:.1%} | {r['sure_wrong']:.1%} | {code} | "
                f"{r['median_ms']:.0f} ms | {r['p90_ms']:.0f} ms | {r['cpu_s']:.1f} s ({r['wall_s']:.1f} s wall) |"
            )
            print(line, file=sys.stderr)
            lines.append(line)
    columns = (
        "engine | kind | photos | whole value right | wrong but sure | code right | CPU median | CPU p90 | CPU total"
    )
    command = "bench/recognition.py " + " ".join(sys.argv[1:])
    note = (
        f"CONFIDENT = {recognition.CONFIDENT}; CPU-seconds per photo (process + child processes), "
        "photos drawn before timing; machine shared by 7 engineers (2 cores)"
    )
    if args.no_append:
        print("\n".join([f"| {columns} |", *lines]))
    else:
        results_append(command=f"{command} ({note})", lines=lines, database="no database", columns=columns)


if __name__ == "__main__":
    main()
