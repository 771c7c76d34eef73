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

from .. import zones
from . import glyphs

WORK = 800
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


@dataclass(frozen=True)
class Raw:
    digits: str  # the whole part as shown, leading zeros kept; "" when nothing read
    code: str | None
    confidence: float  # of the digits
    kind: str | None = None  # "drum" or "seven"
    code_confidence: float = 0.0  # of the code (0 when none read)


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


def _binary(gray: np.ndarray, dark_ink: bool, c: int = 12, block: int | None = None) -> np.ndarray:
    g = gray if dark_ink else 255 - gray
    block = block or max(15, (min(gray.shape) // 6) | 1)
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


def _chains(blobs: list[Blob], nearest: bool = False) -> list[list[Blob]]:
    """Rows of similar blobs, best first (by the height they add up to). With `nearest`, a row goes on
    only to the nearest blob that fits it (it never skips a digit for smaller decimals further on)."""
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
    ok = (dx > 0.25 * hmax) & (dx < 2.0 * hmax) & (ratio > 0.76) & (ratio < 1.32) & (dy < 0.25 * hmax + 0.3 * dx)
    if nearest:
        first = np.where(ok.any(axis=1), ok.argmax(axis=1), -1)
        ok = np.zeros_like(ok)
        ok[np.arange(len(blobs))[first >= 0], first[first >= 0]] = True
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


def _contains(outer: Blob, inner: Blob) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.x + inner.w <= outer.x + outer.w
        and inner.bottom <= outer.bottom
        and inner.h >= 0.4 * outer.h
    )


def _solid(labels: np.ndarray, b: Blob, area: int) -> bool:
    """Ink fills most of the blob's (turned) rectangle: a window cell, not a digit with a hole."""
    ys, xs = np.nonzero(labels[b.y : b.bottom, b.x : b.x + b.w] == b.label)
    (_, _), (rw, rh), _ = cv2.minAreaRect(np.column_stack([xs, ys]).astype(np.float32))
    return area > 0.7 * max(rw * rh, 1.0)


def _candidate_rows(gray: np.ndarray) -> list[tuple[list[Blob], bool]]:
    """The strongest rows of digit-like blobs over both inks, (row, dark_ink), best first.

    A solid blob that holds a digit-like blob of the other ink is a drum's window cell or an LCD's
    frame, not a digit: it is dropped, so the digit inside it is read."""
    rows = []
    small, large = max(15, (min(gray.shape) // 16) | 1), max(15, (min(gray.shape) // 5) | 1)
    # (block, closing): the closed pass joins the segments of a seven-segment digit into one blob
    for block, close in ((small, 0), (large, 0), (small, 9)):
        passes = []
        for dark_ink in (True, False):
            binary = _binary(gray, dark_ink, block=block)
            if close:
                binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, np.ones((close, 3), np.uint8))
            all_blobs, labels, areas = _blobs(binary)
            cands = [b for b in all_blobs if _digit_like(b, areas[b.label], gray.shape[0])]
            passes.append((dark_ink, cands, labels, areas))
        for i, (dark_ink, cands, labels, areas) in enumerate(passes):
            others = passes[1 - i][1]
            cands = [
                b for b in cands if not (any(_contains(b, o) for o in others) and _solid(labels, b, areas[b.label]))
            ]
            for row in _chains(cands)[:2]:
                rows.append((sum(b.h for b in row) * (1.0 if len(row) >= 4 else 0.5), row, dark_ink))
    rows.sort(key=lambda r: -r[0])
    return [(row, dark_ink) for _, row, dark_ink in rows[:5]]


def _angle(row: list[Blob]) -> float:
    xs = np.array([b.cx for b in row])
    ys = np.array([b.bottom for b in row], dtype=np.float64)
    if len(row) < 2 or np.ptp(xs) == 0:
        return 0.0
    slope = np.polyfit(xs, ys, 1)[0]
    return math.degrees(math.atan(slope))


def _ink_mask(gray: np.ndarray, b: Blob, dark_ink: bool, pad: float = 0.08) -> tuple[np.ndarray, bool]:
    """The blob's own ink, Otsu-thresholded inside its slightly widened box, and whether a decimal
    point sits at its bottom right (a small lump the threshold separates from the digit)."""
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
    dot = False
    for i in range(1, n):
        sx, sy, sw, sh, area = stats[i]
        inside = sx >= p - 1 and sy >= p - 1 and sx + sw <= p + b.w + 1 and sy + sh <= p + b.h + 1
        if area >= 0.08 * big and (inside or area == big):
            keep[lab == i] = 255
        elif (
            0.05 * b.h <= sw <= 0.3 * b.h
            and 0.05 * b.h <= sh <= 0.3 * b.h
            and abs(sy + sh - (p + b.h)) <= 0.12 * b.h
            and sx + sw / 2 > p + b.w - 0.35 * b.h
        ):
            dot = True
    return keep, dot


def _faint(gray: np.ndarray, row: list[Blob], dark_ink: bool) -> set[int]:
    """Blobs much fainter than the row's digits: an edge of the LCD glass, unlit segments."""
    g = gray if dark_ink else 255 - gray
    levels = [float(np.percentile(g[b.y : b.bottom, b.x : b.x + b.w], 10)) for b in row]
    y0 = max(0, min(b.y for b in row))
    y1 = max(b.bottom for b in row)
    bg = float(np.percentile(g[y0:y1, row[0].x : row[-1].x + row[-1].w], 90))
    ink = float(np.median(levels))
    return {i for i, level in enumerate(levels) if level - ink > 0.45 * (bg - ink)}


def _body_right(b: Blob, mask: np.ndarray) -> int:
    """Where the blob's ink ends on the right above its bottom fifth (a point at its foot is not it)."""
    p = int(round(b.h * 0.08))
    cols = np.nonzero(mask[p : p + int(b.h * 0.8)].any(axis=0))[0]
    return int(cols.max()) + 1 - p if len(cols) else b.w


def _off_pitch_bars(row: list[Blob], result, kind: str, masks: list[np.ndarray]) -> set[int]:
    """Indexes of '1's that are not where a digit can be: a cell's edge, a frame, the panel's border.

    Digits stand at a fixed pitch: a seven-segment '1' keeps its cell's right edge, a printed one its
    centre. A bar off that grid, or a drum '1' that is a bare bar (no flag, no foot), is not a digit."""
    # the reference digits: not '1's, and full height (smaller decimals after a point are not)
    full = float(np.median([b.h for b in row]))
    non1 = [i for i, (label, _, _) in enumerate(result) if label != "1" and row[i].h >= 0.85 * full]
    bad = set()
    if kind == "drum":  # a printed '1' has a flag and a foot; a bare bar is a cell's edge
        bad |= {
            i for i, (b, (label, _, _)) in enumerate(zip(row, result, strict=True)) if label == "1" and b.h > 3.3 * b.w
        }
        return bad
    if len(non1) < 3:
        return bad
    if kind == "seven":  # cells by their left edges; a '1' stands at its cell's right edge
        width = float(np.median([row[i].w for i in non1]))
        # and spans the digits' height: a glass edge or a frame does not line up with them
        slope, intercept = np.polyfit([row[i].cx for i in non1], [row[i].y for i in non1], 1)
        height = float(np.median([row[i].h for i in non1]))
        for i, (b, (label, _, _)) in enumerate(zip(row, result, strict=True)):
            top = slope * b.cx + intercept
            if label == "1" and (abs(b.y - top) > 0.15 * height or not 0.75 * height <= b.h <= 1.05 * height):
                bad.add(i)
        ref = [
            b.x if label != "1" else b.x + _body_right(b, mask) - width
            for b, (label, _, _), mask in zip(row, result, masks, strict=True)
        ]
    else:
        ref = [b.cx for b in row]
    steps = np.diff([ref[i] for i in non1])
    steps = steps[steps > 0]
    if not len(steps):
        return bad
    # a '1' between two others makes a double step: count each step in whole pitches of the smallest
    pitch = float(np.median(steps / np.maximum(1, np.round(steps / steps.min()))))
    origin = ref[non1[0]]
    for i, (label, _, _) in enumerate(result):
        if label == "1":
            k = (ref[i] - origin) / pitch
            if abs(k - round(k)) > 0.3:
                bad.add(i)
    return bad


def _gap_in(row: list[Blob], kind: str) -> bool:
    """Two neighbours further apart than one digit's pitch allows."""
    if len(row) < 3:
        return False
    ref = np.array([b.x + b.w if kind == "seven" else b.cx for b in row], dtype=np.float64)
    steps = np.diff(ref)
    if (steps <= 0).any():
        return True
    pitch = float(np.median(steps / np.maximum(1, np.round(steps / steps.min()))))
    return bool((steps > 1.6 * pitch).any())


def _uneven_step(row: list[Blob], kind: str, masks: list[np.ndarray]) -> bool:
    """A step between neighbours that is neither one pitch nor a missing digit's two: the wider gap a
    decimal point takes (or a digit's place half found). Seven-segment cells by their right edges (a
    '1' keeps its cell's right edge), printed digits by their centres."""
    if len(row) < 3:
        return False
    # a point joined to its digit is not the digit's edge: where the ink ends above the foot
    ref = np.array(
        [b.x + _body_right(b, m) if kind == "seven" else b.cx for b, m in zip(row, masks, strict=False)],
        dtype=np.float64,
    )
    steps = np.diff(ref)
    if (steps <= 0).any():
        return True
    pitch = float(np.median(steps))
    return bool(((steps > UNEVEN * pitch) & (steps <= 1.6 * pitch)).any())


def _left_out(row: list[Blob], all_blobs: list[Blob], whole_row: list[Blob]) -> bool:
    """A blob nearly as tall as the digits, level with them, within a pitch before the first digit or
    after the last, that the row did not take (a digit that a point or a frame joined, or an
    off-pitch bar dropped): the reading may be a digit short."""
    if len(row) < 2:
        return False
    hh = float(np.median([b.h for b in row]))
    top, bottom = float(np.median([b.y for b in row])), float(np.median([b.bottom for b in row]))
    pitch = float(np.median(np.diff([b.x + b.w for b in row])))
    inside = {id(b) for b in whole_row}  # the decimals after a point are the row's, not left out
    first_x, last_right = row[0].x, row[-1].x + row[-1].w
    for b in all_blobs:
        # (a register code beside the row is smaller; a panel's edge taller or wider)
        if id(b) in inside or not 0.75 * hh <= b.h <= 1.4 * hh or not 0.1 * hh <= b.w <= 1.2 * pitch:
            continue
        if min(b.bottom, bottom) - max(b.y, top) < 0.6 * hh:
            continue
        before = first_x - 1.3 * pitch <= b.x and b.x + b.w <= first_x + 0.2 * hh
        after = last_right - 0.2 * hh <= b.x and b.x + b.w <= last_right + 1.3 * pitch
        if before or after:
            return True
    return False


def _ink_beside(binary: np.ndarray, row: list[Blob], after: bool = True) -> bool:
    """Ink in the upper part of the cell just before the first digit or just after the last, drawn in
    a horizontal run like a digit's top segment: a digit there that a glare or frame blob swallowed.
    (A register code beside the row is shorter than the digits and does not reach that band; a
    panel's edge is vertical.) With `after` False only before: the decimals follow a point."""
    if len(row) < 2:
        return False
    hh = float(np.median([b.h for b in row]))
    top = int(np.median([b.y for b in row]))
    pitch = float(np.median(np.diff([b.x for b in row])))
    y0, y1 = top + int(0.05 * hh), top + int(0.3 * hh)
    right = row[-1].x + row[-1].w
    cells = [(row[0].x - pitch, row[0].x - 0.15 * pitch)] + ([(right + 0.15 * pitch, right + pitch)] if after else [])
    for x0, x1 in cells:
        x0, x1 = max(0, int(x0)), min(binary.shape[1], int(x1))
        if x1 - x0 < 3 or y0 < 0 or y1 > binary.shape[0]:
            continue
        box = binary[y0:y1, x0:x1] > 0
        if (box.sum(axis=1) >= 0.5 * (x1 - x0)).any():
            return True
    return False


# A step this many pitches wide (or wider, up to _gap_in's 1.6) is not a plain neighbour.
UNEVEN = 1.1


def _holds_a_digit(mask: np.ndarray, b: Blob) -> bool:
    """The blob is a frame around a digit-shaped hole (a drum's window cell seen in the wrong ink)."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats((mask == 0).astype(np.uint8), connectivity=4)
    h, w = mask.shape
    for i in range(1, n):
        sx, sy, sw, sh, area = stats[i]
        if sx == 0 or sy == 0 or sx + sw >= w or sy + sh >= h or sh < 0.45 * b.h:
            continue
        feature = glyphs.normalise(lab == i)
        if feature is not None and _classify([feature], "drum")[0][1] >= 0.9:
            return True
    return False


def _class_sims(features: list[np.ndarray], kind: str) -> list[dict[str, float]]:
    feats, labels = glyphs.templates(kind)
    classes = sorted(set(labels.tolist()))
    out = []
    for f in features:
        sims = feats @ f
        out.append({c: float(sims[labels == c].max()) for c in classes})
    return out


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


def _digit_confidence(sim: float, margin: float, margin_scale: float = 0.12) -> float:
    return max(0.0, min(1.0, (sim - 0.55) / 0.3)) * max(0.0, min(1.0, margin / margin_scale))


# Seven-segment digits differ by one segment of seven: their runner-up is always close.
MARGIN_SCALE = {"drum": 0.12, "seven": 0.07}


def _is_red(rgb: np.ndarray, b: Blob) -> bool:
    """A red wheel: red around the digit, or a red digit."""
    p = int(b.h * 0.2)
    crop = rgb[max(0, b.y - p) : b.bottom + p, max(0, b.x - p) : b.x + b.w + p].astype(np.int32)
    if crop.size == 0:
        return False
    r, g, bl = crop[..., 0], crop[..., 1], crop[..., 2]
    red = (r > 80) & (r > 1.5 * g) & (r > 1.5 * bl)
    sat = (np.max(crop, axis=2) - np.min(crop, axis=2)) > 40
    return red.mean() > 0.2 or (sat.any() and red.sum() > 0.6 * sat.sum() and red.mean() > 0.04)


def _redness(rgb: np.ndarray, row: list[Blob], masks: list[np.ndarray]) -> list[float]:
    """How much redder than grey each digit's ink and box are (R minus the mean of G and B)."""
    out = []
    f = rgb.astype(np.float32)
    red = f[..., 0] - (f[..., 1] + f[..., 2]) / 2
    for b, mask in zip(row, masks, strict=True):
        p = int(round(b.h * 0.08))
        y0, x0 = max(0, b.y - p), max(0, b.x - p)
        box = red[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
        ink = box[mask[: box.shape[0], : box.shape[1]] > 0]
        out.append(max(float(ink.mean()) if ink.size else 0.0, float(box.mean()) if box.size else 0.0))
    return out


def _point_after(g: np.ndarray, b: Blob, x1: int, hh: float) -> bool:
    """A point after blob b (before x1): with the characters upright (_deslant), ink at the bottom
    that reaches further right than anything in the upper three quarters of the character."""
    x0, bottom = b.x, b.bottom
    y_band0, y_band1 = int(bottom - 0.2 * hh), int(bottom + 0.04 * hh) + 1
    y_top = max(0, int(bottom - hh))
    if x1 - x0 < 3 or y_band1 > g.shape[0] or x1 > g.shape[1]:
        return False
    box = g[b.y : b.bottom, b.x : b.x + b.w]
    ink_level = float(np.percentile(box, 5))
    bg_level = float(np.percentile(g[y_top:y_band1, x0:x1], 90))
    if bg_level - ink_level < 30:
        return False
    ink = g[:, x0:x1] < (ink_level + bg_level) / 2
    band_cols = np.nonzero(ink[y_band0:y_band1].any(axis=0))[0]
    body_cols = np.nonzero(ink[y_top : int(bottom - 0.25 * hh)].any(axis=0))[0]
    if not len(band_cols) or not len(body_cols):
        return False
    return 0.04 * hh <= int(band_cols.max()) - int(body_cols.max()) <= 0.35 * hh


def _decimal_point(gray: np.ndarray, row: list[Blob], dark_ink: bool) -> int | None:
    """Index of the digit a decimal point follows, or None."""
    g = gray.astype(np.int16) if dark_ink else 255 - gray.astype(np.int16)
    hh = float(np.median([b.h for b in row]))
    for i, b in enumerate(row):
        x1 = row[i + 1].x - 1 if i + 1 < len(row) else int(b.x + b.w + 0.25 * hh)
        if _point_after(g, b, x1, hh):
            return i
    return None


CODE_RE = re.compile(r"^(\d{1,2}\.\d\.\d|T\d{1,2})$")
# The register codes meters show (readings/zones.py's labels and their relatives); a code is read as
# the one of these its characters match best.
LEXICON = sorted(
    {label for labels in zones.DEFAULT_REGISTER_LABELS.values() for ls in labels.values() for label in ls}
    | {"1.8.0", "15.8.0", "2.8.0", "1.8.3", "1.8.4", "15.8.3", "T1", "T2", "T3", "T4", "T11", "T12", "T13", "T23"}
)


def _code(gray, row, all_blobs, dark_ink) -> tuple[str | None, float]:
    """The register code in smaller characters left of the row or above its left half."""
    hh = float(np.median([b.h for b in row]))
    top = min(b.y for b in row)
    bottom = float(np.median([b.bottom for b in row]))
    cands = []
    for b in all_blobs:
        if not (0.3 * hh <= b.h <= 0.8 * hh) or b.w < 2 or not 0.7 <= b.h / b.w <= 12:
            continue
        beside = b.x + b.w < row[0].x - 0.05 * hh and abs(b.bottom - bottom) < 0.25 * hh
        above = top - 1.4 * hh < b.bottom < top + 0.05 * hh and b.cx < row[-1].cx
        if beside or above:
            cands.append(b)
    if not cands:
        return None, 0.0
    # groups: side by side, bottoms aligned, similar heights
    cands.sort(key=lambda b: b.x)
    groups: list[list[Blob]] = []
    for b in cands:
        for g in groups:
            last = g[-1]
            if (
                abs(b.bottom - last.bottom) < 0.25 * last.h
                and 0.75 < b.h / last.h < 1.33
                and 0 < b.x - (last.x + last.w) < 1.6 * last.h
            ):
                g.append(b)
                break
        else:
            groups.append([b])
    groups = [g for g in groups if 1 <= len(g) <= 4]
    if not groups:
        return None, 0.0
    # the group nearest the row's first digit
    chain = min(groups, key=lambda g: abs(g[-1].x + g[-1].w - row[0].x) + abs(g[-1].bottom - bottom))
    masks = [glyphs.normalise(_ink_mask(gray, b, dark_ink)[0]) for b in chain]
    if any(m is None for m in masks):
        return None, 0.0
    sims = _class_sims(masks, "code")
    entries = [c for c in LEXICON if len(c.replace(".", "")) == len(chain)]
    if not entries:
        return None, 0.0
    scored = sorted(
        ((sum(sims[i][ch] for i, ch in enumerate(c.replace(".", ""))) / len(chain), c) for c in entries), reverse=True
    )
    # dots between characters tell 1.8.1 from 18.1 and 15.8.1 from 158.1
    g = gray.astype(np.int16) if dark_ink else 255 - gray.astype(np.int16)
    ch_h = float(np.median([b.h for b in chain]))
    dots = "".join("1" if _point_after(g, chain[i], chain[i + 1].x - 1, ch_h) else "0" for i in range(len(chain) - 1))

    def dot_pattern(code: str) -> str:
        out, chars = "", code.split(".")
        for part in chars:
            out += "0" * (len(part) - 1) + "1"
        return out[:-1]

    scored = sorted(
        ((score - 0.12 * sum(x != y for x, y in zip(dot_pattern(c), dots, strict=True)), c) for score, c in scored),
        reverse=True,
    )
    best_score, best = scored[0]
    runner = scored[1][0] if len(scored) > 1 else 0.0
    conf = _digit_confidence(best_score, best_score - runner)
    return best, conf


# In a strip the row's digits are STRIP_H px tall, the row level, its bottom at ROW_BOTTOM.
STRIP_H = 48
ABOVE, BELOW, LEFT, RIGHT = 2.4, 0.6, 7.0, 3.0  # strip margins around the row, in digit heights


def _strip(rgb, gray, row: list[Blob]):
    """The row turned level and scaled so its digits are STRIP_H tall, with room for a code."""
    angle = _angle(row)
    hh = float(np.median([b.h for b in row])) * math.cos(math.radians(angle))
    scale = STRIP_H / max(hh, 1.0)
    cx = (row[0].cx + row[-1].cx) / 2
    cy = float(np.mean([b.cy for b in row]))
    half_w = (row[-1].cx - row[0].cx) / 2 * scale / math.cos(math.radians(angle))
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    width = int(half_w * 2 + (LEFT + RIGHT) * STRIP_H)
    height = int((ABOVE + BELOW + 1) * STRIP_H)
    m[0, 2] += LEFT * STRIP_H + half_w - cx
    m[1, 2] += (ABOVE + 0.5) * STRIP_H - cy
    warp = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(rgb, m, (width, height), **warp), cv2.warpAffine(gray, m, (width, height), **warp)


SHEARS = (-0.08, -0.04, 0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24)


def _deslant(rgb, gray, dark_ink):
    """Stand italic digits (and those a photo's perspective leans) upright: the shear whose column
    profile of the row's ink is sharpest (strokes vertical, gaps clean)."""
    y0, y1 = int(ABOVE * STRIP_H), int((ABOVE + 1) * STRIP_H)
    band = _binary(gray, dark_ink)[y0:y1].astype(np.float32) / 255
    h, w = band.shape
    best, best_score = 0.0, -1.0
    for shear in SHEARS:
        m = np.float32([[1, shear, -shear * h], [0, 1, 0]])
        cols = cv2.warpAffine(band, m, (w, h)).sum(axis=0)
        score = float((cols**2).sum())
        if score > best_score:
            best, best_score = shear, score
    if best == 0.0:
        return rgb, gray
    bottom = (ABOVE + 1) * STRIP_H
    m = np.float32([[1, best, -best * bottom], [0, 1, 0]])
    size = (gray.shape[1], gray.shape[0])
    warp = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(rgb, m, size, **warp), cv2.warpAffine(gray, m, size, **warp)


def _join_split_bars(blobs: list[Blob], areas: dict) -> list[Blob]:
    """A seven-segment digit whose upper and lower halves the threshold left apart (a '1', a '7', a
    '4': their halves touch only through a gap): two half-height blobs one above the other, overlapping
    side to side, become one blob."""
    thin = [b for b in blobs if b.w < 0.8 * STRIP_H and 0.15 * STRIP_H <= b.h <= 0.65 * STRIP_H]
    joined, used = [], set()
    for a in thin:
        for b in thin:
            if a is b or a.label in used or b.label in used or b.y <= a.y:
                continue
            overlap = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
            gap = b.y - a.bottom
            height = b.bottom - a.y
            if (
                overlap >= 0.5 * min(a.w, b.w)
                and 0 <= gap < 0.45 * STRIP_H
                and 0.75 * STRIP_H <= height <= 1.1 * STRIP_H
                and max(a.x + a.w, b.x + b.w) - min(a.x, b.x) < 0.8 * STRIP_H
            ):
                x = min(a.x, b.x)
                merged = Blob(x, a.y, max(a.x + a.w, b.x + b.w) - x, height, a.label)
                areas[a.label] = areas[a.label] + areas[b.label]
                used |= {a.label, b.label}
                joined.append(merged)
    return [b for b in blobs if b.label not in used] + joined


def _split_wide(blobs: list[Blob], labels: np.ndarray, areas: dict) -> list[Blob]:
    """A digit-high blob too wide for one digit (a decimal point that touches the digits on both of
    its sides joins them) is cut where its columns hold almost no ink."""
    out = []
    next_label = int(labels.max()) + 1
    for b in blobs:
        if not (0.6 * STRIP_H <= b.h <= 1.45 * STRIP_H and b.w > b.h / 0.9):
            out.append(b)
            continue
        mask = labels[b.y : b.bottom, b.x : b.x + b.w] == b.label
        low = mask.sum(axis=0) <= 0.25 * b.h
        parts, start = [], None
        for x, keep in enumerate(np.append(~low, False)):
            if keep and start is None:
                start = x
            elif not keep and start is not None:
                parts.append((start, x))
                start = None
        if len(parts) < 2:
            out.append(b)
            continue
        for x0, x1 in parts:
            rows = np.nonzero(mask[:, x0:x1].any(axis=1))[0]
            if x1 - x0 < 3 or not len(rows):
                continue
            part = Blob(b.x + x0, b.y + int(rows[0]), x1 - x0, int(rows[-1] - rows[0] + 1), next_label)
            areas[next_label] = int(mask[:, x0:x1].sum())
            next_label += 1
            out.append(part)
    return out


def _strip_row(gray, dark_ink):
    best = (None, [], {})
    centre = (ABOVE + 0.5) * STRIP_H
    for close in (0, 5):
        binary = _binary(gray, dark_ink)
        if close:
            binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, np.ones((close, 3), np.uint8))
        all_blobs, labels, areas = _blobs(binary)
        all_blobs = _split_wide(_join_split_bars(all_blobs, areas), labels, areas)
        cands = [
            b
            for b in all_blobs
            if 0.6 * STRIP_H <= b.h <= 1.45 * STRIP_H
            and abs(b.cy - centre) < 0.45 * STRIP_H
            and _digit_like(b, areas[b.label], 10**6)
        ]
        rows = _chains(cands, nearest=True)
        if rows and (best[0] is None or sum(b.h for b in rows[0]) > sum(b.h for b in best[0])):
            best = (rows[0], all_blobs, areas)
    return best


def _read_row(rgb, gray, row, dark_ink):
    """(Raw, fit) for one candidate row."""
    srgb, sgray = _strip(rgb, gray, row)
    level, _, _ = _strip_row(sgray, dark_ink)
    if level is not None and len(level) >= 3 and abs(_angle(level)) > 1.0:  # the first slope was rough
        m = cv2.getRotationMatrix2D(((level[0].cx + level[-1].cx) / 2, level[0].cy), _angle(level), 1.0)
        size = (sgray.shape[1], sgray.shape[0])
        warp = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        srgb, sgray = cv2.warpAffine(srgb, m, size, **warp), cv2.warpAffine(sgray, m, size, **warp)
    srgb, sgray = _deslant(srgb, sgray, dark_ink)
    row, all_blobs, areas = _strip_row(sgray, dark_ink)
    if row is None:
        return NOTHING, 0.0
    inks = [_ink_mask(sgray, b, dark_ink) for b in row]
    masks = [glyphs.normalise(mask) for mask, _ in inks]
    if any(m is None for m in masks):
        return NOTHING, 0.0
    if sum(_holds_a_digit(mask, b) for (mask, _), b in zip(inks, row, strict=True)) * 2 >= len(row):
        return NOTHING, 0.0  # these are a drum's window cells, with the digits as their holes
    as_seven = _classify(masks, "seven")
    as_drum = _classify(masks, "drum")
    seven_fit = float(np.mean([s for _, s, _ in as_seven]))
    drum_fit = float(np.mean([s for _, s, _ in as_drum]))
    kind, result = ("seven", as_seven) if seven_fit >= drum_fit else ("drum", as_drum)
    fit = max(seven_fit, drum_fit) * min(1.0, len(row) / 4)
    off_pitch = _off_pitch_bars(row, result, kind, [mask for mask, _ in inks]) | _faint(sgray, row, dark_ink)
    if off_pitch:
        row = [b for i, b in enumerate(row) if i not in off_pitch]
        inks = [x for i, x in enumerate(inks) if i not in off_pitch]
        result = [x for i, x in enumerate(result) if i not in off_pitch]
        if not row:
            return NOTHING, 0.0
    keep = len(row)
    code = None
    code_conf = 1.0
    if kind == "drum":
        red = _redness(srgb, row, [mask for mask, _ in inks])
        base = float(np.median(red))
        # the red tenths wheel ends the reading (a frame edge after it may look like a '1')
        for i in range(max(1, len(row) - 3), len(row)):
            if red[i] - base > 18 or _is_red(srgb, row[i]):
                keep = i
                break
    else:
        point = _decimal_point(sgray, row, dark_ink)
        if point is not None:
            keep = point + 1
        code, code_conf = _code(sgray, row, all_blobs, dark_ink)
    digits = "".join(label for label, _, _ in result[:keep])
    conf = min(_digit_confidence(s, m, MARGIN_SCALE[kind]) for _, s, m in result[:keep])
    if _gap_in(row[: keep + 1], kind):
        conf *= 0.5  # a digit's place is empty: one was not found (or the row is not one row)
    elif kind == "seven" and _uneven_step(row if keep == len(row) else row[:keep], kind, [mask for mask, _ in inks]):
        # no point found, yet a wider gap in the row (a decimal point the threshold lost, the decimals
        # read as whole digits); or a gap inside the whole part before a point (a digit lost there)
        conf *= 0.6
    if kind == "seven" and (
        _left_out(row[:keep], all_blobs, row) or _ink_beside(_binary(sgray, dark_ink), row, after=keep == len(row))
    ):
        conf *= 0.6
    if keep < 4 or (kind == "drum" and keep > 7) or keep > 8:
        conf *= 0.5  # no meter has so few wheels or digits, nor so many
    if code is not None and not CODE_RE.match(code):
        code, code_conf = None, 0.0
    return Raw(digits, code, round(conf, 3), kind, round(code_conf if code else 0.0, 3)), fit


def read(rgb: np.ndarray) -> Raw:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    reads = []
    for row, dark_ink in _candidate_rows(gray):
        raw, fit = _read_row(rgb, gray, row, dark_ink)
        # The reading is the biggest print on the meter: a serial number may match as well, but smaller.
        # Of two readings of the same row, the one that found more digits (a thin '1') wins.
        fit = (fit + 0.02 * len(raw.digits)) * float(np.median([b.h for b in row])) ** 0.3
        if raw.digits:
            reads.append((fit, raw))
    if not reads:
        return NOTHING
    reads.sort(key=lambda r: -r[0])
    best_fit, best = reads[0]
    # Nearly as good a reading that says something else (another threshold, another slope): the photo
    # is ambiguous, whichever digit is right.
    if any(fit >= 0.93 * best_fit and int(raw.digits) != int(best.digits) for fit, raw in reads[1:]):
        best = Raw(best.digits, best.code, round(best.confidence * 0.6, 3), best.kind, best.code_confidence)
    return best
