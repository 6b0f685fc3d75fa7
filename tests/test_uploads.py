"""Photo uploads: only real JPEG, PNG and WebP images are taken, whatever the file is
called; they are re-encoded without their metadata (GPS above all), stored under random
names and served with nosniff."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import ActivityReport, Campaign
from campaigns.services.content.uploads import (
    MAX_BYTES,
    CleanImage,
    UploadRefused,
    clean_image,
    save_image,
)
from tests.markup import parse
from tests.payments_fixtures import isolated
from tests.test_staff_campaigns import NEW_CAMPAIGN

NOT_A_PHOTO = "Please upload a JPEG, PNG or WebP photo."
TOO_MANY_PIXELS = "This photo is too large (at most 40 megapixels)."
GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def encoded(fmt: str, size=(320, 240), colour="teal", mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: GPS position, camera make, a comment, and "rotate 90°" in EXIF."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (36.0, 12.0, 3.5), 3: "E", 4: (36.0, 9.0, 41.0)}
    return encoded("JPEG", size=(400, 300), exif=exif.tobytes(), comment=b"taken at home")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's)."""
    data = bytearray(encoded("PNG", size=(8, 8), mode="L"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def refusal(data: bytes) -> str:
    with pytest.raises(UploadRefused) as refused:
        clean_image(io.BytesIO(data))
    return str(refused.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<?php system($_GET['c']); ?>", NOT_A_PHOTO),
        (b"<!doctype html><script>alert(document.cookie)</script>", NOT_A_PHOTO),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
            NOT_A_PHOTO,
        ),
        (encoded("GIF"), NOT_A_PHOTO),
        (encoded("BMP"), NOT_A_PHOTO),
        (encoded("JPEG")[:200], NOT_A_PHOTO),  # cut short
        (b"", "The file is empty."),
        (b"\xff\xd8\xff\xe0" + bytes(MAX_BYTES), "This file is too big (at most 8 MB)."),
        (png_claiming(50_000, 50_000), TOO_MANY_PIXELS),
        (png_claiming(8_000, 6_000), TOO_MANY_PIXELS),  # under Pillow's own limit, over ours
    ],
    ids=["php", "html", "svg", "gif", "bmp", "truncated", "empty", "oversized", "bomb", "48mp"],
)
def test_anything_but_a_real_photo_is_refused(app_ctx, data, message):
    assert refusal(data) == message


def test_a_large_blank_image_is_refused_by_pixels_not_bytes(app_ctx):
    data = encoded("PNG", size=(7_000, 6_000), mode="1", optimize=True)
    assert len(data) < MAX_BYTES  # highly compressed: only the pixel count gives it away

    assert refusal(data) == TOO_MANY_PIXELS


@pytest.mark.parametrize(("fmt", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_jpeg_png_and_webp_are_taken_and_keep_their_format(app_ctx, fmt, extension):
    clean = clean_image(io.BytesIO(encoded(fmt)))

    assert clean.extension == extension
    assert Image.open(io.BytesIO(clean.data)).format == fmt


def test_gps_and_every_other_metadata_are_stripped(app_ctx):
    clean = clean_image(io.BytesIO(jpeg_with_gps()))

    stored = Image.open(io.BytesIO(clean.data))
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in stored.info and "comment" not in stored.info
    assert b"PhoneMaker" not in clean.data and b"taken at home" not in clean.data
    # The orientation was applied before EXIF went: the photo stands upright.
    assert stored.size == (300, 400)


def test_big_photos_are_scaled_down(app_ctx):
    clean = clean_image(io.BytesIO(encoded("JPEG", size=(4_800, 1_200))))

    assert Image.open(io.BytesIO(clean.data)).size == (2_400, 600)


def test_stored_names_are_random(tmp_path):
    first = save_image(CleanImage(b"one", "jpg"), tmp_path)
    second = save_image(CleanImage(b"two", "jpg"), tmp_path)

    assert first != second
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", first)
    assert (tmp_path / first).read_bytes() == b"one"


# -- through the staff pages -----------------------------------------------------------------

REPORT = {
    "title": "Tents delivered",
    "slug": "tents-delivered",
    "happened_on": "2026-02-10",
    "place": "Hatay",
    "summary": "",
    "body": "",
    "action": "save",
}


def upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def test_uploaded_photo_is_stored_clean_under_a_random_name_and_served_nosniff(
    app, client, staff_login, app_ctx
):
    editor = staff_login(client, "editor")

    response = editor.post(
        "/staff/reports/new",
        REPORT
        | {
            "photo_0": (io.BytesIO(jpeg_with_gps()), "IMG_0001 family home.php.jpg"),
            "photo_alt_0": "Children in front of a new tent",
        },
    )

    assert response.status_code == 303
    db.session.expire_all()
    [image] = db.session.scalars(select(ActivityReport)).one().images
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", image.filename)
    assert "IMG" not in image.filename and "family" not in image.filename
    assert image.alt == "Children in front of a new tent"
    with Image.open(upload_folder(app) / image.filename) as stored:
        assert dict(stored.getexif()) == {}
    served = client.get(f"/uploads/{image.filename}")
    served.close()
    assert served.status_code == 200
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.mimetype == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<?php echo 'hi'; ?>", "shell.php"),
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg"),
        (encoded("GIF"), "animation.gif"),
    ],
    ids=["php", "html-named-jpg", "svg", "gif"],
)
def test_refused_uploads_say_why_and_store_nothing(app, client, staff_login, app_ctx, data, name):
    editor = staff_login(client, "editor")
    before = set(upload_folder(app).iterdir()) if upload_folder(app).exists() else set()

    response = editor.post(
        "/staff/reports/new",
        REPORT | {"photo_0": (io.BytesIO(data), name), "photo_alt_0": "A photo"},
    )

    assert response.status_code == 422
    [error] = parse(response.data).find_all("p", "field-error")
    assert error.text == NOT_A_PHOTO
    assert db.session.scalars(select(ActivityReport)).all() == []
    after = set(upload_folder(app).iterdir()) if upload_folder(app).exists() else set()
    assert after == before


def test_a_cover_photo_needs_a_description(app, client, staff_login, app_ctx):
    editor = staff_login(client, "editor")
    cover = {"cover": (io.BytesIO(encoded("PNG")), "cover.png")}

    missing = editor.post("/staff/campaigns/new", NEW_CAMPAIGN | cover)
    cover = {"cover": (io.BytesIO(encoded("PNG")), "cover.png")}
    described = editor.post(
        "/staff/campaigns/new", NEW_CAMPAIGN | cover | {"cover_alt": "A family beside a tent"}
    )

    assert missing.status_code == 422
    assert "Please describe the cover photo for people who cannot see it." in missing.get_data(
        as_text=True
    )
    assert described.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    assert re.fullmatch(r"[0-9a-f]{32}\.png", campaign.cover_image)
    assert (upload_folder(app) / campaign.cover_image).exists()


def test_replacing_a_cover_deletes_the_old_file(app, client, staff_login, app_ctx):
    editor = staff_login(client, "editor")
    first = {"cover": (io.BytesIO(encoded("PNG")), "a.png"), "cover_alt": "A tent"}
    editor.post("/staff/campaigns/new", NEW_CAMPAIGN | first)
    campaign = db.session.scalars(select(Campaign)).one()
    old = campaign.cover_image

    second = {"cover": (io.BytesIO(encoded("JPEG")), "b.jpg"), "cover_alt": "Two tents"}
    assert editor.post(f"/staff/campaigns/{campaign.id}", NEW_CAMPAIGN | second).status_code == 303

    db.session.expire_all()
    assert campaign.cover_image != old and campaign.cover_image.endswith(".jpg")
    assert not (upload_folder(app) / old).exists()
    assert client.get(f"/uploads/{old}").status_code == 404


def test_a_request_over_the_size_limit_gets_the_413_page(client, staff_login, app_ctx):
    editor = staff_login(client, "editor")
    # A raw body: the test client would spool a multipart dict to a file it never closes.
    body = b"--x\r\nContent-Disposition: form-data; name=photo_0; filename=a.jpg\r\n\r\n"
    body += bytes(17 * 1024 * 1024) + b"\r\n--x--\r\n"

    response = isolated(
        client.post,
        "/staff/reports/new",
        data=body,
        content_type="multipart/form-data; boundary=x",
    )

    assert response.status_code == 413
    assert db.session.scalars(select(ActivityReport)).all() == []
    assert editor.get("/staff/reports").status_code == 200  # still signed in, nothing broken
