"""Moving things of SynthVAD: people, vehicles and bags, driven by per-frame state arrays.

Every actor holds arrays of length ``T`` (the video's frame count): where it is, how it is
posed, whether it is part of the anomaly (``anomalous``) and what a caption says about it
(``tags``). Normal behaviour and anomalies only differ in how those arrays are filled
(:mod:`stprompt_core.offline.synthvad.traffic`, :mod:`stprompt_core.offline.synthvad.anomalies`); drawing is the
same code for both, so appearance alone never reveals a label.

A person is a stick figure of capsules (legs, torso, arms) and a round head, posed in body
units (height 1, feet at the origin) and mapped to pixels by a rotation about the feet
(``lean``: falling is a lean that reaches pi/2), the perspective height and the position.
"""

from __future__ import annotations

import math

import numpy as np

from stprompt_core.offline.synthvad.draw import Box, fill_rect, fill_rotated_rect, fill_segments, union
from stprompt_core.offline.synthvad.scene import Layout

# Arm poses (values of Person.arms).
SWING, PUNCH_A, PUNCH_B, GESTURE, CARRY, RAISED = 0, 1, 2, 3, 4, 5

WALK_GAIT = 0.35  # leg swing amplitude of walking, radians
RUN_GAIT = 0.8  # ... of running

_SHIRTS = [(200, 40, 40), (40, 70, 160), (230, 230, 225), (30, 30, 35), (60, 140, 70), (230, 190, 40),
           (120, 60, 140), (150, 150, 155), (240, 120, 30), (90, 60, 40), (70, 160, 190)]
_PANTS = [(35, 40, 70), (30, 30, 30), (90, 80, 60), (60, 60, 65), (140, 120, 90), (25, 50, 110)]
_SKIN = [(235, 200, 170), (200, 150, 110), (150, 100, 70), (100, 65, 45), (225, 180, 140)]
_HAIR = [(30, 25, 20), (70, 45, 25), (150, 110, 60), (200, 190, 170), (20, 20, 20)]
_CARS = [(200, 30, 30), (30, 60, 150), (230, 230, 230), (25, 25, 28), (150, 150, 155), (210, 180, 30),
         (40, 110, 60), (110, 30, 40), (240, 120, 20), (90, 140, 190)]


def _pick(rng: np.random.Generator, palette: list[tuple[int, int, int]]) -> np.ndarray:
    base = np.asarray(palette[int(rng.integers(len(palette)))], np.float32)
    return np.clip(base + rng.uniform(-15, 15, 3), 0, 255).astype(np.float32)


def interpolate_track(T: int, keys: list[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Positions at frames ``0..T-1`` from keyframes ``(t, x, y)``; ``nan`` outside them.

    Returns:
        x, y: ``[T]`` float64.
    """
    kt = np.array([k[0] for k in keys], np.float64)
    kx = np.array([k[1] for k in keys], np.float64)
    ky = np.array([k[2] for k in keys], np.float64)
    t = np.arange(T, dtype=np.float64)
    x, y = np.interp(t, kt, kx), np.interp(t, kt, ky)
    outside = (t < kt[0]) | (t > kt[-1])
    x[outside] = np.nan
    y[outside] = np.nan
    return x, y


class Actor:
    """Common per-frame state: ``anomalous [T]`` bool and caption ``tags`` (one per frame).

    A tag is ``None`` (nothing to say), ``"noun|verb"`` for normal activity (counted and
    pluralised by :mod:`stprompt_core.offline.synthvad.captions`: ``"person|walking"``) or, on
    anomalous frames, a whole phrase (``"two people fighting on the pavement"``).
    """

    def __init__(self, T: int) -> None:
        self.T = T
        self.anomalous = np.zeros(T, bool)
        self.tags: list[str | None] = [None] * T

    def depth(self, t: int) -> float | None:
        """Painter's order key (row of the ground contact) or ``None`` when absent at ``t``."""
        raise NotImplementedError

    def draw(self, canvas: np.ndarray, t: int, layout: Layout) -> Box | None:
        """Paint frame ``t`` onto ``canvas [H, W, 3]``; return the touched box."""
        raise NotImplementedError

    def flash_gain(self, t: int) -> float:
        """Extra global brightness this actor causes at frame ``t`` (explosions)."""
        return 0.0


class Person(Actor):
    """A walking / running / posing person; arrays are filled by the behaviour builders."""

    def __init__(self, T: int, x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                 gait: float = WALK_GAIT, tag: str = "walking") -> None:
        super().__init__(T)
        self.x, self.y = x.astype(np.float64), y.astype(np.float64)  # feet, [T], nan = absent
        self.shirt, self.pants = _pick(rng, _SHIRTS), _pick(rng, _PANTS)
        self.skin, self.hair = _pick(rng, _SKIN), _pick(rng, _HAIR)
        self.build = float(rng.uniform(0.85, 1.2))  # torso width factor
        self.height_factor = float(rng.uniform(0.88, 1.1))
        self.lean = np.zeros(T)  # rotation about the feet, radians (+ tilts toward +x)
        self.arms = np.zeros(T, np.int8)
        self.dx = np.zeros(T)  # jitter added to x (fighting)
        self.dy = np.zeros(T)
        self.phase_offset = float(rng.uniform(0, 2 * math.pi))
        # Gait amplitude from speed: standing still -> legs together.
        vx = np.gradient(np.nan_to_num(self.x, nan=0.0))
        vy = np.gradient(np.nan_to_num(self.y, nan=0.0))
        speed = np.hypot(vx, vy)
        self.gait = np.where(speed > 0.08, gait, 0.0)
        self.dist = np.cumsum(np.where(np.isnan(self.x), 0.0, speed))
        facing = np.sign(vx)
        facing[np.abs(vx) < 0.05] = 0
        first = float(rng.choice([-1.0, 1.0]))
        for t in range(T):  # hold the last heading while standing
            if facing[t] == 0:
                facing[t] = facing[t - 1] if t else first
        self.facing = facing
        for t in range(T):
            if not np.isnan(self.x[t]):
                self.tags[t] = f"person|{tag if speed[t] > 0.08 or tag != 'walking' else 'standing'}"

    def depth(self, t: int) -> float | None:
        return None if np.isnan(self.x[t]) else float(self.y[t])

    def height(self, layout: Layout, t: int) -> float:
        return layout.person_height(float(self.y[t])) * self.height_factor

    def joints(self, layout: Layout, t: int) -> dict[str, tuple[float, float]]:
        """Pixel positions of feet, hips, shoulders, hands and head centre at frame ``t``."""
        h = self.height(layout, t)
        f = float(self.facing[t])
        a = float(self.gait[t]) * math.sin(2 * math.pi * self.dist[t] / (0.8 * h) + self.phase_offset)
        local = {
            "hip": (0.0, -0.47), "shoulder": (0.0, -0.77), "head": (0.0, -0.89),
            "foot_a": (0.5 * math.sin(a), -0.47 + 0.47 * math.cos(a)),
            "foot_b": (-0.5 * math.sin(a), -0.47 + 0.47 * math.cos(a)),
        }
        arm = int(self.arms[t])
        sh = local["shoulder"]
        if arm == SWING:
            local["hand_a"] = (sh[0] - 0.3 * math.sin(0.8 * a), sh[1] + 0.3 * math.cos(0.8 * a))
            local["hand_b"] = (sh[0] + 0.3 * math.sin(0.8 * a), sh[1] + 0.3 * math.cos(0.8 * a))
        elif arm in (PUNCH_A, PUNCH_B):
            reach, guard = (0.36, -0.04), (0.14, 0.08)  # punching arm straight out, the other up
            ra, rb = (reach, guard) if arm == PUNCH_A else (guard, reach)
            local["hand_a"] = (sh[0] + ra[0], sh[1] + ra[1])
            local["hand_b"] = (sh[0] + rb[0], sh[1] + rb[1])
        elif arm == GESTURE:
            w = 0.1 * math.sin(0.4 * t + self.phase_offset)
            local["hand_a"] = (sh[0] + 0.2, sh[1] + 0.12 + w)
            local["hand_b"] = (sh[0] - 0.04, sh[1] + 0.3)
        elif arm == CARRY:
            local["hand_a"] = (sh[0] + 0.08, sh[1] + 0.31)
            local["hand_b"] = (sh[0] + 0.3 * math.sin(0.8 * a), sh[1] + 0.3 * math.cos(0.8 * a))
        else:  # RAISED
            local["hand_a"] = (sh[0] + 0.15, sh[1] - 0.28)
            local["hand_b"] = (sh[0] - 0.12, sh[1] - 0.28)
        th = float(self.lean[t])
        c, s = math.cos(th), math.sin(th)
        ox, oy = float(self.x[t] + self.dx[t]), float(self.y[t] + self.dy[t])
        out = {}
        for k, (lx, ly) in local.items():
            lx *= f
            out[k] = (ox + h * (lx * c - ly * s), oy + h * (lx * s + ly * c))
        return out

    def draw(self, canvas: np.ndarray, t: int, layout: Layout) -> Box | None:
        h = self.height(layout, t)
        j = self.joints(layout, t)
        # Seen from above at an angle, a body lying down shows its breadth: widen the limbs.
        wide = 1.0 + 0.7 * abs(math.sin(float(self.lean[t])))
        leg, arm = max(1.0, 0.1 * h * wide), max(1.0, 0.075 * h * wide)
        torso = max(1.5, 0.2 * h * self.build * wide)
        hip, sh, (hx, hy) = j["hip"], j["shoulder"], j["head"]
        th = float(self.lean[t])
        hr = 0.085 * h
        cx, cy = hx + 0.03 * h * math.sin(th), hy - 0.03 * h * math.cos(th)  # hair: a disc behind the face
        segments = np.array([(*hip, *j["foot_b"]), (*sh, *j["hand_b"]), (*hip, *sh), (*hip, *j["foot_a"]),
                             (*sh, *j["hand_a"]), (cx, cy, cx, cy), (hx, hy, hx, hy)], np.float32)
        widths = np.array([leg, arm, torso, leg, arm, 2 * hr, 1.8 * hr], np.float32)
        colors = np.stack([self.pants * 0.85, self.shirt * 0.85, self.shirt, self.pants, self.shirt,
                           self.hair, self.skin])
        return fill_segments(canvas, segments, widths, colors)


class Bag(Actor):
    """A suitcase, backpack or box: carried at a person's hand, or standing on the ground."""

    def __init__(self, T: int, rng: np.random.Generator, owner: Person | None = None) -> None:
        super().__init__(T)
        self.owner = owner
        self.carried = np.zeros(T, bool)
        self.x = np.full(T, np.nan)  # bottom centre on the ground when not carried
        self.y = np.full(T, np.nan)
        self.size = float(rng.uniform(0.26, 0.36))  # in person heights
        self.aspect = float(rng.uniform(0.7, 1.4))
        self.color = _pick(rng, [(30, 30, 35), (90, 50, 30), (40, 60, 110), (150, 40, 40), (170, 140, 90),
                                 (60, 90, 60)])

    def depth(self, t: int) -> float | None:
        if self.carried[t] and self.owner is not None:
            d = self.owner.depth(t)
            return None if d is None else d + 0.5
        return None if np.isnan(self.x[t]) else float(self.y[t])

    def draw(self, canvas: np.ndarray, t: int, layout: Layout) -> Box | None:
        if self.carried[t] and self.owner is not None:
            hand = self.owner.joints(layout, t)["hand_a"]
            h = self.owner.height(layout, t)
            cx, bottom = hand[0], hand[1] + self.size * h * layout.bag_scale
        else:
            h = layout.person_height(float(self.y[t]))
            cx, bottom = float(self.x[t]), float(self.y[t])
        bh = self.size * h * layout.bag_scale
        bw = bh * self.aspect
        box = fill_rect(canvas, cx - bw / 2, bottom - bh, cx + bw / 2, bottom, self.color)
        box = union(box, fill_rect(canvas, cx - bw / 2, bottom - bh, cx + bw / 2, bottom - 0.8 * bh,
                                   self.color * 0.7))
        return box


class Vehicle(Actor):
    """A car, van or bus seen from above at an angle; ``x, y`` is its centre, ``angle`` heading."""

    def __init__(self, T: int, x: np.ndarray, y: np.ndarray, angle: np.ndarray, width: float,
                 rng: np.random.Generator, kind: str | None = None) -> None:
        super().__init__(T)
        self.x, self.y, self.angle = x, y, angle  # [T] each
        self.kind = kind or str(rng.choice(["car", "car", "car", "van", "bus"], p=[0.3, 0.3, 0.2, 0.12, 0.08]))
        self.width = width
        self.length = width * {"car": 1.9, "van": 2.3, "bus": 3.4}[self.kind]
        self.color = _pick(rng, _CARS)
        self.glass = np.array([70, 90, 110], np.float32) + rng.uniform(-15, 15, 3).astype(np.float32)
        for t in range(T):
            if not np.isnan(x[t]):
                self.tags[t] = self.tag("driving on the road")

    def tag(self, verb: str) -> str:
        """Caption tag ``"noun|verb"`` of this vehicle, e.g. ``"bus|stopped on the road"``."""
        return f"{self.kind}|{verb}"

    def depth(self, t: int) -> float | None:
        return None if np.isnan(self.x[t]) else float(self.y[t]) + self.width / 2

    def draw(self, canvas: np.ndarray, t: int, layout: Layout) -> Box | None:
        cx, cy, th = float(self.x[t]), float(self.y[t]), float(self.angle[t])
        hl, hw = self.length / 2, self.width / 2
        c, s = math.cos(th), math.sin(th)
        box = fill_rotated_rect(canvas, cx + 0.6, cy + 1.2, hl, hw, th, (20, 20, 22), alpha=0.45)  # shadow
        box = union(box, fill_rotated_rect(canvas, cx, cy, hl, hw, th, self.color))
        if self.kind == "bus":
            for k in (-0.6, -0.2, 0.2, 0.6):
                fill_rotated_rect(canvas, cx + k * hl * c, cy + k * hl * s, 0.14 * hl, 0.85 * hw, th, self.glass)
        else:
            off = -0.1 * hl
            fill_rotated_rect(canvas, cx + off * c, cy + off * s, 0.42 * hl, 0.8 * hw, th, self.color * 0.75)
            fw = 0.34 * hl
            fill_rotated_rect(canvas, cx + fw * c, cy + fw * s, 0.1 * hl, 0.78 * hw, th, self.glass)
        return box
