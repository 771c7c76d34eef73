"""The digit shapes the classifier compares against: drawn here, once per process, from fonts and
seven-segment outlines (no model file, nothing downloaded).

A glyph is normalised the way engine.py normalises a blob from a photo: its ink box is placed in a
cell as tall as the digit and 0.8 of that wide (a narrow '1' stays narrow), shrunk to GLYPH_W x
GLYPH_H, blurred a little and scaled to unit length, so a dot product is a similarity.
"""

from __future__ import annotations

import functools
import os

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

GLYPH_W, GLYPH_H = 16, 24
CELL_ASPECT = 0.8  # cell width / digit height

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype", "/usr/share/fonts")
FONT_FILES = (
    "DejaVuSans-Bold.ttf",
    "DejaVuSans.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansCondensed.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSans-Bold.ttf",
    "LiberationMono-Regular.ttf",
    "FreeSans.ttf",
    "FreeSansBold.ttf",
)

SEGMENTS = {
    "0": ["abcdef"],
    "1": ["bc"],
    "2": ["abdeg"],
    "3": ["abcdg"],
    "4": ["bcfg"],
    "5": ["acdfg"],
    "6": ["acdefg", "cdefg"],
    "7": ["abc", "abcf"],
    "8": ["abcdefg"],
    "9": ["abcdfg", "abcfg"],
}


def normalise(mask: np.ndarray) -> np.ndarray | None:
    """A binary ink mask (any size, ink = nonzero) -> unit feature vector, or None if empty."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    cell_w = max(w, int(round(h * CELL_ASPECT)))
    cell = np.zeros((h, cell_w), np.float32)
    x0 = (cell_w - w) // 2
    cell[:, x0 : x0 + w] = crop
    small = cv2.resize(cell, (GLYPH_W, GLYPH_H), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0.7)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    if norm < 1e-6:
        return None
    return (small / norm).ravel()


def font_paths(names) -> list[str]:
    """The installed font files of these names, each found in the first of FONT_DIRS that has it."""
    found = []
    for name in names:
        for folder in FONT_DIRS:
            path = os.path.join(folder, name)
            if os.path.exists(path):
                found.append(path)
                break
    return found


def _font_glyph(font, ch: str) -> np.ndarray:
    img = Image.new("L", (160, 200), 0)
    ImageDraw.Draw(img).text((30, 20), ch, font=font, fill=255)
    return np.asarray(img) > 127


def _seven_glyph(segs: str, t: float, slant: float, gap: float, h: int = 120) -> np.ndarray:
    w = h * 0.55
    img = Image.new("L", (int(w + h * 0.4) + 20, h + 20), 0)
    draw = ImageDraw.Draw(img)
    x, y = 10.0, 10.0
    th = t * h
    half = th / 2
    g = gap * th

    def horizontal(cy):
        x0, x1 = x + g + half, x + w - g - half
        return [(x0 - half, cy), (x0, cy - half), (x1, cy - half), (x1 + half, cy), (x1, cy + half), (x0, cy + half)]

    def vertical(cx, y0, y1):
        y0, y1 = y0 + g + half, y1 - g - half
        return [(cx, y0 - half), (cx + half, y0), (cx + half, y1), (cx, y1 + half), (cx - half, y1), (cx - half, y0)]

    left, right, top, bottom, mid = x + half, x + w - half, y + half, y + h - half, y + h / 2
    polys = {
        "a": horizontal(top),
        "g": horizontal(mid),
        "d": horizontal(bottom),
        "f": vertical(left, top, mid),
        "b": vertical(right, top, mid),
        "e": vertical(left, mid, bottom),
        "c": vertical(right, mid, bottom),
        "T": [
            (x + w / 2 - half, y + th),
            (x + w / 2 + half, y + th),
            (x + w / 2 + half, y + h),
            (x + w / 2 - half, y + h),
        ],
    }
    for s in segs:
        draw.polygon([(px + slant * (y + h - py), py) for px, py in polys[s]], fill=255)
    return np.asarray(img) > 127


def _augment(mask: np.ndarray):
    yield mask
    for angle in (-4, 4):
        m = mask.astype(np.uint8) * 255
        h, w = m.shape
        rot = cv2.warpAffine(m, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h))
        yield rot > 127
    k = np.ones((5, 5), np.uint8)
    yield cv2.dilate(mask.astype(np.uint8), k) > 0
    yield cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


@functools.cache
def templates(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(features N x D, labels N) for kind 'drum' (fonts), 'seven' (segments) or 'code' (segments + 'T')."""
    feats, labels = [], []

    def add(mask, label):
        for m in _augment(mask):
            f = normalise(m)
            if f is not None:
                feats.append(f)
                labels.append(label)

    if kind == "drum":
        fonts = [ImageFont.truetype(p, 120) for p in font_paths(FONT_FILES)] or [ImageFont.load_default(size=120)]
        for font in fonts:
            for d in "0123456789":
                add(_font_glyph(font, d), d)
    else:
        chars = dict(SEGMENTS)
        if kind == "code":
            chars["T"] = ["aT"]
        for d, variants in chars.items():
            for segs in variants:
                for t in (0.09, 0.13, 0.17):
                    for slant in (0.0, 0.1, 0.17):
                        add(_seven_glyph(segs, t, slant, 0.15), d)
    return np.stack(feats).astype(np.float32), np.array(labels)
