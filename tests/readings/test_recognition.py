"""The display reader (readings/recognition): photos drawn by its generator, code -> zone mapping,
photos it cannot read, and the read_display command's JSON."""

import io
import json

import pytest
from django.core.management import call_command
from PIL import Image

from readings import recognition
from readings.recognition import Recognition, recognize, synthetic, zone_of_code


def test_code_maps_to_zone_through_the_labels():
    assert zone_of_code("1.8.1", "day+night") == "night"
    assert zone_of_code("T22", "day+night") == "day"
    assert zone_of_code("15.8.2", "day+night") == "day"
    assert zone_of_code("1.8.3", "peak+half_peak+night") == "night"
    assert zone_of_code("T1", "peak+half_peak+night") == "peak"
    # a code the meter's labels do not name tells no zone on a multi-zone meter
    assert zone_of_code("1.8.0", "day+night") is None
    assert zone_of_code(None, "day+night") is None
    # one zone: whatever the display shows is the total
    assert zone_of_code(None, "total") == "total"
    assert zone_of_code("1.8.1", "total") == "total"
    # the meter's own labels win over the defaults
    assert zone_of_code("1.8.1", "day+night", {"day": ["1.8.1"], "night": ["1.8.2"]}) == "day"
    with pytest.raises(ValueError):
        zone_of_code("1.8.1", "weekend")


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "image",
    [
        b"",
        b"not an image at all",
        b"%PDF-1.4\n1 0 obj<<>>endobj",
        synthetic.noise_image(seed=1),
        synthetic.blob_picture(seed=2),
        _png(Image.new("RGB", (640, 480), (255, 255, 255))),
        _png(Image.new("RGB", (1, 1), (0, 0, 0))),
        synthetic.drum_counter(12345, seed=3)[:400],  # a truncated JPEG
    ],
    ids=["zero-bytes", "text", "pdf", "noise", "cat-like", "blank", "one-pixel", "truncated"],
)
@pytest.mark.parametrize("zone_set", ["total", "day+night"])
def test_an_unreadable_image_is_not_sure_and_never_raises(image, zone_set):
    result = recognize(image, zone_set)
    assert isinstance(result, Recognition)
    assert not result.sure
    assert result.confidence < recognition.CONFIDENT
    if not result.values:
        assert result.code is None or result.confidence < recognition.CONFIDENT


@pytest.mark.parametrize("image", [b"", b"junk", b"GIF89a" + bytes(40)])
def test_nothing_read_is_the_empty_recognition(image):
    assert recognize(image) == Recognition({}, None, 0.0)


def test_generator_is_deterministic():
    assert synthetic.drum_counter(56708, seed=4) == synthetic.drum_counter(56708, seed=4)
    assert synthetic.lcd_display(14420, "1.8.1", seed=4) == synthetic.lcd_display(14420, "1.8.1", seed=4)
    assert synthetic.lcd_display(14420, "1.8.1", seed=4) != synthetic.lcd_display(14420, "1.8.1", seed=5)
    with Image.open(io.BytesIO(synthetic.sample("lcd", 3).image)) as img:
        assert img.format == "JPEG"


def test_read_display_prints_json_as_its_last_line(tmp_path, capsys):
    photo = tmp_path / "meter.jpg"
    photo.write_bytes(b"this is not a photo")
    call_command("read_display", str(photo), "--zones", "day+night")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == {"values": {}, "code": None, "confidence": 0.0}


def test_generated_photos_are_read_and_none_is_wrong_but_sure():
    """A bounded slice of the benchmark's photos (bench/recognition.py runs 500 of each kind)."""
    for kind, at_least in (("drum", 12), ("lcd", 11)):
        right = 0
        for seed in range(12):
            photo = synthetic.sample(kind, seed)
            result = recognize(photo.image, "total")
            read = result.values.get("total")
            right += read == photo.value
            assert not (result.sure and read != photo.value), (kind, seed, photo.value, result)
        assert right >= at_least, (kind, right)


def test_a_drum_counter_gives_the_whole_part_without_the_red_tenths():
    result = recognize(synthetic.drum_counter(56708, digits=6, red_tenths=True, seed=0), "total")
    assert result.values == {"total": 56708}
    assert result.code is None
    assert result.sure


@pytest.mark.parametrize("seed", range(4))
def test_lcd_decimals_after_the_point_are_dropped(seed):
    result = recognize(synthetic.lcd_display(14420, "1.8.2", seed=seed, decimals=2), "total")
    assert result.values == {"total": 14420}


@pytest.mark.parametrize("seed", range(3))
def test_a_white_on_black_drum_counter_is_read(seed):
    result = recognize(synthetic.drum_counter(3071, digits=7, red_tenths=True, inverted=True, seed=seed), "total")
    assert result.values == {"total": 3071}


def test_a_drum_counter_on_a_two_zone_meter_tells_no_zone():
    result = recognize(synthetic.drum_counter(56708, digits=6, red_tenths=True, seed=1), "day+night")
    assert result.values == {}
    assert result.number == 56708
    assert not result.sure


def test_the_lcd_register_code_tells_the_zone():
    # a two-zone meter's night register: 14420 goes to night, not day
    result = recognize(synthetic.lcd_display(14420, "1.8.1", seed=2, decimals=0), "day+night")
    assert result.values == {"night": 14420}
    assert result.code == "1.8.1"
    assert result.sure


def test_read_display_prints_the_drum_reading(tmp_path, capsys):
    photo = tmp_path / "drum.jpg"
    photo.write_bytes(synthetic.drum_counter(56708, digits=6, red_tenths=True, seed=0))
    call_command("read_display", str(photo))
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["values"] == {"total": 56708}
    assert last["code"] is None
    assert 0.0 <= last["confidence"] <= 1.0
