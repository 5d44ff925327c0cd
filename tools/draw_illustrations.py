"""Draw the demo articles' lead images: one flat illustration per category.

Run from the repository root: `.venv/bin/python tools/draw_illustrations.py`.
It writes content/images/<category-slug>.png at 1200x630 (the smallest size
a lead image may have, and exactly the share-card shape). Each picture is
drawn at twice the size and scaled down, which smooths the edges. The PNGs
are committed, so running this again is only needed to change a drawing;
the output is the same on every run.

It also writes the card pictures into static/illustrations/: each drawing
at 400 and 800 px wide as WebP, in a day version and a night version for
dark mode (`<slug>-dark-800.webp`). A card whose article has no lead image
shows its category's picture (see miafeed/http/illustrations.py). The night
version swaps every pale colour that covers a large area for a dark one
of the same hue, so a
drawing is not a bright block on a near-black page; a drawing that is dark
already (sleep) stays as it is.
"""
from __future__ import annotations

import colorsys
import math
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

SIZE = (1200, 630)
SCALE = 2
OUT = Path(__file__).resolve().parent.parent / "content" / "images"
CARD_OUT = Path(__file__).resolve().parent.parent / "static" / "illustrations"
CARD_WIDTHS = (400, 800)
# At night the background, and the pale, soft colours that cover a large
# part of the picture (rings, a path), get a dark twin; a face, a flower
# or a plate (smaller, or more saturated) keeps its colour.
PALE = 0.8
SOFT = 0.7
LARGE_AREA = 0.04


def canvas(background: str) -> tuple[Image.Image, ImageDraw.ImageDraw, int, int]:
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    picture = Image.new("RGB", (width, height), background)
    return picture, ImageDraw.Draw(picture), width, height


def circle(draw, x, y, r, fill, outline=None, width=0):
    draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=outline, width=width)


def hills(draw, width, height, base, amplitude, colour, phase=0.0, waves=1.5):
    points = [(0, height)]
    for step in range(0, width + 1, 20):
        points.append((step, base - amplitude * math.sin(phase + step / width * math.pi * waves)))
    points.append((width, height))
    draw.polygon(points, fill=colour)


def sleep():
    picture, draw, w, h = canvas("#1d2b4f")
    rng = random.Random(7)
    for _ in range(70):
        circle(draw, rng.randrange(w), rng.randrange(int(h * 0.7)), rng.choice((3, 4, 6)), "#f5e9c0")
    circle(draw, 1750, 330, 190, "#f7e7a6")
    circle(draw, 1660, 270, 180, "#1d2b4f")  # the bite that makes it a crescent
    hills(draw, w, h, 1000, 110, "#2c3f6b", 0.4, 1.2)
    hills(draw, w, h, 1120, 80, "#3a5285", 2.0, 1.8)
    # A pillow and a blanket: someone asleep.
    draw.rounded_rectangle((520, 760, 900, 930), radius=80, fill="#e9eef8")
    draw.rounded_rectangle((780, 800, 1700, 1010), radius=110, fill="#8aa3d6")
    circle(draw, 760, 800, 95, "#f0c9a5")
    return picture


def mental_health():
    picture, draw, w, h = canvas("#e4f2ec")
    for index, r in enumerate(range(700, 80, -110)):
        circle(draw, w // 2, 760, r, ("#cfe8de", "#bfe0d3")[index % 2])
    # A lotus: five petals over still water.
    for angle in (-70, -35, 0, 35, 70):
        radians = math.radians(angle - 90)
        x, y = w // 2 + 170 * math.cos(radians), 700 + 170 * math.sin(radians)
        draw.ellipse((x - 90, y - 150, x + 90, y + 150), fill="#f2a7b8")
    circle(draw, w // 2, 700, 95, "#f7d36b")
    draw.rectangle((0, 960, w, h), fill="#9fcfbe")
    for y in (1030, 1110, 1190):
        draw.line((w // 2 - 500, y, w // 2 + 500, y), fill="#c4e3d7", width=10)
    return picture


def nutrition():
    picture, draw, w, h = canvas("#fff4e0")
    draw.pieslice((650, 480, 1750, 1220), 0, 180, fill="#d9774b")  # the bowl
    draw.rectangle((610, 830, 1790, 870), fill="#b85f38")
    for x, y, r, colour in ((850, 730, 120, "#e84a3f"), (1070, 680, 150, "#f2b134"), (1320, 720, 140, "#6cab4a"),
                            (1540, 750, 100, "#e84a3f"), (950, 590, 100, "#8bc34a"), (1210, 560, 110, "#f28c28")):
        circle(draw, x, y, r, colour)
    draw.polygon([(1070, 540), (1100, 450), (1130, 540)], fill="#4f8a2d")  # a stalk
    draw.ellipse((300, 980, 560, 1100), fill="#f6d7a7")
    draw.ellipse((1850, 980, 2150, 1110), fill="#f6d7a7")
    return picture


def movement():
    picture, draw, w, h = canvas("#dff1fb")
    circle(draw, 1900, 300, 150, "#ffd25e")
    hills(draw, w, h, 900, 160, "#9fd39a", 0.0, 1.0)
    hills(draw, w, h, 1060, 90, "#6fb86a", 1.5, 2.0)
    # A path over the hills, and a runner on it (head, body, limbs).
    draw.line([(200, 1260), (700, 1080), (1200, 1000), (1700, 930), (2300, 900)], fill="#f2e3c2", width=60, joint="curve")
    x, y = 1150, 700
    circle(draw, x, y - 170, 55, "#ffffff", outline="#2f4858", width=0)
    circle(draw, x, y - 170, 50, "#f0c9a5")
    draw.line((x, y - 110, x - 30, y + 60), fill="#e4572e", width=48)
    draw.line((x - 30, y + 60, x + 80, y + 160), fill="#2f4858", width=36)
    draw.line((x + 80, y + 160, x + 40, y + 260), fill="#2f4858", width=36)
    draw.line((x - 30, y + 60, x - 130, y + 170), fill="#2f4858", width=36)
    draw.line((x - 130, y + 170, x - 230, y + 140), fill="#2f4858", width=36)
    draw.line((x - 10, y - 60, x + 110, y + 10), fill="#f0c9a5", width=30)
    draw.line((x - 10, y - 60, x - 120, y - 20), fill="#f0c9a5", width=30)
    return picture


def chronic_pain():
    picture, draw, w, h = canvas("#f3eefb")
    # A back seen from behind: shoulders, a spine of rounded vertebrae, and
    # warm rings where it aches.
    draw.rounded_rectangle((800, 150, 1600, 1400), radius=300, fill="#e6c3a5")
    for ring, colour in ((300, "#f6c7b6"), (220, "#f2a48c"), (140, "#ec7f63")):
        circle(draw, w // 2, 930, ring, colour)
    for index in range(11):
        y = 260 + index * 88
        draw.rounded_rectangle((w // 2 - 55, y, w // 2 + 55, y + 62), radius=22, fill="#fbf6f1")
    for x in (400, 2000):
        for r in (60, 40, 20):
            circle(draw, x, 420, r, ("#d9c8f0", "#c5aee8", "#a98bd9")[(60 - r) // 20])
    return picture


def heart():
    picture, draw, w, h = canvas("#fdecef")
    cx, cy, size = w // 2, 560, 330
    circle(draw, cx - size * 0.5, cy, size * 0.55, "#e0445a")
    circle(draw, cx + size * 0.5, cy, size * 0.55, "#e0445a")
    draw.polygon([(cx - size * 0.98, cy + 90), (cx + size * 0.98, cy + 90), (cx, cy + size * 1.45)], fill="#e0445a")
    circle(draw, cx, cy + 80, size * 0.45, "#e0445a")  # closes the gap between the lobes
    # A heartbeat line across the picture.
    line = [(0, 1100), (700, 1100), (800, 1100), (860, 960), (940, 1240), (1020, 1000), (1080, 1100), (w, 1100)]
    draw.line(line, fill="#ffffff", width=34, joint="curve")
    draw.line(line, fill="#2e6f95", width=18, joint="curve")
    return picture


def healthy_aging():
    picture, draw, w, h = canvas("#eef6e7")
    draw.rectangle((0, 1020, w, h), fill="#b9d99a")
    draw.rectangle((1150, 560, 1270, 1060), fill="#7a5634")  # trunk
    for x, y, r in ((1210, 420, 330), (940, 560, 230), (1480, 560, 240), (1210, 640, 260)):
        circle(draw, x, y, r, "#5f9e4f")
    rng = random.Random(3)
    for _ in range(26):
        circle(draw, rng.randrange(820, 1600), rng.randrange(200, 760), 22, "#f2a541")
    # A bench under the tree.
    draw.rectangle((1500, 930, 2050, 970), fill="#8c5a3c")
    draw.rectangle((1500, 860, 2050, 895), fill="#8c5a3c")
    for x in (1540, 2000):
        draw.rectangle((x, 970, x + 26, 1080), fill="#5b3a26")
    circle(draw, 2150, 260, 120, "#ffd873")
    return picture


DRAWINGS = {
    "sleep": sleep,
    "mental-health-mindfulness": mental_health,
    "nutrition": nutrition,
    "movement-fitness": movement,
    "chronic-pain-conditions": chronic_pain,
    "heart-health": heart,
    "healthy-ageing": healthy_aging,
}


def night_colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A pale colour's dark twin: the same hue, lightness folded down, a little less saturated."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in rgb))
    dark = 0.13 + max(0.0, lightness - PALE) * 0.5
    return tuple(round(channel * 255) for channel in colorsys.hls_to_rgb(hue, dark, saturation * 0.55))


def night_version(picture: Image.Image) -> Image.Image:
    """The drawing for dark mode. Works on the full-size drawing, before it is
    scaled down, where every shape is one exact colour."""
    background = picture.getpixel((0, 0))
    if colorsys.rgb_to_hls(*(channel / 255 for channel in background))[1] < 0.5:
        return picture  # drawn at night already
    night = picture.copy()
    area = picture.size[0] * picture.size[1]
    for count, colour in picture.getcolors(maxcolors=1 << 16):
        _, lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in colour))
        pale_area = count >= area * LARGE_AREA and lightness > PALE and saturation <= SOFT
        if colour != background and not pale_area:
            continue
        red, green, blue = ImageChops.difference(picture, Image.new("RGB", picture.size, colour)).split()
        differs = ImageChops.lighter(ImageChops.lighter(red, green), blue)
        same = differs.point(lambda value: 255 if value == 0 else 0)
        night.paste(night_colour(colour), mask=same)
    return night


def write_card_pictures(slug: str, picture: Image.Image) -> None:
    for suffix, version in (("", picture), ("-dark", night_version(picture))):
        for width in CARD_WIDTHS:
            small = version.resize((width, round(width * SIZE[1] / SIZE[0])), Image.Resampling.LANCZOS)
            target = CARD_OUT / f"{slug}{suffix}-{width}.webp"
            small.save(target, "WEBP", quality=80, method=6)
            print(f"{target}: {target.stat().st_size // 1024} KB")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    CARD_OUT.mkdir(parents=True, exist_ok=True)
    for slug, draw_it in DRAWINGS.items():
        drawn = draw_it()
        picture = drawn.resize(SIZE, Image.Resampling.LANCZOS)
        target = OUT / f"{slug}.png"
        picture.save(target, "PNG", optimize=True)
        print(f"{target}: {target.stat().st_size // 1024} KB")
        write_card_pictures(slug, drawn)


if __name__ == "__main__":
    main()
