"""Normal activity of SynthVAD: walkers, vehicles and hard negatives.

:func:`populate` fills a layout with people walking along its walkways and vehicles driving
along its lanes for the whole video, plus *distractors*: normal events that look a bit like
anomalies (two people talking close together, a jogger, someone bending down or waving, a
bag put down and picked up again, a car that stops and drives on). They keep motion and
"people close together" from giving the anomalies away.

The path and lane helpers here are shared with :mod:`stprompt_core.offline.synthvad.anomalies`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stprompt_core.offline.synthvad.actors import CARRY, GESTURE, RAISED, RUN_GAIT, Actor, Bag, Person, Vehicle, interpolate_track
from stprompt_core.offline.synthvad.scene import LIGHT_PERIOD, Lane, Layout, Walkway

Point = tuple[float, float]


@dataclass
class LaneBlock:
    """No normal vehicle may be on lane ``lane`` (index) during frames ``[t0, t1]``."""

    lane: int
    t0: float
    t1: float


# ---------------------------------------------------------------------------------------
# Paths and timing


def walking_speed(layout: Layout, y: float, rng: np.random.Generator, run: bool = False) -> float:
    """Pixels per frame for a person at row ``y``: ~1.4 m/s walking, ~4 m/s running at 25 fps."""
    h = layout.person_height(y)
    return h * (rng.uniform(0.12, 0.22) if run else rng.uniform(0.025, 0.045))


def walk_path(layout: Layout, way: Walkway, rng: np.random.Generator, direction: int | None = None
              ) -> list[Point]:
    """A path across ``way`` that starts and ends off-frame. Returns polyline points."""
    d = direction if direction is not None else int(rng.choice([-1, 1]))
    margin = 0.4 * layout.person_height(way.y1) + 2
    if way.axis == "x":
        ya, yb = rng.uniform(way.y0, way.y1, 2)
        pts = [(way.x0 - margin, ya), (way.x1 + margin, yb)]
        return pts if d > 0 else pts[::-1]
    xa = rng.uniform(way.x0, way.x1)
    xb = float(np.clip(xa + rng.normal(0, 10), way.x0, way.x1))
    turn = rng.uniform(way.y0, way.y0 + 0.25 * (way.y1 - way.y0))
    pts = [(xa, layout.height + margin), (xb, turn), (-margin, turn + rng.uniform(-2, 2))]
    return pts if d > 0 else pts[::-1]


def arc_point(path: list[Point], s: float) -> Point:
    """Point at arc length ``s`` along a polyline (clamped to its ends)."""
    for (x0, y0), (x1, y1) in zip(path[:-1], path[1:]):
        seg = math.hypot(x1 - x0, y1 - y0)
        if s <= seg or seg == 0:
            f = 0.0 if seg == 0 else max(s, 0.0) / seg
            return (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
        s -= seg
    return path[-1]


def path_length(path: list[Point]) -> float:
    return sum(math.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in zip(path[:-1], path[1:]))


def keys_along(path: list[Point], speed: float, t0: float,
               stops: list[tuple[float, float]] = ()) -> list[tuple[float, float, float]]:
    """Keyframes ``(t, x, y)`` for walking ``path`` at ``speed`` from ``t0``.

    ``stops`` are ``(arc length, frames)``: stand still there that long.
    """
    cum = np.cumsum([0.0] + [math.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in zip(path[:-1], path[1:])])
    marks: list[float] = []
    for m in sorted([float(c) for c in cum] + [float(s) for s, _ in stops]):
        if not marks or m - marks[-1] > 1e-6:
            marks.append(m)
    keys, t, prev = [], t0, 0.0
    for s in marks:
        t += (s - prev) / speed
        x, y = arc_point(path, s)
        keys.append((t, x, y))
        wait = sum(d for s_stop, d in stops if abs(s_stop - s) <= 1e-6)
        if wait:
            t += wait
            keys.append((t, x, y))
        prev = s
    return keys


def ground_point(layout: Layout, rng: np.random.Generator, central: bool = True) -> tuple[Walkway, Point]:
    """A walkway and a point on it; ``central`` keeps it inside the centre square crop."""
    lo, hi = layout.central_x() if central else (0.0, float(layout.width))
    ways = layout.walkways
    way = ways[int(rng.choice(len(ways), p=_way_weights(ways)))]
    x = rng.uniform(max(lo, way.x0 + 4), min(hi, way.x1 - 4))
    y = rng.uniform(way.y0, way.y1)
    return way, (float(x), float(y))


def _way_weights(ways: list[Walkway]) -> np.ndarray:
    w = np.array([max(wy.length, 1.0) for wy in ways])
    return w / w.sum()


def lane_track(layout: Layout, lane: Lane, T: int, keys: list[tuple[float, float]]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vehicle centre and heading ``[T]`` from keyframes ``(t, s)`` of the lane coordinate."""
    x, y = interpolate_track(T, [(t, *lane.point(s)) for t, s in keys])
    return x, y, np.full(T, lane.angle)


def vehicle_width(layout: Layout, lane: Lane) -> float:
    return 0.72 * lane.width * layout.object_scale * layout.zoom ** 0.5  # lanes do not zoom: a near car overhangs


def lane_extent(layout: Layout, lane: Lane) -> float:
    return float(layout.width if lane.axis == "x" else layout.height)


# ---------------------------------------------------------------------------------------
# Normal population


def populate(layout: Layout, T: int, rng: np.random.Generator, clutter: float, distractors: float,
             blocks: list[LaneBlock] = ()) -> list[Actor]:
    """Walkers, vehicles and distractor events for a whole video of ``T`` frames."""
    actors: list[Actor] = []
    blocks = list(blocks)
    n_events = int(rng.poisson(distractors))
    kinds = ["talkers", "jogger", "bend", "wave", "bag_pickup"] + (["stopped_car"] * 2 if layout.lanes else [])
    for _ in range(n_events):
        kind = str(rng.choice(kinds))
        actors += _DISTRACTORS[kind](layout, T, rng, blocks)
    actors += _walkers(layout, T, rng, clutter)
    actors += _vehicles(layout, T, rng, clutter, blocks)
    return actors


def _walkers(layout: Layout, T: int, rng: np.random.Generator, clutter: float) -> list[Actor]:
    out: list[Actor] = []
    if not layout.walkways:
        return out
    # people in view at once; a near camera (zoom) sees fewer of them, each larger
    concurrency = clutter * rng.uniform(1.5, 4.0) * layout.width / 160 / layout.zoom ** 1.5
    weights = _way_weights(layout.walkways)
    trav = layout.width / walking_speed(layout, layout.height * 0.7, rng)
    for _ in range(int(rng.poisson(concurrency * (T + trav) / trav))):
        way = layout.walkways[int(rng.choice(len(weights), p=weights))]
        path = walk_path(layout, way, rng)
        v = walking_speed(layout, (way.y0 + way.y1) / 2, rng)
        length = path_length(path)
        stops = [(rng.uniform(0.2, 0.8) * length, rng.uniform(15, 60))] if rng.random() < 0.15 else []
        t0 = rng.uniform(-length / v, T)
        x, y = interpolate_track(T, keys_along(path, v, t0, stops))
        if np.isnan(x).all():
            continue
        out.append(Person(T, x, y, rng))
    return out


def _vehicles(layout: Layout, T: int, rng: np.random.Generator, clutter: float,
              blocks: list[LaneBlock]) -> list[Actor]:
    out: list[Actor] = []
    for li, lane in enumerate(layout.lanes):
        width = vehicle_width(layout, lane)
        extent = lane_extent(layout, lane)
        v = rng.uniform(1.4, 3.2) * layout.width / 160
        concurrency = clutter * rng.uniform(0.25, 0.6)
        trav = (extent + 8 * width) / v
        starts = np.sort(rng.uniform(-trav, T, int(rng.poisson(concurrency * (T + trav) / trav))))
        last_end = -1e9
        for t0 in starts:
            veh = Vehicle(T, np.zeros(T), np.zeros(T), np.zeros(T), width, rng)
            margin = veh.length
            t0 = max(float(t0), last_end)
            t0 = _next_green(layout, lane, t0, v, margin)
            s0, s1 = (-margin, extent + margin) if lane.direction > 0 else (extent + margin, -margin)
            t1 = t0 + abs(s1 - s0) / v
            if any(b.lane == li and t0 <= b.t1 and t1 >= b.t0 for b in blocks) or t0 >= T:
                continue
            veh.x, veh.y, veh.angle = lane_track(layout, lane, T, [(t0, s0), (t1, s1)])
            if np.isnan(veh.x).all():
                continue
            veh.tags = [veh.tag("driving on the road") if not np.isnan(veh.x[t]) else None for t in range(T)]
            out.append(veh)
            last_end = t0 + (veh.length + 0.6 * width + 4) / v  # headway: no overlap on the lane
    return out


def _next_green(layout: Layout, lane: Lane, t0: float, v: float, margin: float) -> float:
    """Crossroad: delay ``t0`` so the vehicle is inside the junction only on green."""
    if layout.name != "crossroad":
        return t0
    cross = [ln.coord for ln in layout.lanes if ln.axis != lane.axis]
    half = max(ln.width for ln in layout.lanes) + margin
    lo, hi = min(cross) - half, max(cross) + half
    extent = lane_extent(layout, lane)
    start = -margin if lane.direction > 0 else extent + margin
    for k in range(2 * LIGHT_PERIOD):
        t = t0 + k
        enter = t + (abs((lo if lane.direction > 0 else hi) - start)) / v
        leave = t + (abs((hi if lane.direction > 0 else lo) - start)) / v
        if all(layout.green(lane.axis, tt) for tt in np.linspace(enter, leave, 5)):
            return t
    return t0


# ---------------------------------------------------------------------------------------
# Distractors: normal events that resemble anomalies


def meeting(layout: Layout, T: int, rng: np.random.Generator, start: float, hold: float,
            gap_factor: float = 0.3, run: bool = False) -> tuple[Person, Person, Point]:
    """Two people walk in from both sides, meet at ``start``, stay ``hold`` frames, walk on."""
    way, (mx, my) = ground_point(layout, rng)
    h = layout.person_height(my)
    gap = gap_factor * h
    people = []
    for side in (-1, 1):
        far = mx + side * (layout.width * 0.7)
        here = (mx + side * gap / 2, my + rng.uniform(-1, 1))
        after = (mx - side * layout.width * 0.9, my + rng.uniform(-3, 3))
        v = walking_speed(layout, my, rng)
        t_arrive = start - rng.uniform(0, 6)
        approach = math.hypot(here[0] - far, 0) / v
        keys = [(t_arrive - approach, far, my), (t_arrive, *here), (start + hold, *here),
                (start + hold + abs(after[0] - here[0]) / v, *after)]
        x, y = interpolate_track(T, keys)
        p = Person(T, x, y, rng)
        stand = (np.arange(T) >= t_arrive) & (np.arange(T) < start + hold)
        p.facing[stand] = -side
        p.gait[stand] = 0.0
        people.append(p)
    return people[0], people[1], (mx, my)


def _talkers(layout: Layout, T: int, rng: np.random.Generator, blocks: list[LaneBlock]) -> list[Actor]:
    start, hold = rng.uniform(-20, T - 20), rng.uniform(30, 150)
    a, b, _ = meeting(layout, T, rng, start, hold, gap_factor=rng.uniform(0.35, 0.6))
    idx = np.arange(T)
    talk = (idx >= start) & (idx < start + hold)
    for p in (a, b):
        p.arms[talk & (rng.random(T) < 0.5)] = GESTURE
        for t in np.flatnonzero(talk):
            if p.tags[t] is not None:
                p.tags[t] = "person|talking"
    return [a, b]


def _jogger(layout: Layout, T: int, rng: np.random.Generator, blocks: list[LaneBlock]) -> list[Actor]:
    way = layout.walkways[int(rng.integers(len(layout.walkways)))]
    path = walk_path(layout, way, rng)
    v = walking_speed(layout, (way.y0 + way.y1) / 2, rng, run=True) * rng.uniform(0.45, 0.7)
    t0 = rng.uniform(-path_length(path) / v * 0.5, T - 10)
    x, y = interpolate_track(T, keys_along(path, v, t0))
    p = Person(T, x, y, rng, gait=RUN_GAIT * 0.8, tag="jogging")
    p.lean[:] = 0.12 * p.facing
    return [p]


def pausing_person(layout: Layout, T: int, rng: np.random.Generator, hold: float,
                  t_stop: float | None = None) -> tuple[Person, float, Point]:
    """A person who walks in, stands at a central point from ``t_stop`` for ``hold`` frames, walks on.

    Returns the person, ``t_stop`` and the standing point.
    """
    _, (px, py) = ground_point(layout, rng)
    d = int(rng.choice([-1, 1]))
    path = [(px - d * layout.width, py), (px, py), (px + d * layout.width, py)]
    v = walking_speed(layout, py, rng)
    t_stop = rng.uniform(0, T - 10) if t_stop is None else t_stop
    x, y = interpolate_track(T, keys_along(path, v, t_stop - layout.width / v, [(layout.width, hold)]))
    return Person(T, x, y, rng), t_stop, (px, py)


def _bend(layout: Layout, T: int, rng: np.random.Generator, blocks: list[LaneBlock]) -> list[Actor]:
    hold = rng.uniform(20, 50)
    p, t_stop, _ = pausing_person(layout, T, rng, hold)
    depth = rng.uniform(0.35, 0.7)
    for t in range(T):
        if 0 <= t - t_stop < hold and p.tags[t] is not None:
            p.lean[t] = p.facing[t] * depth * min(1.0, (t - t_stop) / 6.0, (t_stop + hold - t) / 6.0)
            p.arms[t] = CARRY
            p.tags[t] = "person|bending down"
    return [p]


def _wave(layout: Layout, T: int, rng: np.random.Generator, blocks: list[LaneBlock]) -> list[Actor]:
    hold = rng.uniform(20, 60)
    p, t_stop, _ = pausing_person(layout, T, rng, hold)
    for t in range(T):
        if 0 <= t - t_stop < hold and p.tags[t] is not None:
            p.arms[t] = RAISED if (t // 4) % 2 else GESTURE
            p.tags[t] = "person|waving"
    return [p]


def carried_bag(T: int, rng: np.random.Generator, owner: Person, drop: float, pick: float,
                spot: Point, layout: Layout) -> Bag:
    """A bag ``owner`` carries except during ``[drop, pick)``, when it stands next to ``spot``."""
    bag = Bag(T, rng, owner=owner)
    idx = np.arange(T)
    present = ~np.isnan(owner.x)
    down = (idx >= drop) & (idx < pick)
    bag.carried = present & ~down
    owner.arms[bag.carried] = CARRY
    side = float(owner.facing[min(max(int(drop), 0), T - 1)])
    bag.x[down] = spot[0] + side * 0.3 * layout.person_height(spot[1])
    bag.y[down] = spot[1] + 1.0
    return bag


def _bag_pickup(layout: Layout, T: int, rng: np.random.Generator, blocks: list[LaneBlock]) -> list[Actor]:
    hold = rng.uniform(25, 80)
    p, t_stop, spot = pausing_person(layout, T, rng, hold)
    bag = carried_bag(T, rng, p, t_stop + 4, t_stop + hold - 4, spot, layout)
    for t in range(T):
        if not bag.carried[t] and not np.isnan(bag.x[t]) and p.tags[t] is not None:
            p.tags[t] = "person|standing next to a bag"
    return [p, bag]


def _stopped_car(layout: Layout, T: int, rng: np.random.Generator, blocks: list[LaneBlock]) -> list[Actor]:
    li = int(rng.integers(len(layout.lanes)))
    lane = layout.lanes[li]
    width = vehicle_width(layout, lane)
    extent = lane_extent(layout, lane)
    veh = Vehicle(T, np.zeros(T), np.zeros(T), np.zeros(T), width, rng, kind="car")
    v = rng.uniform(1.2, 2.4) * layout.width / 160
    stop_s = rng.uniform(0.3, 0.7) * extent
    s0 = -veh.length if lane.direction > 0 else extent + veh.length
    s1 = extent + veh.length if lane.direction > 0 else -veh.length
    t_stop, hold, brake = rng.uniform(0, T - 10), rng.uniform(30, 100), 12.0
    keys = [(t_stop - brake - abs(stop_s - s0) / v, s0), (t_stop - brake, stop_s - lane.direction * v * brake / 2),
            (t_stop, stop_s), (t_stop + hold, stop_s), (t_stop + hold + brake, stop_s + lane.direction * v * brake / 2),
            (t_stop + hold + brake + abs(s1 - stop_s) / v, s1)]
    veh.x, veh.y, veh.angle = lane_track(layout, lane, T, keys)
    veh.tags = [None if np.isnan(veh.x[t]) else
                veh.tag("stopped on the road" if t_stop <= t < t_stop + hold else "driving on the road")
                for t in range(T)]
    blocks.append(LaneBlock(li, keys[0][0] - 10, keys[-1][0] + 10))
    return [veh]


_DISTRACTORS = {"talkers": _talkers, "jogger": _jogger, "bend": _bend, "wave": _wave,
                "bag_pickup": _bag_pickup, "stopped_car": _stopped_car}
