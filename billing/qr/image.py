"""The payment QR symbol of a stored QR string (billing/qr/payloads.py), drawn as an SVG for web pages and as
a PNG (one pixel per module, printed unsmoothed) for PDFs, where WeasyPrint draws an image much faster than
it parses an SVG path. No Django.

segno encodes; the data mask is chosen here. ISO/IEC 18004 (7.8.3) has the encoder score all eight masks
and keep the lowest penalty; segno does that module by module in Python, about 11 ms of CPU for an
invoice's version 11 symbol, most of a symbol's cost and a sixth of an invoice PDF's. `_best_mask` scores
the eight with numpy, the same rules and the same arithmetic as segno's `find_and_apply_best_mask` and
`mask_scores` (segno 1.6.6), so it picks the same mask and the symbol is identical, module for module
(tests/billing/test_qr.py compares them on many payloads); segno's own helpers add the format and version
information. A symbol costs about a third of the time. The symbol is encoded with segno's own helpers up to
the mask (`_unmasked`), so segno never applies a mask in Python; the PNG is written here (`_png_greyscale`).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from decimal import Decimal
from itertools import chain, zip_longest
from types import SimpleNamespace

import numpy as np
import segno
from segno import consts as segno_consts
from segno import encoder as segno_encoder
from segno.consts import MODE_BYTE

# Error correction M: Appendix 1 of the NBU rules allows M or Q; M keeps the symbol smallest, and a
# printed invoice is not a worn sticker. The same level serves the GOST text.
QR_ERROR = "m"
QR_QUIET_ZONE_MODULES = 4  # ISO/IEC 18004 (and the NBU rules through DSTU ISO/IEC 18004:2019)
QR_MODULE_MIN_MM = Decimal("0.5")  # Appendix 1: a module at least 0.5 mm
QR_MODULE_MM = Decimal("0.6")  # version 10 (57 modules + quiet zone) -> 39 mm; version 15 -> 51 mm


def qr_code(data: str) -> segno.QRCode:
    """The QR symbol for `data`, encoded as UTF-8 bytes in byte mode without an ECI header.

    Bytes, not str: given a str, segno tries ISO-8859-1, then Shift_JIS (which has Cyrillic!), then
    UTF-8, so GOST text would silently come out as Shift_JIS. No ECI: many bank scanners ignore or
    trip over it, and the GOST header already names the encoding. The NBU URL is ASCII, so it is
    the same bytes either way. `boost_error=False` keeps the level exactly M instead of letting segno
    raise it (possibly to H, which the NBU rules do not list).

    Cached: the cabinet page, the PDF and a print batch draw the same invoice's code again.
    """
    return _symbol(data)


@functools.lru_cache(maxsize=512)
def _symbol(data: str) -> segno.QRCode:
    version, error, unmasked = _unmasked(data.encode("utf-8"))
    mask, masked = _best_mask(version, unmasked)
    # The symbol with the chosen mask, finished as segno finishes one (format, then version information).
    matrix = tuple(bytearray(row) for row in masked.tolist())
    segno_encoder.add_format_info(matrix, version, error, mask)
    segno_encoder.add_version_info(matrix, version)
    code = SimpleNamespace(
        matrix=matrix, version=version, error=error, mask=mask, segments=[SimpleNamespace(mode=MODE_BYTE)]
    )
    return segno.QRCode(code)


def _unmasked(content: bytes) -> tuple[int, int, np.ndarray]:
    """segno's `_encode` (segno 1.6.6) for one byte-mode segment without ECI, up to the data mask: the version,
    the error level and the matrix with the codewords placed, no mask applied. `segno.make(mask=0)` would apply
    mask 0 module by module in Python (a fifth of a symbol) only for `_best_mask` to undo it; and the final
    message's bits are unpacked with numpy rather than a generator per codeword (another fifth)."""
    error = segno_encoder.normalize_errorlevel(QR_ERROR)
    segments = segno_encoder.prepare_data(content, MODE_BYTE, None)
    version = segno_encoder.find_version(segments, error, eci=False, micro=False)
    buffer = segno_encoder.Buffer()
    for segment in segments:
        segno_encoder.write_segment(buffer, segment, None, segno_encoder.version_range(version), False)
    capacity = segno_consts.SYMBOL_CAPACITY[version][error]
    segno_encoder.write_terminator(buffer, capacity, None, len(buffer))
    segno_encoder.write_padding_bits(buffer, version, len(buffer))
    segno_encoder.write_pad_codewords(buffer, version, capacity, len(buffer))
    data_blocks, error_blocks = segno_encoder.make_blocks(segno_consts.ECC[version][error], buffer)
    codewords = [
        codeword
        for blocks in (data_blocks, error_blocks)
        for codeword in chain.from_iterable(zip_longest(*blocks))
        if codeword is not None
    ]
    bits = np.unpackbits(np.array(codewords, dtype=np.uint8)).tobytes() + bytes(_REMAINDER_BITS.get(version, 0))
    frame, placement = _placement(version)
    matrix = frame.copy()
    matrix.flat[placement] = np.frombuffer(bits, dtype=np.uint8)
    return version, error, matrix


@functools.cache
def _placement(version: int) -> tuple[np.ndarray, np.ndarray]:
    """For a QR version: the matrix with its finder, timing and alignment patterns (segno's helpers), and the
    flat positions segno's `add_codewords` writes the message's bits to, in order. Found once by letting
    `add_codewords` place each bit's own number, so a symbol places its bits with one numpy assignment."""
    width = segno_encoder.calc_matrix_size(version)
    matrix = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(matrix, width, width)
    segno_encoder.add_alignment_patterns(matrix, width, width)
    frame = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(width, width)
    numbered = frame.astype(np.int64)
    free = int((frame == 0x2).sum())
    segno_encoder.add_codewords(numbered, range(-1, -free - 1, -1), version)  # bit k placed as -(k + 1)
    placed = numbered.ravel()
    positions = np.flatnonzero(placed < 0)
    return frame, positions[np.argsort(-placed[positions])]


# ISO/IEC 18004 7.6: the remainder bits after the final message, by version (as segno's make_final_message).
_REMAINDER_BITS = {
    **dict.fromkeys((2, 3, 4, 5, 6), 7),
    **dict.fromkeys((14, 15, 16, 17, 18, 19, 20, 28, 29, 30, 31, 32, 33, 34), 3),
    **dict.fromkeys((21, 22, 23, 24, 25, 26, 27), 4),
}


# The 1:1:3:1:1 finder-like pattern of penalty rule N3.
_N3_PATTERN = bytes((1, 0, 1, 1, 1, 0, 1))


@functools.cache
def _layout(version: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a QR version: the modules the data mask applies to (the encoding region), the matrix segno scores
    a mask on outside that region (finder, separator, timing and alignment patterns; format and version
    areas still light), and the eight masks (True = flip) over the region. Built with segno's own helpers."""
    width = segno_encoder.calc_matrix_size(version)
    matrix = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(matrix, width, width)
    segno_encoder.add_alignment_patterns(matrix, width, width)
    function = np.array([list(row) for row in matrix], dtype=np.uint8)
    region = function > 1
    region[-8, 8] = False  # the dark module: not masked (segno marks it so), light while scoring
    frame = np.where(region, 0, function).astype(np.uint8)
    i, j = np.indices((width, width))
    patterns = (
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    )
    masks = np.stack([pattern & region for pattern in patterns]).astype(np.uint8)
    return region, frame, masks


def _best_mask(version: int, unmasked: np.ndarray) -> tuple[int, np.ndarray]:
    """The mask segno would choose for the data of `unmasked` (the codewords placed, no mask), and the matrix
    with that mask applied (format and version areas still light, as when it was scored)."""
    region, frame, masks = _layout(version)
    data = np.where(region, unmasked, frame)  # the data in the region, the frame elsewhere
    candidates = data[np.newaxis] ^ masks  # (8, width, width)
    scores = _runs_score(candidates) + _runs_score(candidates.transpose(0, 2, 1)) + _blocks_score(candidates)
    for number in range(8):
        scores[number] += _finder_like_score(candidates[number]) + _balance_score(candidates[number])
    best = int(np.argmin(scores))  # the first of equal scores, as segno keeps the first
    return best, candidates[best]


def _runs_score(candidates: np.ndarray) -> np.ndarray:
    """N1 along the rows: a run of 5 + k modules of one colour costs 3 + k."""
    count, height, width = candidates.shape
    edge = np.full((count, height, 1), 2, dtype=np.uint8)  # a value no module has: runs end with the row
    flat = np.concatenate((edge, candidates, edge), axis=2).reshape(count, -1)
    scores = np.zeros(count, dtype=np.int64)
    for number in range(count):
        row = flat[number]
        starts = np.flatnonzero(np.diff(row)) + 1
        lengths = np.diff(np.concatenate(([0], starts, [row.size])))
        values = row[np.concatenate(([0], starts))]
        long_runs = lengths[(lengths >= 5) & (values != 2)]
        scores[number] = int((long_runs - 2).sum())
    return scores


def _blocks_score(candidates: np.ndarray) -> np.ndarray:
    """N2: every 2 x 2 block of one colour costs 3."""
    top_left = candidates[:, :-1, :-1]
    same = (
        (top_left == candidates[:, 1:, :-1])
        & (top_left == candidates[:, :-1, 1:])
        & (top_left == candidates[:, 1:, 1:])
    )
    return 3 * same.sum(axis=(1, 2))


def _finder_like_score(matrix: np.ndarray) -> int:
    """N3 on rows and columns, as segno scans them: 40 for each 1:1:3:1:1 pattern with 4 light modules (or
    the edge) on one side. Rare, so only the lines that hold the pattern at all are scanned in Python."""
    size = matrix.shape[0]
    score = 0
    for lines in (matrix, matrix.T):
        windows = np.lib.stride_tricks.sliding_window_view(lines, 7, axis=1)
        for index in np.flatnonzero((windows == np.frombuffer(_N3_PATTERN, dtype=np.uint8)).all(axis=2).any(axis=1)):
            line = lines[index].tobytes()
            found = line.find(_N3_PATTERN)
            while found != -1:
                offset = found + 7
                if (
                    found in (0, size - 7)
                    or not any(line[max(found - 4, 0) : min(found, size)])
                    or not any(line[max(offset, 0) : min(offset + 4, size)])
                ):
                    score += 40
                else:
                    offset = found + 4
                found = line.find(_N3_PATTERN, offset)
    return score


def _balance_score(matrix: np.ndarray) -> int:
    """N4: 10 for every 5 % the share of dark modules strays from half (segno's float arithmetic)."""
    percent = float(int(matrix.sum())) / (matrix.shape[0] ** 2)
    return 10 * int(abs(percent * 100 - 50) / 5)


def qr_png(data: str, *, scale: Decimal = QR_MODULE_MM) -> tuple[bytes, Decimal]:
    """The QR for `data` as a PNG of one pixel per module, and the side in mm to print it at.

    For PDFs: WeasyPrint parses an inline SVG path in Python (about 25 ms for an invoice's code), an
    image costs it almost nothing. Printed with `image-rendering: pixelated` the PDF asks viewers and
    printers not to smooth it, so every module stays a sharp square at any resolution. The quiet zone
    is part of the image, so it reads even on a tinted box.
    """
    scale = _module_mm(scale)
    symbol = qr_code(data)
    return _png_greyscale(symbol.matrix), symbol.symbol_size(scale=1, border=QR_QUIET_ZONE_MODULES)[0] * scale


def _png_greyscale(matrix) -> bytes:
    """An 8-bit greyscale PNG of the modules (dark 0, light 255) with the quiet zone, written directly.

    segno's PNG writer runs in Python and writes a 1-bit image, which WeasyPrint converts to RGB and encodes
    again; a greyscale PNG is what WeasyPrint embeds as it is (DeviceGray), the same black and white pixels.
    """
    modules = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(len(matrix), -1)
    pixels = np.where(np.pad(modules, QR_QUIET_ZONE_MODULES) & 1, 0, 255).astype(np.uint8)
    height, width = pixels.shape
    rows = np.concatenate((np.zeros((height, 1), dtype=np.uint8), pixels), axis=1)  # filter 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes())),
            _png_chunk(b"IEND", b""),
        )
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _module_mm(scale: Decimal) -> Decimal:
    scale = Decimal(str(scale))
    if scale < QR_MODULE_MIN_MM:
        raise ValueError(f"a QR module must be at least {QR_MODULE_MIN_MM} mm, got {scale} mm")
    return scale


def qr_svg(data: str, *, scale: Decimal = QR_MODULE_MM) -> str:
    """An inline SVG (no XML declaration) of the QR for `data`, `scale` millimetres per module.

    Width and height are in mm, so the printed size does not depend on the PDF's pixel density; the
    4-module quiet zone is painted white so the code reads even on a tinted box. Decimal scale keeps
    the mm values exact (0.6 * 69 as floats would print 41.39999999999999mm).

    No hryvnia sign in the centre: the NBU 2025 graphics (Appendix 1) put a white circle of 17-25
    modules with the sign over the middle of the code. That only works because error correction
    restores the covered modules, and at level M it eats a large share of the 15% margin that a
    folded or smudged paper invoice needs; the sign's exact outline is defined by the NBU and we do
    not have it. A plain QR is read by every bank app; the sign is an identification mark.
    """
    scale = _module_mm(scale)
    buffer = io.BytesIO()
    qr_code(data).save(
        buffer,
        kind="svg",
        scale=scale,
        unit="mm",
        border=QR_QUIET_ZONE_MODULES,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,  # kept so the same SVG also works as a standalone file or data: URI
        svgclass="payment-qr",
        lineclass=None,
        nl=False,
    )
    return buffer.getvalue().decode("utf-8")
