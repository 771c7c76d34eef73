"""The reader: finds the row of digits in a photo, straightens it and tells each digit by its shape.

Steps (OpenCV + numpy, no model file):
1. decode and scale the photo so its long side is WORK px;
2. for dark-on-light and light-on-dark ink: threshold against the local mean, take the connected
   blobs of digit-like shape and chain them into rows (similar heights, side by side, sloping at most
   ~17 degrees); the row with the most height in it is the reading;
3. turn the photo by the row's slope, find the row again (now level) and re-threshold every blob
   with Otsu inside its own box, so unlit LCD segments and glare fall away;
4. compare each blob with drawn glyphs (glyphs.py: DejaVu digits for drums, seven segments for LCDs;
   the set that fits the row better wins); drop a trailing red wheel (tenths) and whatever follows a
   decimal point;
5. on a seven-segment row, read the smaller characters left of or above it as the register code.

The confidence is the weakest digit's: how well it matches its glyph and how far ahead of the
runner-up digit it is.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from . import glyphs

WORK = 800
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


@dataclass(frozen=True)
class Raw:
    digits: str  # the whole part as shown, leading zeros kept; "" when nothing read
    code: str | None
    confidence: float
    kind: str | None = None  # "drum" or "seven"


NOTHING = Raw("", None, 0.0)


def decode(image: bytes) -> np.ndarray | None:
    """RGB array with its long side WORK px, or None when the bytes are not a picture."""
    try:
        with Image.open(io.BytesIO(image)) as img:
            if img.width * img.height > MAX_PIXELS:
                return None
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            scale = WORK / max(img.size)
            img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BILINEAR)
            return np.asarray(img)
    except Exception:  # noqa: BLE001 - any undecodable input is "nothing to read", never an error
        return None


@dataclass
class Blob:
    x: int
    y: int
    w: int
    h: int
    label: int

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def bottom(self) -> int:
        return self.y + self.h


def _binary(gray: np.ndarray, dark_ink: bool, c: int = 12) -> np.ndarray:
    g = gray if dark_ink else 255 - gray
    block = max(15, (min(gray.shape) // 6) | 1)
    return cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, c)


def _blobs(binary: np.ndarray):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    all_blobs = [Blob(int(s[0]), int(s[1]), int(s[2]), int(s[3]), i) for i, s in enumerate(stats) if i]
    areas = {i: int(s[4]) for i, s in enumerate(stats)}
    return all_blobs, labels, areas


def _digit_like(b: Blob, area: int, img_h: int) -> bool:
    if b.h < 12 or b.h > img_h * 0.6 or b.w < 2:
        return False
    ratio = b.h / b.w
    fill = area / (b.w * b.h)
    return 0.9 <= ratio <= 12 and 0.08 <= fill <= 0.92


def _chains(blobs: list[Blob]) -> list[list[Blob]]:
    """Rows of similar blobs, best first (by the height they add up to)."""
    if len(blobs) < 3:
        return []
    blobs = sorted(blobs, key=lambda b: b.cx)
    cx = np.array([b.cx for b in blobs])
    cy = np.array([b.cy for b in blobs])
    h = np.array([b.h for b in blobs], dtype=np.float64)
    dx = cx[None, :] - cx[:, None]  # j - i
    dy = np.abs(cy[None, :] - cy[:, None])
    hmax = np.maximum(h[None, :], h[:, None])
    ratio = h[None, :] / h[:, None]
    ok = (dx > 0.25 * hmax) & (dx < 1.5 * hmax) & (ratio > 0.82) & (ratio < 1.22) & (dy < 0.25 * hmax + 0.3 * dx)
    n = len(blobs)
    score = h.copy()
    count = np.ones(n, dtype=int)
    prev = -np.ones(n, dtype=int)
    for j in range(n):
        into = np.nonzero(ok[:j, j])[0]
        if len(into):
            k = into[np.argmax(score[into])]
            score[j] = score[k] + h[j]
            count[j] = count[k] + 1
            prev[j] = k
    rows = []
    used = set()
    for j in np.argsort(-score):
        if count[j] < 3 or j in used:
            continue
        row = []
        k = j
        while k >= 0:
            row.append(blobs[k])
            used.add(k)
            k = prev[k]
        rows.append(row[::-1])
        if len(rows) >= 3:
            break
    return rows


def _best_row(gray: np.ndarray):
    """(row, dark_ink, binary, labels, all_blobs, areas) of the strongest row over both inks."""
    best = None
    for dark_ink in (True, False):
        binary = _binary(gray, dark_ink)
        all_blobs, labels, areas = _blobs(binary)
        cands = [b for b in all_blobs if _digit_like(b, areas[b.label], gray.shape[0])]
        for row in _chains(cands)[:1]:
            score = sum(b.h for b in row) * (1.0 if len(row) >= 4 else 0.5)
            if best is None or score > best[0]:
                best = (score, row, dark_ink, binary, labels, all_blobs, areas)
    return best[1:] if best else None


def _angle(row: list[Blob]) -> float:
    xs = np.array([b.cx for b in row])
    ys = np.array([b.bottom for b in row], dtype=np.float64)
    if len(row) < 2 or np.ptp(xs) == 0:
        return 0.0
    slope = np.polyfit(xs, ys, 1)[0]
    return math.degrees(math.atan(slope))


def _ink_mask(gray: np.ndarray, b: Blob, dark_ink: bool, pad: float = 0.08) -> np.ndarray:
    """The blob's own ink, Otsu-thresholded inside its slightly widened box."""
    p = int(round(b.h * pad))
    y0, y1 = max(0, b.y - p), min(gray.shape[0], b.bottom + p)
    x0, x1 = max(0, b.x - p), min(gray.shape[1], b.x + b.w + p)
    crop = gray[y0:y1, x0:x1]
    if not dark_ink:
        crop = 255 - crop
    _, mask = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    # Keep the components that overlap the blob's own box (not the neighbours' edges).
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros_like(mask)
    big = max(stats[1:, 4].max(), 1) if n > 1 else 1
    for i in range(1, n):
        sx, sy, sw, sh, area = stats[i]
        inside = sx >= p - 1 and sy >= p - 1 and sx + sw <= p + b.w + 1 and sy + sh <= p + b.h + 1
        if area >= 0.08 * big and (inside or area == big):
            keep[lab == i] = 255
    return keep


def _classify(features: list[np.ndarray], kind: str):
    feats, labels = glyphs.templates(kind)
    out = []
    classes = sorted(set(labels.tolist()))
    for f in features:
        sims = feats @ f
        per = {c: float(sims[labels == c].max()) for c in classes}
        ranked = sorted(per.items(), key=lambda kv: -kv[1])
        out.append((ranked[0][0], ranked[0][1], ranked[0][1] - ranked[1][1]))
    return out


def _digit_confidence(sim: float, margin: float) -> float:
    return max(0.0, min(1.0, (sim - 0.55) / 0.3)) * max(0.0, min(1.0, margin / 0.12))


def _is_red(rgb: np.ndarray, b: Blob) -> bool:
    p = int(b.h * 0.25)
    crop = rgb[max(0, b.y - p) : b.bottom + p, max(0, b.x - p) : b.x + b.w + p].astype(np.int32)
    if crop.size == 0:
        return False
    r, g, bl = crop[..., 0], crop[..., 1], crop[..., 2]
    red = (r > 90) & (r > 1.6 * g) & (r > 1.6 * bl)
    return red.mean() > 0.18


def _decimal_point(row: list[Blob], all_blobs: list[Blob], areas) -> int | None:
    """Index of the digit a decimal point follows, or None."""
    hh = float(np.median([b.h for b in row]))
    bottom = float(np.median([b.bottom for b in row]))
    row_labels = {b.label for b in row}
    for b in all_blobs:
        if b.label in row_labels:
            continue
        if not (0.04 * hh <= b.w <= 0.3 * hh and 0.04 * hh <= b.h <= 0.3 * hh):
            continue
        if abs(b.bottom - bottom) > 0.15 * hh:
            continue
        for i in range(len(row) - 1):
            if row[i].cx < b.cx < row[i + 1].x + 0.15 * hh and b.cx > row[i].x + row[i].w - 0.25 * hh:
                return i
        if b.cx > row[-1].cx and b.x < row[-1].x + row[-1].w + 0.4 * hh:
            return len(row) - 1
    return None


CODE_RE = re.compile(r"^(\d{1,2}\.\d\.\d|T\d{1,2})$")


def _code(gray, row, all_blobs, areas, dark_ink) -> tuple[str | None, float]:
    hh = float(np.median([b.h for b in row]))
    top = min(b.y for b in row)
    bottom = max(b.bottom for b in row)
    left = row[0].x
    cands = []
    for b in all_blobs:
        if not (0.3 * hh <= b.h <= 0.8 * hh) or b.w < 2 or b.h / b.w > 12 or b.h / b.w < 0.9:
            continue
        beside = b.x + b.w < left and top - 0.2 * hh <= b.y and b.bottom <= bottom + 0.2 * hh and b.x > left - 6 * hh
        above = b.bottom < top + 0.1 * hh and b.bottom > top - 1.2 * hh and row[0].x - hh < b.cx < row[len(row) // 2].cx
        if beside or above:
            cands.append(b)
    if not cands:
        return None, 0.0
    chains = _chains(cands) or [[b] for b in cands][:1]
    chain = chains[0]
    if len(chain) < 2 and not chains:
        return None, 0.0
    masks = [glyphs.normalise(_ink_mask(gray, b, dark_ink)) for b in chain]
    if any(m is None for m in masks):
        return None, 0.0
    read = _classify(masks, "code")
    ch = float(np.median([b.h for b in chain]))
    cbottom = float(np.median([b.bottom for b in chain]))
    text = ""
    for i, (b, (label, _, _)) in enumerate(zip(chain, read, strict=True)):
        text += label
        if i + 1 < len(chain):
            nxt = chain[i + 1]
            for d in all_blobs:
                if 0.05 * ch <= d.w <= 0.4 * ch and 0.05 * ch <= d.h <= 0.4 * ch and abs(d.bottom - cbottom) < 0.2 * ch:
                    if b.cx < d.cx < nxt.cx:
                        text += "."
                        break
    conf = min(_digit_confidence(s, m) for _, s, m in read)
    return text, conf


def read(rgb: np.ndarray) -> Raw:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found = _best_row(gray)
    if found is None:
        return NOTHING
    row, dark_ink = found[0], found[1]
    angle = _angle(row)
    if abs(angle) > 0.5:
        h, w = gray.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        gray = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        rgb = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        found = _best_row(gray)
        if found is None:
            return NOTHING
        row, dark_ink = found[0], found[1]
    all_blobs, areas = found[4], found[5]
    masks = [glyphs.normalise(_ink_mask(gray, b, dark_ink)) for b in row]
    if any(m is None for m in masks):
        return NOTHING
    as_seven = _classify(masks, "seven")
    as_drum = _classify(masks, "drum")
    seven_fit = float(np.mean([s for _, s, _ in as_seven]))
    drum_fit = float(np.mean([s for _, s, _ in as_drum]))
    kind, result = ("seven", as_seven) if seven_fit >= drum_fit else ("drum", as_drum)
    keep = len(row)
    code = None
    code_conf = 1.0
    if kind == "drum":
        while keep > 1 and _is_red(rgb, row[keep - 1]):
            keep -= 1
    else:
        point = _decimal_point(row, all_blobs, areas)
        if point is not None:
            keep = point + 1
        code, code_conf = _code(gray, row, all_blobs, areas, dark_ink)
    digits = "".join(label for label, _, _ in result[:keep])
    conf = min(_digit_confidence(s, m) for _, s, m in result[:keep])
    if len(row) < 4:
        conf *= 0.5
    if code is not None and not CODE_RE.match(code):
        code = None
        conf *= 0.8
    elif code is not None:
        conf = min(conf, max(code_conf, 0.5))
    return Raw(digits, code, round(conf, 3), kind)
