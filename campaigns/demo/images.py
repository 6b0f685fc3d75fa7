"""Pictures for the demo data, drawn with Pillow: no downloads, no text, a few ms each.

Each theme is a gradient sky with a few flat shapes that evoke a campaign (a food parcel
among wheat, sheep on a hill, a water drop, a well under an acacia, an iftar table under
a crescent, tents in winter, a cooking pot, a new building). Shapes are drawn at twice
the size and scaled down, which smooths their edges without any anti-aliasing code.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = (1200, 675)
SCALE = 2

Colour = tuple[int, int, int]


class Canvas:
    """An image with drawing calls in 1200x675 coordinates, scaled to the real canvas."""

    def __init__(self, top: Colour, bottom: Colour) -> None:
        width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
        # Blend one pixel column, then repeat it sideways: far cheaper than a full-size blend.
        mask = Image.linear_gradient("L").resize((1, height))
        column = Image.composite(
            Image.new("RGB", (1, height), bottom), Image.new("RGB", (1, height), top), mask
        )
        self.image = column.resize((width, height), Image.Resampling.NEAREST)
        self.draw = ImageDraw.Draw(self.image)

    @staticmethod
    def _scaled(values: Sequence[float]) -> list[float]:
        return [v * SCALE for v in values]

    def ellipse(self, box: Sequence[float], fill: Colour) -> None:
        self.draw.ellipse(self._scaled(box), fill=fill)

    def ring(self, box: Sequence[float], colour: Colour, width: int) -> None:
        self.draw.ellipse(self._scaled(box), outline=colour, width=width * SCALE)

    def rect(self, box: Sequence[float], fill: Colour, radius: float = 0) -> None:
        self.draw.rounded_rectangle(self._scaled(box), radius=radius * SCALE, fill=fill)

    def polygon(self, points: Sequence[float], fill: Colour) -> None:
        self.draw.polygon(self._scaled(points), fill=fill)

    def line(self, points: Sequence[float], colour: Colour, width: int) -> None:
        self.draw.line(self._scaled(points), fill=colour, width=width * SCALE, joint="curve")

    def crescent(self, box: Sequence[float], shift: float, fill: Colour) -> None:
        """A disc with a shifted disc cut out of it, so the sky shows through the cut."""
        mask = Image.new("L", self.image.size, 0)
        draw = ImageDraw.Draw(mask)
        x0, y0, x1, y1 = self._scaled(box)
        draw.ellipse((x0, y0, x1, y1), fill=255)
        s = shift * SCALE
        draw.ellipse((x0 + s, y0 - s / 3, x1 + s, y1 - s / 3), fill=0)
        self.image.paste(fill, mask=mask)

    def hills(self, y: float, colour: Colour, rng: random.Random, bumps: int = 4) -> None:
        """Rolling ground from ``y`` down to the bottom edge."""
        step = SIZE[0] / bumps
        points = [0.0, SIZE[1], 0.0, y]
        for i in range(bumps + 1):
            points += [i * step, y + rng.uniform(-35, 25)]
        points += [SIZE[0], y, SIZE[0], SIZE[1]]
        self.polygon(points, colour)

    def save(self, folder: Path) -> str:
        name = f"{secrets.token_hex(16)}.jpg"
        picture = self.image.reduce(SCALE)
        picture.save(folder / name, "JPEG", quality=85, optimize=True)
        return name


def _wheat(c: Canvas, x: float, ground: float, height: float, lean: float) -> None:
    stem = (120, 90, 30)
    grain = (222, 170, 60)
    top_x, top_y = x + lean, ground - height
    c.line([x, ground, top_x, top_y], stem, 5)
    for i in range(6):
        gx = top_x - lean * i * 0.06
        gy = top_y + 14 + i * 20
        c.ellipse([gx - 26, gy - 9, gx - 2, gy + 9], grain)
        c.ellipse([gx + 2, gy - 9, gx + 26, gy + 9], grain)
    c.ellipse([top_x - 9, top_y - 16, top_x + 9, top_y + 16], grain)


def _food(c: Canvas, rng: random.Random) -> None:
    c.ellipse([900, 70, 1040, 210], (255, 236, 170))
    c.hills(520, (196, 150, 70), rng)
    for x in (90, 170, 250, 950, 1030, 1110):
        _wheat(c, x + rng.uniform(-20, 20), 560, rng.uniform(230, 300), rng.uniform(-40, 40))
    c.rect([450, 300, 750, 580], (176, 124, 72), radius=10)
    c.polygon([450, 300, 600, 240, 750, 300], (150, 102, 56))
    c.rect([585, 300, 615, 580], (226, 196, 140))
    c.rect([480, 470, 560, 550], (240, 228, 200), radius=6)


def _sheep(c: Canvas, x: float, y: float, wool: Colour, size: float) -> None:
    dark = (60, 48, 40)
    for lx in (x - 45 * size, x - 15 * size, x + 20 * size, x + 48 * size):
        c.rect([lx, y + 30 * size, lx + 14 * size, y + 95 * size], dark, radius=4)
    for dx, dy in ((-50, 0), (-15, -22), (25, -18), (55, 5), (0, 18), (-35, 20), (35, 22)):
        r = 42 * size
        c.ellipse(
            [x + dx * size - r, y + dy * size - r, x + dx * size + r, y + dy * size + r], wool
        )
    c.ellipse([x + 70 * size, y - 40 * size, x + 130 * size, y + 15 * size], dark)
    c.ellipse([x + 58 * size, y - 38 * size, x + 82 * size, y - 22 * size], dark)


def _sheep_scene(c: Canvas, rng: random.Random) -> None:
    c.ellipse([120, 80, 230, 190], (255, 248, 210))
    c.hills(430, (120, 170, 90), rng, bumps=3)
    c.hills(520, (90, 145, 70), rng, bumps=5)
    flock = [(330, 470, (250, 248, 240), 1.2), (700, 430, (236, 230, 218), 1.0)]
    flock.append((950, 520, (150, 110, 80), 0.9))  # a goat among the sheep
    for x, y, wool, size in flock:
        _sheep(c, x + rng.uniform(-30, 30), y, wool, size)


def _water(c: Canvas, rng: random.Random) -> None:
    c.ring([330, 540, 870, 640], (120, 190, 235), 6)
    c.ring([420, 560, 780, 620], (150, 210, 245), 5)
    # The tip's sides meet the disc (centre 600,390, radius 140) at their tangent points.
    c.polygon([600, 110, 479, 320, 721, 320], (90, 170, 230))
    c.ellipse([460, 250, 740, 530], (90, 170, 230))
    c.ellipse([520, 330, 570, 420], (200, 235, 255))
    for _ in range(6):
        x, y = rng.uniform(80, 1120), rng.uniform(60, 300)
        c.ellipse([x - 12, y - 16, x + 12, y + 16], (110, 180, 230))


def _well(c: Canvas, rng: random.Random) -> None:
    c.ellipse([980, 60, 1110, 190], (255, 240, 190))
    c.hills(480, (196, 140, 80), rng)
    c.line([200, 500, 210, 330], (90, 60, 40), 16)
    c.ellipse([60, 250, 360, 340], (90, 120, 50))
    c.ellipse([120, 220, 300, 300], (100, 135, 60))
    c.rect([520, 400, 800, 560], (150, 140, 130))
    for row, y in enumerate(range(400, 560, 40)):
        for x in range(520 - (row % 2) * 35, 800, 70):
            c.rect([max(x, 520) + 3, y + 3, min(x + 70, 800) - 3, y + 37], (170, 160, 150), 4)
    c.ellipse([520, 380, 800, 420], (60, 80, 100))
    c.rect([535, 250, 555, 400], (110, 80, 50))
    c.rect([765, 250, 785, 400], (110, 80, 50))
    c.polygon([500, 260, 660, 190, 820, 260], (160, 60, 40))
    c.line([660, 260, 660, 360], (80, 60, 40), 3)
    c.rect([640, 360, 680, 395], (90, 110, 150), radius=4)


def _iftar(c: Canvas, rng: random.Random) -> None:
    for _ in range(40):
        x, y, r = rng.uniform(0, 1200), rng.uniform(0, 330), rng.uniform(2, 5)
        c.ellipse([x - r, y - r, x + r, y + r], (250, 240, 200))
    c.crescent([930, 50, 1090, 210], 55, (250, 226, 140))
    for x in (200, 480, 760):
        c.line([x, 0, x, 170], (200, 170, 90), 3)
        c.rect([x - 25, 170, x + 25, 240], (240, 180, 60), radius=10)
    c.rect([120, 430, 1080, 470], (120, 70, 40), radius=8)
    c.rect([170, 470, 190, 620], (100, 58, 32))
    c.rect([1010, 470, 1030, 620], (100, 58, 32))
    for x in range(200, 1040, 140):
        c.ellipse([x - 48, 400, x + 48, 440], (245, 240, 230))
        c.ellipse([x - 16, 408, x + 16, 428], (130, 70, 40))
        c.rect([x + 52, 380, x + 70, 432], (200, 225, 240), radius=4)


def _camp(c: Canvas, rng: random.Random) -> None:
    c.hills(470, (236, 240, 245), rng)
    tents = [(170, 470, 170), (480, 500, 210), (820, 480, 180), (1080, 460, 140)]
    for x, y, w in tents:
        c.polygon([x - w, y + 60, x, y - w * 0.9, x + w, y + 60], (226, 214, 190))
        c.polygon([x - w * 0.25, y + 60, x, y - w * 0.2, x + w * 0.25, y + 60], (120, 100, 80))
    for _ in range(60):
        x, y, r = rng.uniform(0, 1200), rng.uniform(0, 640), rng.uniform(3, 7)
        c.ellipse([x - r, y - r, x + r, y + r], (255, 255, 255))


def _meal(c: Canvas, rng: random.Random) -> None:
    c.rect([0, 520, 1200, 675], (110, 80, 60))
    for x in (520, 580, 640, 700):
        c.polygon([x - 40, 560, x + rng.uniform(-10, 10), 470, x + 40, 560], (240, 130, 40))
    c.rect([400, 300, 800, 480], (90, 95, 105), radius=30)
    c.ellipse([390, 280, 810, 330], (70, 75, 85))
    c.rect([350, 330, 400, 360], (70, 75, 85), radius=10)
    c.rect([800, 330, 850, 360], (70, 75, 85), radius=10)
    for x in (520, 600, 680):
        c.line([x, 270, x + 25, 200, x - 10, 140, x + 20, 70], (245, 245, 240), 10)
    for x in (150, 1050):
        c.ellipse([x - 90, 560, x + 90, 610], (240, 236, 226))
        c.ellipse([x - 60, 565, x + 60, 590], (210, 120, 50))


def _complex(c: Canvas, rng: random.Random) -> None:
    c.hills(500, (110, 160, 80), rng)
    c.rect([280, 300, 920, 540], (236, 226, 206))
    c.ellipse([520, 170, 680, 330], (90, 140, 120))
    c.rect([960, 160, 990, 540], (236, 226, 206))
    c.polygon([955, 160, 975, 100, 995, 160], (90, 140, 120))
    for x in range(320, 900, 80):
        if 540 <= x <= 640:
            continue  # the entrance stands here
        for y in (340, 430):
            c.rect([x, y, x + 40, y + 50], (90, 120, 160), radius=6)
    c.rect([560, 420, 640, 540], (120, 80, 50), radius=30)
    for x in (140, 1100):
        c.line([x, 560, x, 420], (90, 60, 40), 12)
        c.ellipse([x - 90, 360, x + 90, 440], (80, 120, 50))


Theme = tuple[Colour, Colour, Callable[[Canvas, random.Random], None]]

THEMES: dict[str, Theme] = {
    "food": ((255, 214, 150), (250, 244, 225), _food),
    "sheep": ((150, 200, 235), (235, 245, 250), _sheep_scene),
    "water": ((20, 70, 130), (60, 140, 200), _water),
    "well": ((245, 170, 90), (255, 225, 160), _well),
    "iftar": ((20, 24, 60), (80, 50, 110), _iftar),
    "camp": ((120, 140, 165), (215, 222, 232), _camp),
    "meal": ((60, 40, 35), (150, 90, 60), _meal),
    "complex": ((110, 170, 225), (220, 236, 248), _complex),
}


def draw_picture(folder: Path, theme: str, seed: int) -> str:
    """Draw a ``theme`` picture, save it as a JPEG with a random name in ``folder``.

    Returns the bare file name. ``seed`` varies the details, so two pictures of the same
    theme differ but each is the same on every run.
    """
    top, bottom, scene = THEMES[theme]
    canvas = Canvas(top, bottom)
    scene(canvas, random.Random(seed))  # noqa: S311 - shapes, not secrets
    return canvas.save(folder)
