"""Anomalous events of SynthVAD, one builder per class of ``classes.py``'s "synthvad" entry.

Each builder places one event in a video of ``T`` frames and returns its actors with
``anomalous`` set on the frames where the event is happening; the annotation (intervals,
per-frame boxes) is derived from what those actors draw, so it matches the pixels.

- ``fighting``: two people meet, then jitter, lunge and punch close together.
- ``falling``: a walker tips over (rotates to horizontal about the feet) and lies still;
  sometimes gets up again, sometimes lies until the end.
- ``chasing``: two people run fast along the same winding path, one behind the other.
- ``fire``: a flickering red-orange-yellow blob with a glow and rising smoke, sometimes
  starting with an explosion flash; it dies down or burns until the end.
- ``crash``: two vehicles collide (head-on after a swerve, or side-on at a crossroad), spin
  and stop among debris; later they drive off.
- ``abandoned``: a person puts a bag down and walks away; the bag stays (a static anomaly:
  the motion prior of SA2 cannot see it once the owner has left).

The event's length in frames comes from the preset's ``anomaly_frames`` knob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stprompt_core.offline.synthvad.actors import PUNCH_A, PUNCH_B, RAISED, RUN_GAIT, Actor, Person, Vehicle, interpolate_track
from stprompt_core.offline.synthvad.draw import Box, fill_ellipse, fill_rect, union
from stprompt_core.offline.synthvad.scene import Layout
from stprompt_core.offline.synthvad.traffic import (
    LaneBlock,
    carried_bag,
    ground_point,
    keys_along,
    lane_extent,
    meeting,
    path_length,
    pausing_person,
    vehicle_width,
    walking_speed,
)


@dataclass
class Event:
    """Actors of one anomalous event and the lanes normal traffic must keep clear."""

    actors: list[Actor]
    blocks: list[LaneBlock] = field(default_factory=list)


def _where(layout: Layout, x: float, y: float) -> str:
    region = layout.region_at(x, y)
    return "in front of the wall" if region == "wall" else f"on the {region}"


def _window(T: int, duration: int, rng: np.random.Generator, at_end: bool = False) -> tuple[int, int]:
    """Start and end frame of an event of ``duration`` frames, inside ``[8, T)``."""
    d = int(min(duration, T - 16))
    if at_end:
        return T - d, T
    s = int(rng.integers(8, T - d - 3))
    return s, s + d


def _mark(actor: Actor, s: float, e: float, tag: str) -> None:
    for t in range(max(int(math.ceil(s)), 0), min(int(math.ceil(e)), actor.T)):
        actor.anomalous[t] = True
        actor.tags[t] = tag


# ---------------------------------------------------------------------------------------


def fighting(layout: Layout, T: int, rng: np.random.Generator, duration: int) -> Event:
    s, e = _window(T, duration, rng)
    a, b, (mx, my) = meeting(layout, T, rng, s, e - s, gap_factor=rng.uniform(0.25, 0.4))
    h = layout.person_height(my)
    tag = f"two people fighting {_where(layout, mx, my)}"
    for p, side in ((a, -1), (b, 1)):
        lunge_phase = rng.uniform(0, 2 * math.pi)
        punch = PUNCH_A
        steps = np.zeros(T)
        for t in range(s, e):
            if np.isnan(p.x[t]):
                continue
            if rng.random() < 0.3:
                punch = PUNCH_B if punch == PUNCH_A else PUNCH_A
            p.arms[t] = punch if rng.random() < 0.8 else RAISED
            p.dx[t] = rng.normal(0, 0.05 * h) - side * 0.1 * h * max(0.0, math.sin(0.5 * t + lunge_phase))
            p.dy[t] = rng.normal(0, 0.02 * h)
            p.lean[t] = -side * rng.uniform(0.0, 0.25)
            p.gait[t] = 0.25
            steps[t] = abs(rng.normal(0, 0.12 * h))  # shuffling feet
        p.dist = p.dist + np.cumsum(steps)
        _mark(p, s, e, tag)
    return Event([a, b])


def falling(layout: Layout, T: int, rng: np.random.Generator, duration: int) -> Event:
    stays = rng.random() < 0.5
    s, e = _window(T, duration, rng, at_end=stays)
    p, _, (px, py) = pausing_person(layout, T, rng, hold=(T + 50 if stays else e - s), t_stop=s)
    fall = int(rng.integers(5, 10))
    getup = 0 if stays else min(12, (e - s) // 3)
    where = _where(layout, px, py)
    final = float(rng.uniform(1.45, 1.62))
    for t in range(s, e):
        side = float(p.facing[t])
        u = t - s
        if u < fall:
            p.lean[t] = side * final * (u / fall) ** 2
            p.arms[t] = RAISED
            tag = f"a person falling down {where}"
        elif t >= e - getup:
            p.lean[t] = side * final * (e - t) / getup
            tag = f"a person getting up {where}"
        else:
            p.lean[t] = side * final
            tag = f"a person lying {where}"
        p.gait[t] = 0.0
        _mark(p, t, t + 1, tag)
    return Event([p])


def chasing(layout: Layout, T: int, rng: np.random.Generator, duration: int) -> Event:
    way, (x0, y0) = ground_point(layout, rng)
    v = walking_speed(layout, y0, rng, run=True)
    margin = 0.5 * layout.person_height(layout.height)
    d = int(rng.choice([-1, 1]))
    pts = [(x0, y0)]
    target = v * duration
    while path_length([(-margin if d > 0 else layout.width + margin, y0)] + pts) < target - layout.width / 2 \
            and len(pts) < 4:
        pts.append(ground_point(layout, rng)[1])
    ye = ground_point(layout, rng)[1][1]
    path = [(-margin if d > 0 else layout.width + margin, y0 + rng.uniform(-3, 3))] + pts + \
        [(layout.width + margin if d > 0 else -margin, ye)]
    length = path_length(path)
    lag = rng.uniform(0.8, 1.6) * layout.person_height(y0) / v
    t0 = rng.uniform(4, max(5.0, T - length / v - lag - 4))
    runners = []
    for k, start in enumerate((t0, t0 + lag)):
        x, y = interpolate_track(T, keys_along(path, v * (1.0 if k == 0 else rng.uniform(0.98, 1.04)), start))
        p = Person(T, x, y, rng, gait=RUN_GAIT, tag="running")
        p.lean[:] = 0.22 * p.facing
        if k == 1:
            p.arms[(rng.random(T) < 0.4)] = RAISED
        runners.append(p)
    for t in range(T):
        alive = [p for p in runners if not np.isnan(p.x[t])]
        if alive:
            tag = f"a person chasing another person {_where(layout, alive[0].x[t], alive[0].y[t])}"
            for p in alive:
                _mark(p, t, t + 1, tag)
    return Event(runners)


class Fire(Actor):
    """Flames at ground point ``(x, y)`` from frame ``t0`` to ``t1``; a scorch mark afterwards."""

    def __init__(self, T: int, x: float, y: float, size: float, t0: int, t1: int,
                 rng: np.random.Generator, explosion: bool, burn_out: bool) -> None:
        super().__init__(T)
        self.x, self.y, self.size, self.t0, self.t1 = x, y, size, t0, t1
        self.explosion, self.burn_out = explosion, burn_out
        self.rng = np.random.default_rng(rng.integers(2**63))

    def depth(self, t: int) -> float | None:
        return None if t < self.t0 else self.y

    def flash_gain(self, t: int) -> float:
        """Extra global brightness of an explosion flash at frame ``t``."""
        age = t - self.t0
        return 0.25 * (1 - age / 6) if self.explosion and 0 <= age < 6 else 0.0

    def draw(self, canvas: np.ndarray, t: int, layout: Layout) -> Box | None:
        x, y, s = self.x, self.y, self.size
        if t >= self.t1:
            return fill_ellipse(canvas, x, y, 0.55 * s, 0.16 * s, (30, 27, 24), alpha=0.6)
        age = t - self.t0
        g = min(1.0, (age + 1) / 10)
        if self.burn_out:
            g *= min(1.0, (self.t1 - t) / 8)
        r = self.rng
        for k in range(3):  # smoke, not part of the box
            ph = (age * 0.7 + k * 12) % 36
            fill_ellipse(canvas, x + 0.1 * s * math.sin(0.1 * age + k), y - s * g - ph * 0.06 * s,
                         (0.25 + ph / 50) * s * g, (0.2 + ph / 60) * s * g, (75, 75, 78), alpha=0.4 * (1 - ph / 36))
        fill_ellipse(canvas, x, y - 0.3 * s * g, 1.1 * s * g, 0.6 * s * g, (255, 140, 40), alpha=0.22)  # glow
        box = None
        for _ in range(6):
            dx = r.normal(0, 0.2 * s * g)
            fh, fw = r.uniform(0.5, 1.1) * s * g, r.uniform(0.16, 0.28) * s * g
            box = union(box, fill_ellipse(canvas, x + dx, y - fh / 2, fw, fh / 2, (205, 45, 15)))
            fill_ellipse(canvas, x + dx, y - 0.38 * fh, 0.65 * fw, 0.36 * fh, (255, 135, 25))
            fill_ellipse(canvas, x + 0.8 * dx, y - 0.28 * fh, 0.35 * fw, 0.22 * fh, (255, 232, 130))
        if self.explosion and 0 <= age < 6:
            rad = (0.5 + 0.35 * age) * s
            box = union(box, fill_ellipse(canvas, x, y - 0.4 * s, rad, 0.8 * rad, (255, 245, 205),
                                          alpha=0.9 - 0.12 * age))
        return box


def fire(layout: Layout, T: int, rng: np.random.Generator, duration: int) -> Event:
    burns_on = rng.random() < 0.4
    s, e = _window(T, duration, rng, at_end=burns_on)
    _, (x, y) = ground_point(layout, rng)
    size = rng.uniform(0.7, 1.15) * layout.person_height(y)
    explosion = rng.random() < 0.3
    f = Fire(T, x, y, size, s, e, rng, explosion=explosion, burn_out=not burns_on)
    where = _where(layout, x, y)
    for t in range(s, e):
        tag = f"an explosion {where}" if explosion and t - s < 6 else f"a fire burning {where}"
        _mark(f, t, t + 1, tag)
    return Event([f])


class Debris(Actor):
    """Fragments thrown from an impact point at frame ``t0``; they settle and stay."""

    def __init__(self, T: int, x: float, y: float, t0: int, spread: float, colors: list[np.ndarray],
                 rng: np.random.Generator, n: int = 12) -> None:
        super().__init__(T)
        self.x, self.y, self.t0 = x, y, t0
        ang = rng.uniform(0, 2 * math.pi, n)
        sp = rng.uniform(0.2, 1.0, n) * spread * 0.15
        self.vx, self.vy = sp * np.cos(ang), 0.6 * sp * np.sin(ang)
        glass = np.array([185, 205, 220], np.float32)
        self.colors = [colors[int(rng.integers(len(colors)))] if rng.random() < 0.5 else glass for _ in range(n)]
        self.sizes = rng.uniform(1.0, 2.2, n)

    def depth(self, t: int) -> float | None:
        return None if t < self.t0 else self.y - 0.5

    def draw(self, canvas: np.ndarray, t: int, layout: Layout) -> Box | None:
        k = (1 - 0.85 ** (t - self.t0 + 1)) / 0.15
        box = None
        for vx, vy, c, sz in zip(self.vx, self.vy, self.colors, self.sizes):
            px, py = self.x + vx * k, self.y + vy * k
            box = union(box, fill_rect(canvas, px - sz / 2, py - sz / 2, px + sz / 2, py + sz / 2, c))
        return box


def crash(layout: Layout, T: int, rng: np.random.Generator, duration: int) -> Event:
    if not layout.lanes:
        raise ValueError(f"layout {layout.name!r} has no lanes for a crash")
    s, e = _window(T, duration, rng)
    lo, hi = layout.central_x()
    side_on = layout.name == "crossroad"
    xlanes = [i for i, ln in enumerate(layout.lanes) if ln.axis == "x"]
    ylanes = [i for i, ln in enumerate(layout.lanes) if ln.axis == "y"]
    if side_on:
        ia, ib = int(rng.choice(xlanes)), int(rng.choice(ylanes))
    else:
        pair = xlanes if len(xlanes) >= 2 else ylanes
        ia, ib = (pair[0], pair[1]) if rng.random() < 0.5 else (pair[1], pair[0])
    la, lb = layout.lanes[ia], layout.lanes[ib]
    wa, wb = vehicle_width(layout, la), vehicle_width(layout, lb)
    va = Vehicle(T, np.zeros(T), np.zeros(T), np.zeros(T), wa, rng, kind="car")
    vb = Vehicle(T, np.zeros(T), np.zeros(T), np.zeros(T), wb, rng, kind=str(rng.choice(["car", "van"])))
    speed_a = rng.uniform(1.6, 3.0) * layout.width / 160
    speed_b = rng.uniform(1.6, 3.0) * layout.width / 160
    if side_on:
        px, py = lb.coord, la.coord  # junction of the two lanes
    elif la.axis == "x":
        px, py = rng.uniform(lo, hi), la.coord
    else:
        px, py = la.coord, rng.uniform(layout.height * 0.35, layout.height * 0.8)
    ua = np.array([math.cos(la.angle), math.sin(la.angle)])
    ub = np.array([math.cos(lb.angle), math.sin(lb.angle)])
    # Centres at the moment of impact: A's nose and B's nose (or flank) meet at P.
    ca = np.array([px, py]) - ua * va.length * 0.45
    cb = np.array([px, py]) - ub * (vb.length * 0.45 + (wa * 0.4 if side_on else 0.0))
    idx = np.arange(T, dtype=np.float64)
    spin_a, spin_b = rng.uniform(0.25, 0.7) * rng.choice([-1, 1]), rng.uniform(0.25, 0.7) * rng.choice([-1, 1])
    recoil = rng.uniform(1.5, 4.0)
    leave = rng.uniform(0.5, 1.0) * layout.width / 160
    push_a = ub * recoil if side_on else -ua * recoil  # where each car is thrown by the impact
    push_b = -ub * 0.3 * recoil if side_on else -ub * recoil
    for veh, c, u, speed, spin, lane, push in ((va, ca, ua, speed_a, spin_a, la, push_a),
                                               (vb, cb, ub, speed_b, spin_b, lb, push_b)):
        before = idx < s
        dt = idx - s
        pos = np.empty((T, 2))
        pos[before] = c + np.outer(dt[before], u) * speed
        settle = 1 - np.exp(-np.maximum(dt, 0) / 3.0)
        after = ~before
        pos[after] = c + np.outer(settle[after], push)
        ang = np.full(T, lane.angle)
        ang[after] += spin * settle[after]
        if not side_on and veh is vb:  # swerve into A's lane over the last frames before impact
            sw = np.clip(1 - (s - idx) / 16.0, 0, 1)
            lateral = (la.coord - lb.coord) * sw
            if la.axis == "x":
                pos[before, 1] = lb.coord + lateral[before]
            else:
                pos[before, 0] = lb.coord + lateral[before]
            turn = np.sign(lb.direction) * np.sign(la.coord - lb.coord) * (1 if la.axis == "x" else -1)
            ang[before] += 0.35 * turn * np.sin(np.pi * sw[before])
        gone = idx >= e  # aftermath over: drive off slowly along the lane
        rest = pos[min(e, T - 1)].copy() if e < T else pos[-1]
        pos[gone] = rest + np.outer(idx[gone] - e, u) * leave
        ang[gone] = lane.angle + spin * np.exp(-(idx[gone] - e) / 10.0)
        inside = (pos[:, 0] > -2 * veh.length) & (pos[:, 0] < layout.width + 2 * veh.length) & \
                 (pos[:, 1] > -2 * veh.length) & (pos[:, 1] < layout.height + 2 * veh.length)
        veh.x = np.where(inside, pos[:, 0], np.nan)
        veh.y = np.where(inside, pos[:, 1], np.nan)
        veh.angle = ang
        veh.tags = [None if not inside[t] else veh.tag("driving on the road") for t in range(T)]
    debris = Debris(T, px, py, s, spread=max(wa, wb) * 2.0, colors=[va.color, vb.color], rng=rng)
    tag = f"two vehicles crashing {_where(layout, px, py)}"
    for actor in (va, vb, debris):
        _mark(actor, s - 3, min(s + 4, e), tag)
        _mark(actor, s + 4, e, f"a car crash with debris {_where(layout, px, py)}")
    margin = 2 * lane_extent(layout, la) / min(speed_a, speed_b)
    blocks = [LaneBlock(ia, s - margin, T + margin), LaneBlock(ib, s - margin, T + margin)]
    if side_on:
        blocks += [LaneBlock(i, s - 40, e + 60) for i in range(len(layout.lanes)) if i not in (ia, ib)]
    return Event([va, vb, debris], blocks)


def abandoned(layout: Layout, T: int, rng: np.random.Generator, duration: int) -> Event:
    s, e = _window(T, duration, rng, at_end=True)
    linger = float(rng.uniform(4, 12))
    p, _, spot = pausing_person(layout, T, rng, hold=linger + 6, t_stop=s - 4)
    bag = carried_bag(T, rng, p, s, T + 1, spot, layout)
    where = _where(layout, *spot)
    _mark(bag, s, s + linger + 2, f"a person leaving a bag {where}")
    _mark(bag, s + linger + 2, e, f"an abandoned bag {where}")
    return Event([p, bag])


BUILDERS = {"fighting": fighting, "falling": falling, "chasing": chasing, "fire": fire, "crash": crash,
            "abandoned": abandoned}
