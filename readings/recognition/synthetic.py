"""Photos of meters with known readings, drawn here, for the tests and bench/recognition.py.

Not imported by the portal at run time (only tests and the benchmark import it). Every photo is a
pure function of its arguments: the same seed gives the same bytes.

Two kinds, as the seeds' regions have them:
- drum counters: 4-7 black-on-white (or white-on-black, `inverted`) wheels drawn with the fonts Debian
  installs (DejaVu; Pillow's own font where none is found), often a red tenths wheel last;
- LCD displays: seven-segment digits (slanted or upright, thin or bold, unlit segments faintly
  visible), the register code in smaller digits beside or above ('1.8.1', '15.8.2', 'T21'), and
  sometimes decimals after a point.

The photo then gets what a phone adds: a background, rotation up to 15 degrees, perspective, a light
gradient, glare, blur, noise, a size from 360 to 1100 px wide and JPEG quality from 40 to 95.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from readings.recognition.glyphs import font_paths

FONT_NAMES = (
    "DejaVuSans-Bold.ttf",
    "DejaVuSans.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansCondensed.ttf",
)


def installed_fonts() -> list[str]:
    return font_paths(FONT_NAMES)


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size=size)


# ---------------------------------------------------------------- seven segments
# Segments: a top, b top right, c bottom right, d bottom, e bottom left, f top left, g middle.
SEGMENTS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
    "-": "g",
}
# Variants some meters use: a 6 without its top, a 9 without its bottom, a 7 with the top-left bar.
VARIANTS = {"6": "cdefg", "9": "abcfg", "7": "abcf"}


def _segment_polygons(x: float, y: float, w: float, h: float, t: float, gap: float) -> dict[str, list]:
    """Hexagonal segments of one digit cell (upright; the slant is applied by the caller)."""
    half = t / 2
    mid = y + h / 2

    def horizontal(cy):
        x0, x1 = x + gap + half, x + w - gap - half
        return [(x0 - half, cy), (x0, cy - half), (x1, cy - half), (x1 + half, cy), (x1, cy + half), (x0, cy + half)]

    def vertical(cx, y0, y1):
        y0, y1 = y0 + gap + half, y1 - gap - half
        return [(cx, y0 - half), (cx + half, y0), (cx + half, y1), (cx, y1 + half), (cx - half, y1), (cx - half, y0)]

    left, right = x + half, x + w - half
    top, bottom = y + half, y + h - half
    return {
        "a": horizontal(top),
        "g": horizontal(mid),
        "d": horizontal(bottom),
        "f": vertical(left, top, mid),
        "b": vertical(right, top, mid),
        "e": vertical(left, mid, bottom),
        "c": vertical(right, mid, bottom),
    }


def _draw_seven(draw, char, x, y, w, h, t, gap, slant, ink, ghost, variants):
    if char == "T":  # the tariff letter: a top bar and a stem, as LCD meters draw it
        polys = _segment_polygons(x, y, w, h, t, gap)
        lit = [
            polys["a"],
            [
                (x + w / 2 - t / 2, y + t),
                (x + w / 2 + t / 2, y + t),
                (x + w / 2 + t / 2, y + h),
                (x + w / 2 - t / 2, y + h),
            ],
        ]
        unlit = []
    else:
        segs = VARIANTS[char] if char in variants else SEGMENTS[char]
        polys = _segment_polygons(x, y, w, h, t, gap)
        lit = [polys[s] for s in segs]
        unlit = [polys[s] for s in "abcdefg" if s not in segs]

    def shear(poly):
        return [(px + slant * (y + h - py), py) for px, py in poly]

    if ghost is not None:
        for poly in unlit:
            draw.polygon(shear(poly), fill=ghost)
    for poly in lit:
        draw.polygon(shear(poly), fill=ink)


@dataclass(frozen=True)
class Photo:
    image: bytes
    value: int  # the whole part the display shows
    code: str | None
    kind: str  # "drum" or "lcd"


def _rgb(rng, base, spread):
    return tuple(max(0, min(255, int(c + rng.uniform(-spread, spread)))) for c in base)


# ---------------------------------------------------------------- the two kinds of display
def _drum_face(value, digits, red_tenths, inverted, rng):
    text = str(value).zfill(digits)
    fonts = installed_fonts() or [None]
    font_path = rng.choice(fonts)
    cell_h = rng.randint(64, 96)
    cell_w = int(cell_h * rng.uniform(0.62, 0.8))
    sep = rng.randint(3, 9)
    frame = rng.randint(6, 16)
    n = len(text) + (1 if red_tenths else 0)
    win_w = n * cell_w + (n - 1) * sep + 2 * frame + (rng.randint(4, 14) if red_tenths else 0)
    win_h = cell_h + 2 * frame
    face_w = win_w + rng.randint(80, 200)
    face_h = win_h + rng.randint(90, 180)
    face_color = _rgb(rng, rng.choice([(225, 225, 220), (200, 205, 210), (235, 228, 205), (60, 62, 66)]), 12)
    face = Image.new("RGB", (face_w, face_h), face_color)
    draw = ImageDraw.Draw(face)
    wx = rng.randint(30, face_w - win_w - 30)
    wy = rng.randint(25, face_h - win_h - 50)
    frame_color = _rgb(rng, (25, 25, 28), 15)
    draw.rectangle([wx, wy, wx + win_w, wy + win_h], fill=frame_color)
    wheel_bg = (20, 20, 22) if inverted else (242, 240, 232)
    wheel_ink = (238, 238, 232) if inverted else (18, 18, 20)
    font = _font(font_path, int(cell_h * rng.uniform(0.62, 0.78)))
    x = wx + frame
    for i, ch in enumerate(text + ("T" if red_tenths else "")):
        red = red_tenths and i == len(text)
        if red:
            x += rng.randint(4, 14) // 2
            ch = str(rng.randint(0, 9))
            if rng.random() < 0.6:
                bg, ink = _rgb(rng, (200, 30, 30), 20), (245, 240, 235)
            else:
                bg, ink = (242, 240, 232), _rgb(rng, (205, 25, 25), 20)
        else:
            bg, ink = _rgb(rng, wheel_bg, 6), _rgb(rng, wheel_ink, 6)
        cell = Image.new("RGB", (cell_w, cell_h), bg)
        cd = ImageDraw.Draw(cell)
        # The wheel is a cylinder: darker towards its top and bottom edges.
        shade = np.linspace(-1, 1, cell_h) ** 2 * rng.uniform(0.15, 0.45)
        box = cd.textbbox((0, 0), ch, font=font)
        gx = (cell_w - (box[2] - box[0])) / 2 - box[0] + rng.uniform(-2, 2)
        gy = (cell_h - (box[3] - box[1])) / 2 - box[1] + rng.uniform(-0.06, 0.06) * cell_h
        cd.text((gx, gy), ch, font=font, fill=ink)
        arr = np.asarray(cell).astype(np.float32) * (1 - shade[:, None, None])
        face.paste(Image.fromarray(arr.clip(0, 255).astype(np.uint8)), (x, wy + frame))
        x += cell_w + sep
    small = _font(font_path, rng.randint(14, 22))
    ink = (20, 20, 20) if sum(face_color) > 300 else (230, 230, 230)
    draw.text((wx + win_w + 8, wy + win_h - 24), "kWh", font=small, fill=ink)
    draw.text((wx, wy + win_h + 12), f"No {rng.randint(10**6, 10**7 - 1)}  220V 5-60A 50Hz", font=small, fill=ink)
    draw.text((wx, max(2, wy - 26)), rng.choice(["CE-102", "NIK 2102", "GAMA 100", "Energomera"]), font=small, fill=ink)
    return face


def _lcd_face(value, code, decimals, rng):
    panel_bg = _rgb(rng, rng.choice([(168, 182, 160), (190, 196, 180), (150, 170, 165), (200, 200, 195)]), 10)
    ink = _rgb(rng, (35, 40, 38), 10)
    ghost = None
    if rng.random() < 0.5:
        ghost = tuple(int(c - rng.uniform(8, 22)) for c in panel_bg)
    digits = max(len(str(value)), rng.choice([5, 6, 6, 7, 7, 8]) - decimals)
    text = str(value).zfill(digits)
    dec = "".join(str(rng.randint(0, 9)) for _ in range(decimals))
    h = rng.randint(60, 96)
    w = int(h * rng.uniform(0.48, 0.62))
    t = max(5, int(h * rng.uniform(0.09, 0.15)))
    gap = max(1.0, t * rng.uniform(0.08, 0.2))
    slant = rng.choice([0.0, rng.uniform(0.05, 0.14)])
    pitch = int(w * rng.uniform(1.3, 1.5))
    variants = {d for d in "679" if rng.random() < 0.3}
    dec_small = decimals and rng.random() < 0.4
    code_h = int(h * rng.uniform(0.45, 0.62))
    code_w = int(code_h * rng.uniform(0.5, 0.6))
    code_pitch = int(code_w * 1.45)
    code_chars = code.replace(".", "") if code else ""
    code_above = code is not None and rng.random() < 0.35
    code_width = len(code_chars) * code_pitch + (code.count(".") * code_pitch // 3 if code else 0)
    main_width = (
        len(text) * pitch + len(dec) * (pitch if not dec_small else int(pitch * 0.7)) + (pitch // 2 if dec else 0)
    )
    pad = rng.randint(18, 36)
    panel_w = pad * 2 + main_width + (0 if code_above or not code else code_width + pitch) + 60
    panel_h = pad * 2 + h + (code_h + 14 if code_above else 0)
    panel = Image.new("RGB", (panel_w, panel_h), panel_bg)
    draw = ImageDraw.Draw(panel)
    base_y = panel_h - pad - h
    x = pad
    if code:
        cy = pad if code_above else base_y + h - code_h
        for ch in code:
            if ch == ".":
                dot = max(3, int(t * code_h / h * 1.2))
                draw.rectangle(
                    [x - code_pitch * 0.25, cy + code_h - dot, x - code_pitch * 0.25 + dot, cy + code_h], fill=ink
                )
                x += code_pitch // 6
                continue
            _draw_seven(
                draw, ch, x, cy, code_w, code_h, max(3, int(t * code_h / h * 1.1)), gap, slant, ink, ghost, variants
            )
            x += code_pitch
        if not code_above:
            x += pitch
        else:
            x = pad
    for ch in text:
        _draw_seven(draw, ch, x, base_y, w, h, t, gap, slant, ink, ghost, variants)
        x += pitch
    if dec:
        dot = max(4, int(t * 1.0))
        draw.rectangle([x - pitch * 0.22, base_y + h - dot, x - pitch * 0.22 + dot, base_y + h], fill=ink)
        x += pitch // 4
        for ch in dec:
            if dec_small:
                sh = int(h * 0.7)
                _draw_seven(
                    draw,
                    ch,
                    x,
                    base_y + h - sh,
                    int(w * 0.7),
                    sh,
                    max(3, int(t * 0.75)),
                    gap,
                    slant,
                    ink,
                    ghost,
                    variants,
                )
                x += int(pitch * 0.7)
            else:
                _draw_seven(draw, ch, x, base_y, w, h, t, gap, slant, ink, ghost, variants)
                x += pitch
    fonts = installed_fonts()
    draw.text((x + 8, base_y + h - 24), "kWh", font=_font(fonts[0] if fonts else None, 20), fill=ink)
    # The meter's housing around the glass.
    border = rng.randint(20, 60)
    housing = _rgb(rng, rng.choice([(235, 235, 230), (60, 62, 70), (210, 210, 205)]), 10)
    face = Image.new("RGB", (panel_w + 2 * border, panel_h + 2 * border + rng.randint(20, 80)), housing)
    face.paste(panel, (border, border))
    return face


# ---------------------------------------------------------------- what the phone does
def _photograph(face: Image.Image, rng: random.Random, quality: int | None = None) -> bytes:
    fw, fh = face.size
    margin = int(max(fw, fh) * rng.uniform(0.08, 0.3))
    bg_color = _rgb(rng, rng.choice([(120, 110, 100), (180, 175, 160), (90, 95, 100), (200, 200, 200)]), 25)
    canvas = Image.new("RGB", (fw + 2 * margin, fh + 2 * margin), bg_color)
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(0, 6)):  # a wall, cables, a box edge
        x0, y0 = rng.randint(0, canvas.width), rng.randint(0, canvas.height)
        x1, y1 = rng.randint(0, canvas.width), rng.randint(0, canvas.height)
        draw.line([x0, y0, x1, y1], fill=_rgb(rng, bg_color, 60), width=rng.randint(2, 12))
    canvas.paste(face, (margin, margin))

    img = np.asarray(canvas)
    import cv2  # the photo distortions; cv2 is a runtime requirement of the recognizer anyway

    h, w = img.shape[:2]
    angle = rng.uniform(-15, 15)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    rotated = cv2.transform(src[None], m)[0]
    k = rng.uniform(0.0, 0.08)
    jitter = np.float32([[rng.uniform(-k, k) * w, rng.uniform(-k, k) * h] for _ in range(4)])
    dst = rotated + jitter
    dst -= dst.min(axis=0)
    out_w, out_h = int(dst[:, 0].max()), int(dst[:, 1].max())
    persp = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    img = cv2.warpPerspective(img, persp, (out_w, out_h), borderMode=cv2.BORDER_REPLICATE)

    target_w = rng.randint(360, 1100)
    scale = target_w / img.shape[1]
    img = cv2.resize(img, (target_w, max(1, int(img.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    h, w = img.shape[:2]
    f = img.astype(np.float32)
    # Light falls unevenly: a gradient across the photo, and sometimes a glare spot.
    gx, gy = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    direction = rng.uniform(0, 2 * math.pi)
    f *= (1 + rng.uniform(0, 0.35) * (gx * math.cos(direction) + gy * math.sin(direction)))[..., None]
    if rng.random() < 0.5:
        cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
        r = rng.uniform(0.1, 0.3)
        spot = np.exp(-(((gx + 1) / 2 - cx) ** 2 + ((gy + 1) / 2 - cy) ** 2) / (2 * r * r))
        f += (spot * rng.uniform(40, 110))[..., None]
    sigma = rng.uniform(0, 1.6) * max(0.5, w / 800)
    if sigma > 0.3:
        f = cv2.GaussianBlur(f, (0, 0), sigma)
    f += np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(0, 10), f.shape).astype(np.float32)
    out = Image.fromarray(f.clip(0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=quality if quality is not None else rng.randint(40, 95))
    return buf.getvalue()


def drum_counter(
    value: int, digits: int | None = None, red_tenths: bool = True, inverted: bool = False, seed: int = 0
) -> bytes:
    """A photo of a drum counter showing `value` (zero-padded to `digits` wheels), JPEG bytes."""
    rng = random.Random(f"drum-{seed}")
    digits = max(len(str(value)), digits or rng.choice([5, 6, 6, 7]))
    return _photograph(_drum_face(value, digits, red_tenths, inverted, rng), rng)


def lcd_display(value: int, code: str | None = None, seed: int = 0, decimals: int | None = None) -> bytes:
    """A photo of an LCD showing `value` (and `code`, the register, when given), JPEG bytes."""
    rng = random.Random(f"lcd-{seed}")
    if decimals is None:
        decimals = rng.choice([0, 0, 1, 2])
    return _photograph(_lcd_face(value, code, decimals, rng), rng)


CODES = ("1.8.0", "1.8.1", "1.8.2", "15.8.1", "15.8.2", "T21", "T22", "1.8.3", "T1", "T2", "T3")


def sample(kind: str, seed: int) -> Photo:
    """The seed-th photo of a kind ('drum' or 'lcd'), with a random value, code and look."""
    rng = random.Random(f"sample-{kind}-{seed}")
    digits = rng.choice([5, 6, 6, 7])
    value = rng.randint(0, 10 ** rng.randint(3, digits) - 1)
    if kind == "drum":
        return Photo(
            drum_counter(value, digits, red_tenths=rng.random() < 0.6, inverted=rng.random() < 0.3, seed=seed),
            value,
            None,
            kind,
        )
    code = rng.choice(CODES) if rng.random() < 0.85 else None
    value = value % 10**6
    return Photo(lcd_display(value, code, seed=seed), value, code, kind)


def noise_image(seed: int = 0, size: tuple[int, int] = (640, 480)) -> bytes:
    """Random pixels: nothing to read."""
    arr = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def blob_picture(seed: int = 0, size: tuple[int, int] = (640, 480)) -> bytes:
    """A soft random picture (fur-coloured blobs and shapes, like a cat on a sofa): nothing to read."""
    rng = random.Random(f"blob-{seed}")
    img = Image.new("RGB", size, _rgb(rng, (150, 120, 90), 40))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        r = rng.randint(10, 120)
        draw.ellipse([x - r, y - r * 0.7, x + r, y + r * 0.7], fill=_rgb(rng, (140, 110, 80), 70))
    img = img.filter(ImageFilter.GaussianBlur(3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()
