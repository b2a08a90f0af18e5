"""Static scenes of SynthVAD: layouts, textured backgrounds, vegetation and camera effects.

A :class:`Layout` is a fixed camera's view: a region map (wall, pavement, road, grass),
the lanes vehicles drive on and the walkways people walk along, and a perspective rule
(people are bigger near the bottom of the frame). :func:`paint_background` textures it
once per video; :class:`Vegetation` sways bushes and tree crowns; :class:`Camera` adds the
per-frame effects: contrast, lighting flicker and sensor noise.

Layouts: ``street`` (wall, pavement, two-lane road, pavement, grass), ``park`` (road
along the top, a footpath across grass, trees), ``plaza`` (a façade with a door, a paved
square, a vertical road) and ``crossroad`` (two crossing roads with a traffic-light cycle).
``real`` uses a still of real footage (see :mod:`stprompt_core.offline.synthvad.bikes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stprompt_core.offline.synthvad.draw import fill_ellipse, fill_rect, fill_segment, smooth_noise

WALL, PAVEMENT, ROAD, GRASS = 0, 1, 2, 3
REGION_NAMES = {WALL: "wall", PAVEMENT: "pavement", ROAD: "road", GRASS: "grass"}

# Traffic-light cycle of the crossroad layout, in frames (green for one axis per half).
LIGHT_PERIOD = 120


@dataclass
class Lane:
    """A driving lane: vehicles travel along ``axis`` ('x' or 'y') at fixed ``coord``."""

    axis: str
    coord: float  # centre line, pixels on the other axis
    direction: int  # +1 or -1 along the axis
    width: float  # lane width in pixels (vehicles are scaled to fit)

    def point(self, s: float) -> tuple[float, float]:
        """Pixel position at coordinate ``s`` along the axis."""
        return (s, self.coord) if self.axis == "x" else (self.coord, s)

    @property
    def angle(self) -> float:
        """Heading in image coordinates (radians; 0 = +x, pi/2 = +y)."""
        if self.axis == "x":
            return 0.0 if self.direction > 0 else math.pi
        return math.pi / 2 if self.direction > 0 else -math.pi / 2


@dataclass
class Walkway:
    """A rectangle people walk across along ``axis``; ``x0, y0, x1, y1`` in pixels."""

    x0: float
    y0: float
    x1: float
    y1: float
    axis: str  # 'x': edge to edge; 'y': from the bottom edge up to y0, then out sideways

    @property
    def length(self) -> float:
        return (self.x1 - self.x0) if self.axis == "x" else (self.y1 - self.y0)


@dataclass
class Layout:
    """A fixed camera view: region map ``[H, W]`` uint8, lanes, walkways, perspective."""

    name: str
    width: int
    height: int
    regions: np.ndarray  # [H, W] uint8 of WALL / PAVEMENT / ROAD / GRASS
    lanes: list[Lane]
    walkways: list[Walkway]
    phrase: str  # caption phrase for the place, e.g. "a street with a road and a brick wall"
    object_scale: float = 1.0
    bag_scale: float = 1.0  # bags relative to a person, on top of object_scale
    zoom: float = 1.0  # camera nearness: people, bags and fire scale by it, vehicles by its square root
    light_offset: int = 0  # crossroad: frame offset of the traffic-light cycle
    plate: np.ndarray | None = None  # real-footage still [H, W, 3] uint8, or None
    anchors: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def person_height(self, y: float) -> float:
        """Height in pixels of a person whose feet are at row ``y`` (perspective)."""
        f = min(max(y / self.height, 0.0), 1.0)
        return self.object_scale * self.zoom * self.height * (0.11 + 0.09 * f)

    def region_at(self, x: float, y: float) -> str:
        """Region name ('wall', 'pavement', 'road', 'grass') under pixel ``(x, y)``."""
        xi = min(max(int(x), 0), self.width - 1)
        yi = min(max(int(y), 0), self.height - 1)
        return REGION_NAMES[int(self.regions[yi, xi])]

    def green(self, axis: str, t: float) -> bool:
        """Crossroad traffic light: is ``axis`` green at frame ``t``?"""
        phase = ((t + self.light_offset) % LIGHT_PERIOD) < LIGHT_PERIOD / 2
        return phase if axis == "x" else not phase

    def central_x(self) -> tuple[float, float]:
        """Columns inside the centre square crop (what a square CLIP input keeps), with margin."""
        half = min(self.width, self.height) / 2
        return self.width / 2 - half + 0.1 * self.height, self.width / 2 + half - 0.1 * self.height


def make_layout(kind: str, width: int, height: int, rng: np.random.Generator,
                object_scale: float = 1.0, plate: np.ndarray | None = None, bag_scale: float = 1.0,
                zoom: float = 1.0) -> Layout:
    """Build a layout of ``kind`` with jittered band positions. Returns a :class:`Layout`."""
    builders = {"street": _street, "park": _park, "plaza": _plaza, "crossroad": _crossroad, "real": _real}
    if kind not in builders:
        raise ValueError(f"unknown layout {kind!r}; valid: {sorted(builders)}")
    layout = builders[kind](width, height, rng)
    layout.object_scale = object_scale
    layout.bag_scale = bag_scale
    layout.zoom = zoom
    layout.plate = plate
    layout.light_offset = int(rng.integers(0, LIGHT_PERIOD))
    return layout


def _bands(height: int, regions: np.ndarray, bands: list[tuple[float, float, int]]) -> None:
    for y0, y1, kind in bands:
        regions[int(round(y0)) : int(round(y1))] = kind


def _street(w: int, h: int, rng: np.random.Generator) -> Layout:
    a = h * rng.uniform(0.18, 0.24)
    b = a + h * rng.uniform(0.15, 0.19)
    c = b + h * rng.uniform(0.26, 0.30)
    d = c + h * rng.uniform(0.13, 0.17)
    reg = np.empty((h, w), np.uint8)
    _bands(h, reg, [(0, a, WALL), (a, b, PAVEMENT), (b, c, ROAD), (c, d, PAVEMENT), (d, h, GRASS)])
    lw = (c - b) / 2
    lanes = [Lane("x", b + 0.5 * lw, -1, lw), Lane("x", b + 1.5 * lw, +1, lw)]
    walk = [Walkway(0, a + 2, w, b - 1, "x"), Walkway(0, c + 2, w, d - 1, "x"),
            Walkway(0, d + 2, w, h - 2, "x")]
    wall = "a brick wall" if rng.random() < 0.5 else "a building"
    return Layout("street", w, h, reg, lanes, walk, f"a street with a road, pavements and {wall}")


def _park(w: int, h: int, rng: np.random.Generator) -> Layout:
    a = h * rng.uniform(0.06, 0.12)
    b = a + h * rng.uniform(0.22, 0.26)
    c = b + h * rng.uniform(0.06, 0.09)
    p0 = h * rng.uniform(0.58, 0.66)
    p1 = p0 + h * rng.uniform(0.12, 0.16)
    reg = np.empty((h, w), np.uint8)
    _bands(h, reg, [(0, a, WALL), (a, b, ROAD), (b, c, PAVEMENT), (c, h, GRASS), (p0, p1, PAVEMENT)])
    lw = (b - a) / 2
    lanes = [Lane("x", a + 0.5 * lw, -1, lw), Lane("x", a + 1.5 * lw, +1, lw)]
    walk = [Walkway(0, b + 1, w, c - 1, "x"), Walkway(0, p0 + 2, w, p1 - 1, "x"),
            Walkway(0, c + 3, w, h - 2, "x")]
    return Layout("park", w, h, reg, lanes, walk, "a park with grass, trees and a footpath next to a road")


def _plaza(w: int, h: int, rng: np.random.Generator) -> Layout:
    top = h * rng.uniform(0.24, 0.30)
    r0 = w * rng.uniform(0.74, 0.78)
    r1 = r0 + w * rng.uniform(0.15, 0.17)
    reg = np.full((h, w), PAVEMENT, np.uint8)
    reg[: int(round(top)), : int(round(r0))] = WALL
    reg[:, int(round(r0)) : int(round(r1))] = ROAD
    lw = (r1 - r0) / 2
    lanes = [Lane("y", r0 + 0.5 * lw, +1, lw), Lane("y", r0 + 1.5 * lw, -1, lw)]
    walk = [Walkway(0, top + 3, w, h - 2, "x"), Walkway(w * 0.1, top + 2, r0 - 8, h, "y")]
    return Layout("plaza", w, h, reg, lanes, walk, "a paved plaza in front of a building next to a road")


def _crossroad(w: int, h: int, rng: np.random.Generator) -> Layout:
    top = h * rng.uniform(0.14, 0.2)
    y0 = h * rng.uniform(0.44, 0.5)
    y1 = y0 + h * rng.uniform(0.22, 0.26)
    x0 = w * rng.uniform(0.40, 0.46)
    x1 = x0 + w * rng.uniform(0.16, 0.18)
    pw = h * 0.09
    reg = np.full((h, w), GRASS, np.uint8)
    reg[: int(round(top))] = WALL
    reg[int(round(top)) : int(round(top + pw))] = PAVEMENT
    reg[int(round(y0 - pw)) : int(round(y1 + pw))] = PAVEMENT
    reg[int(round(top)) :, int(round(x0 - pw)) : int(round(x1 + pw))] = PAVEMENT
    reg[int(round(y0)) : int(round(y1))] = ROAD
    reg[int(round(top)) :, int(round(x0)) : int(round(x1))] = ROAD
    lwx, lwy = (y1 - y0) / 2, (x1 - x0) / 2
    lanes = [Lane("x", y0 + 0.5 * lwx, -1, lwx), Lane("x", y0 + 1.5 * lwx, +1, lwx),
             Lane("y", x0 + 0.5 * lwy, +1, lwy), Lane("y", x0 + 1.5 * lwy, -1, lwy)]
    walk = [Walkway(0, top + 1, w, top + pw - 1, "x"), Walkway(0, y0 - pw + 1, w, y0 - 1, "x"),
            Walkway(0, y1 + 2, w, y1 + pw, "x"), Walkway(0, y1 + pw + 2, w, h - 2, "x")]
    return Layout("crossroad", w, h, reg, lanes, walk, "a crossroad with pavements, grass and a wall")


def _real(w: int, h: int, rng: np.random.Generator) -> Layout:
    ground = h * rng.uniform(0.5, 0.58)
    reg = np.full((h, w), WALL, np.uint8)
    reg[int(round(ground)) :] = PAVEMENT
    walk = [Walkway(0, ground + 3, w, h - 2, "x")]
    return Layout("real", w, h, reg, [], walk, "a real city street")


# ---------------------------------------------------------------------------------------
# Background textures


def paint_background(layout: Layout, rng: np.random.Generator, clutter: float = 1.0
                     ) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Texture the layout's regions and paint static props.

    Returns:
        background: ``[H, W, 3]`` float32, 0..255.
        tree_bases: ``(x, y)`` of tree trunks / bushes whose crowns :class:`Vegetation` sways.
    """
    h, w = layout.height, layout.width
    if layout.plate is not None:  # real footage: no painted props on top of it
        return layout.plate.astype(np.float32), []
    bg = np.zeros((h, w, 3), np.float32)
    for kind, tex in ((WALL, _wall_texture), (PAVEMENT, _pavement_texture),
                      (ROAD, _road_texture), (GRASS, _grass_texture)):
        mask = layout.regions == kind
        if mask.any():
            bg[mask] = tex(h, w, rng)[mask]
    _lane_markings(bg, layout, rng)
    trees = _props(bg, layout, rng, clutter)
    return bg, trees


def _fine(h: int, w: int, rng: np.random.Generator, std: float) -> np.ndarray:
    return rng.normal(0.0, std, size=(h, w, 1)).astype(np.float32)


def _wall_texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:  # brick
        base = np.array([150, 78, 58], np.float32) + rng.uniform(-20, 20, 3)
        mortar = np.array([185, 175, 165], np.float32)
        bh, bw = int(rng.integers(3, 5)), int(rng.integers(7, 10))
        ys, xs = np.mgrid[0:h, 0:w]
        row = ys // bh
        shifted = xs + (row % 2) * (bw // 2)  # alternate rows offset by half a brick
        xo = shifted % bw
        tex = np.broadcast_to(base, (h, w, 3)).copy()
        tex += rng.uniform(-14, 14, size=(h // bh + 1, w // bw + 2, 1)).astype(np.float32)[row, shifted // bw]
        is_mortar = ((ys % bh) == 0) | (xo == 0)
        tex[is_mortar] = mortar
    else:  # concrete façade with windows and a door
        base = np.array([172, 170, 162], np.float32) + rng.uniform(-25, 15, 3)
        tex = np.broadcast_to(base, (h, w, 3)).copy()
        tex += 10 * smooth_noise(h, w, 10, rng)[..., None]
        win = np.array([52, 62, 82], np.float32) + rng.uniform(-10, 10, 3)
        step = int(rng.integers(14, 22))
        for x in range(int(rng.integers(2, 8)), w - 8, step):
            for y in range(2, max(3, h - 6), 12):
                fill_rect(tex, x, y, x + 7, y + 6, win)
                fill_rect(tex, x, y + 2.5, x + 7, y + 3.5, base * 0.8)
    return tex + _fine(h, w, rng, 3.0)


def _pavement_texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    base = np.array([165, 160, 150], np.float32) + rng.uniform(-18, 18, 3)
    tile = int(rng.integers(5, 9))
    ys, xs = np.mgrid[0:h, 0:w]
    var = rng.uniform(-7, 7, size=(h // tile + 1, w // tile + 1, 1)).astype(np.float32)
    tex = base + var[ys // tile, xs // tile]
    tex[((ys % tile) == 0) | ((xs % tile) == 0)] -= 18
    tex += 6 * smooth_noise(h, w, 16, rng)[..., None]
    return tex + _fine(h, w, rng, 4.0)


def _road_texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    base = np.array([80, 82, 86], np.float32) + rng.uniform(-12, 12, 1)
    tex = np.broadcast_to(base, (h, w, 3)) + 8 * smooth_noise(h, w, 12, rng)[..., None]
    return tex + _fine(h, w, rng, 5.0)


def _grass_texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    base = np.array([72, 122, 52], np.float32) + rng.uniform(-14, 14, 3)
    tex = base + 18 * smooth_noise(h, w, 12, rng)[..., None] * np.array([0.6, 1.0, 0.5], np.float32)
    return tex + rng.normal(0, 9, size=(h, w, 1)).astype(np.float32) * np.array([0.7, 1.0, 0.6], np.float32)


def _lane_markings(bg: np.ndarray, layout: Layout, rng: np.random.Generator) -> None:
    paint = np.array([225, 225, 215], np.float32)
    dash, gap = int(rng.integers(5, 8)), int(rng.integers(5, 8))
    by_axis: dict[str, list[Lane]] = {}
    for lane in layout.lanes:
        by_axis.setdefault(lane.axis, []).append(lane)
    for axis, lanes in by_axis.items():
        mid = sum(lane.coord for lane in lanes) / len(lanes)
        extent = layout.width if axis == "x" else layout.height
        for s in range(0, extent, dash + gap):
            if axis == "x":
                fill_rect(bg, s, mid - 0.5, s + dash, mid + 0.5, paint, 0.85)
            else:
                fill_rect(bg, mid - 0.5, s, mid + 0.5, s + dash, paint, 0.85)
    if layout.name == "crossroad":  # repaint the junction box plain
        xs = [lane.coord for lane in by_axis["y"]]
        ys = [lane.coord for lane in by_axis["x"]]
        lwx, lwy = by_axis["x"][0].width, by_axis["y"][0].width
        x0, x1 = min(xs) - lwy / 2, max(xs) + lwy / 2
        y0, y1 = min(ys) - lwx / 2, max(ys) + lwx / 2
        bg[int(y0) : int(y1), int(x0) : int(x1)] = bg[int(y0) : int(y1), int(x0) : int(x1)].mean(axis=(0, 1))
        for k in range(int(x0), int(x1), 3):  # zebra crossings
            fill_rect(bg, k, y0 - 5, k + 1.5, y0 - 1, paint, 0.8)
            fill_rect(bg, k, y1 + 1, k + 1.5, y1 + 5, paint, 0.8)


def _props(bg: np.ndarray, layout: Layout, rng: np.random.Generator, clutter: float
           ) -> list[tuple[float, float]]:
    """Benches, bins, bollards, lamp posts, cones and planters; returns vegetation anchors."""
    ys, xs = np.nonzero(layout.regions == PAVEMENT)
    gys, gxs = np.nonzero(layout.regions == GRASS)
    n_props = int(rng.poisson(3.0 * clutter)) if len(ys) else 0
    for _ in range(n_props):
        i = int(rng.integers(len(ys)))
        x, y = float(xs[i]), float(ys[i])
        s = layout.person_height(y)
        kind = rng.choice(["bench", "bin", "bollard", "lamp", "cone", "planter"])
        if kind == "bench":
            fill_rect(bg, x - 0.5 * s, y - 0.3 * s, x + 0.5 * s, y - 0.18 * s, (110, 72, 40))
            fill_rect(bg, x - 0.45 * s, y - 0.18 * s, x - 0.38 * s, y, (50, 50, 50))
            fill_rect(bg, x + 0.38 * s, y - 0.18 * s, x + 0.45 * s, y, (50, 50, 50))
        elif kind == "bin":
            fill_rect(bg, x - 0.13 * s, y - 0.38 * s, x + 0.13 * s, y, (45, 70, 55))
        elif kind == "bollard":
            fill_rect(bg, x - 0.05 * s, y - 0.3 * s, x + 0.05 * s, y, (90, 90, 95))
        elif kind == "lamp":
            fill_segment(bg, x, y, x, y - 1.6 * s, max(1.0, 0.06 * s), (60, 62, 66))
            fill_ellipse(bg, x, y - 1.6 * s, 0.12 * s, 0.06 * s, (235, 225, 170))
        elif kind == "cone":
            for k in range(4):
                fr = k / 4
                fill_rect(bg, x - 0.1 * s * (1 - fr), y - 0.3 * s * (fr + 0.25), x + 0.1 * s * (1 - fr),
                          y - 0.3 * s * fr, (235, 110, 20) if k != 2 else (240, 240, 240))
        else:
            fill_rect(bg, x - 0.3 * s, y - 0.25 * s, x + 0.3 * s, y, (120, 110, 100))
            fill_ellipse(bg, x, y - 0.3 * s, 0.32 * s, 0.16 * s, (50, 100, 40))
    trees = []
    n_trees = int(rng.poisson(2.5 * clutter)) if len(gys) else 0
    for _ in range(n_trees):
        i = int(rng.integers(len(gys)))
        x, y = float(gxs[i]), float(gys[i])
        s = layout.person_height(y)
        if rng.random() < 0.5:  # tree: trunk here, crown swayed by Vegetation
            fill_rect(bg, x - 0.07 * s, y - 0.9 * s, x + 0.07 * s, y, (90, 62, 40))
        trees.append((x, y))
    return trees


# ---------------------------------------------------------------------------------------
# Dynamic background: vegetation and camera


@dataclass
class _Sprite:
    x: int  # top-left column at rest
    y: int  # top-left row at rest
    rgb: np.ndarray  # [h, w, 3] float32
    mask: np.ndarray  # [h, w] bool
    amp: float  # sway amplitude, pixels
    omega: float  # radians per frame
    phase: float


class Vegetation:
    """Bushes and tree crowns that sway: sprites pasted at a sinusoidal offset each frame."""

    def __init__(self, layout: Layout, bases: list[tuple[float, float]], rng: np.random.Generator,
                 wind: float | None = None) -> None:
        self.sprites: list[_Sprite] = []
        wind = float(rng.uniform(0.5, 2.0)) if wind is None else wind
        for x, y in bases:
            s = layout.person_height(y)
            crown = rng.random() < 0.5
            rx, ry = (0.55 * s, 0.45 * s) if crown else (0.4 * s, 0.25 * s)
            cy_local = -0.95 * s if crown else -0.2 * s
            pad = 2
            sw, sh = int(2 * rx * 1.4) + 2 * pad, int(2 * ry * 1.4) + 2 * pad
            rgb = np.zeros((sh, sw, 3), np.float32)
            alpha = np.zeros((sh, sw, 3), np.float32)
            green = np.array([45, 95, 35], np.float32) + rng.uniform(-15, 20, 3)
            for _ in range(int(rng.integers(4, 7))):
                ox, oy = rng.uniform(-0.35, 0.35) * rx, rng.uniform(-0.35, 0.35) * ry
                r1, r2 = rng.uniform(0.5, 0.8) * rx, rng.uniform(0.5, 0.8) * ry
                shade = green * rng.uniform(0.75, 1.2)
                fill_ellipse(rgb, sw / 2 + ox, sh / 2 + oy, r1, r2, shade)
                fill_ellipse(alpha, sw / 2 + ox, sh / 2 + oy, r1, r2, (1, 1, 1))
            self.sprites.append(_Sprite(
                x=int(round(x - sw / 2)), y=int(round(y + cy_local - sh / 2)), rgb=rgb, mask=alpha[..., 0] > 0.5,
                amp=wind * (1.3 if crown else 0.7), omega=float(rng.uniform(0.15, 0.35)),
                phase=float(rng.uniform(0, 2 * math.pi))))

    def draw(self, canvas: np.ndarray, t: int) -> None:
        """Paste every sprite at its frame-``t`` sway offset onto ``canvas [H, W, 3]``."""
        h, w = canvas.shape[:2]
        for sp in self.sprites:
            dx = int(round(sp.amp * math.sin(sp.omega * t + sp.phase)))
            dy = int(round(0.3 * sp.amp * math.sin(0.7 * sp.omega * t + sp.phase)))
            x0, y0 = sp.x + dx, sp.y + dy
            sh, sw = sp.mask.shape
            xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + sw, w), min(y0 + sh, h)
            if xa >= xb or ya >= yb:
                continue
            m = sp.mask[ya - y0 : yb - y0, xa - x0 : xb - x0]
            canvas[ya:yb, xa:xb][m] = sp.rgb[ya - y0 : yb - y0, xa - x0 : xb - x0][m]


class Camera:
    """Per-frame camera effects: global contrast and brightness, flicker, sensor noise.

    ``finish`` maps a float canvas ``[H, W, 3]`` to the uint8 frame the encoder receives.
    """

    def __init__(self, height: int, width: int, rng: np.random.Generator, contrast: float,
                 noise_std: float, bank: int = 12, tint: float = 0.0) -> None:
        self.contrast = contrast
        self.tint = np.array([tint, 0.25 * tint, -tint], np.float32)  # > 0 warm (red up, blue down)
        self.brightness = float(rng.uniform(-25, 10)) * (1.2 - contrast)
        self.flicker_amp = float(rng.uniform(0.0, 0.04))
        self.flicker_freq = float(rng.uniform(0.05, 0.6))
        self.flicker_phase = float(rng.uniform(0, 2 * math.pi))
        self.mean = 115.0
        self.noise = rng.normal(0.0, noise_std, size=(bank, height, width, 3)).astype(np.float32)
        self._rng = rng
        self._last = 0

    def gain(self, t: int) -> float:
        """Lighting gain at frame ``t`` (1 = steady)."""
        return 1.0 + self.flicker_amp * math.sin(self.flicker_freq * t + self.flicker_phase)

    def finish(self, canvas: np.ndarray, t: int, extra_gain: float = 0.0) -> np.ndarray:
        """Frame ``t`` as ``[H, W, 3]`` uint8; ``extra_gain`` brightens (explosion flashes)."""
        g = self.contrast * (self.gain(t) + extra_gain)
        out = canvas - self.mean
        out *= g
        out += self.mean + self.brightness
        if self.tint.any():
            out += self.tint
        self._last = (self._last + int(self._rng.integers(1, len(self.noise)))) % len(self.noise)  # never repeats
        out += self.noise[self._last]
        np.clip(out, 0, 255, out=out)
        return out.astype(np.uint8)
