"""The data-index readers under arbitrary input (hypothesis): a malformed annotation, list, mask,
boxes or manifest file is refused with the project's own error naming the file (and the line,
counted as an editor counts it); a well-formed one parses to what it says; a refused release
writes no manifest."""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from stprompt_core.classes import class_labels
from stprompt_core.cli import main
from stprompt_core.data.datasets import shanghaitech, ubnormal, ucf_crime, xd_violence
from stprompt_core.data.datasets.common import AnnotationError, read_lines
from stprompt_core.data.datasets.safe_pickle import loads_plain
from stprompt_core.data.manifest import SPLITS, ManifestError, load_manifest, manifest_from_dict

UCF = class_labels("ucf_crime")
XD = class_labels("xd_violence")

typed_text = st.text(st.characters(codec="utf-8"), max_size=16)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | typed_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(typed_text, inner, max_size=3),
    max_leaves=6)
# Pieces annotation lines are made of, plus what editors, spreadsheets and other OSes add.
TOKENS = ["0", "1", "-1", "16", "160", "1.0e+01", "2.5", "nan", "1e999", "x", ",", " ", "  ", "\t", "\n", "\r\n",
          "\r", "\x0c", "\x85", "\u2028", "\xa0", "\ufeff", "\x00", "_label_", "B2-G-0", "A", "-", ".mp4", "/", "#",
          "Normal", "Arson", "Arson011_x264.mp4", "01_0014", "01_001", "abnormal_scene_2_scenario_6"]
annotation_text = st.lists(st.sampled_from(TOKENS) | typed_text, max_size=24).map("".join)
file_bytes = annotation_text.map(lambda t: t.encode("utf-8")) | st.binary(max_size=48)

LINE_PARSERS = {
    "ucf_crime.parse_split_list": ucf_crime.parse_split_list,
    "ucf_crime.parse_temporal_annotations": ucf_crime.parse_temporal_annotations,
    "shanghaitech.parse_split_list": shanghaitech.parse_split_list,
    "ubnormal.parse_name_list": ubnormal.parse_name_list,
    "ubnormal.parse_tracks": ubnormal.parse_tracks,
    "xd_violence.parse_annotations": xd_violence.parse_annotations,
}


@contextlib.contextmanager
def written(content: bytes, name: str = "annotations.txt"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        yield path


def editor_lines(content: bytes) -> int:
    """Lines as an editor (and ``grep -n``) counts them: \\n, \\r\\n and \\r end a line."""
    return len(re.split(rb"\r\n|\r|\n", content))


def assert_names_file_and_line(message: str, path: Path, content: bytes) -> None:
    assert message.startswith(f"{path}:"), message
    line = re.match(rf"{re.escape(str(path))}:(\d+):", message)
    if line:
        assert 1 <= int(line.group(1)) <= editor_lines(content), message


def assert_bad_line_named(parse, lines: list[str], bad: str, k: int) -> None:
    """``bad`` inserted before line ``k`` of a valid file is refused, naming the file and line ``k + 1``."""
    with written("\n".join(lines[:k] + [bad] + lines[k:]).encode()) as path:
        try:
            parse(path)
        except AnnotationError as exc:
            assert str(exc).startswith(f"{path}:{k + 1}: "), str(exc)
        else:
            raise AssertionError(f"line {k + 1} {bad!r} was accepted")


@given(parser=st.sampled_from(sorted(LINE_PARSERS)), content=file_bytes)
@example(parser="ucf_crime.parse_temporal_annotations",
         content=b"Arson001_x264.mp4 Arson 1 2 -1 -1\x0c\nbad")  # named line 3 (a form feed split line 1)
@example(parser="xd_violence.parse_annotations", content="v_label_A 1 2\u2028x".encode())
@example(parser="ubnormal.parse_tracks", content=b"1,5,3")
@example(parser="ucf_crime.parse_split_list", content=b"\xff\xfe")
def test_a_line_parser_returns_or_names_file_and_line(parser, content):
    with written(content) as path:
        try:
            LINE_PARSERS[parser](path)
        except AnnotationError as exc:
            assert_names_file_and_line(str(exc), path, content)


@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12), max_size=6),
       st.sampled_from(["\n", "\r\n", "\r"]))
@example(["a\x0cb", "c"], "\n")  # str.splitlines split at the form feed: "c" was numbered 3
@example(["x\u2028y", "z"], "\r\n")
def test_read_lines_numbers_lines_as_editors_do(lines, newline):
    with written(newline.join(lines).encode("utf-8")) as path:
        got = read_lines(path)
    want = [(i, line.strip()) for i, line in enumerate(lines, start=1) if line.strip()]
    if want and lines[0].startswith("\ufeff"):  # a byte-order mark is not text
        want[0] = (want[0][0], lines[0][1:].strip())
        want = [w for w in want if w[1]]
    assert got == want


# ------------------------------------------------------------ well-formed files, and one bad line


@st.composite
def ucf_test_lines(draw):
    """Lines of UCF-Crime's temporal annotation and the intervals each stands for (half-open)."""
    n = draw(st.integers(1, 5))
    lines, want = [], {}
    for i in range(n):
        cls = draw(st.sampled_from(UCF))
        name = f"{cls}{i:03d}_x264"
        pairs = [] if cls == "Normal" else [sorted(draw(st.lists(st.integers(0, 9999), min_size=2, max_size=2)))
                                            for _ in range(draw(st.integers(1, 2)))]
        nums = [x for p in pairs for x in p] + [-1] * (4 - 2 * len(pairs))
        lines.append(f"{name}.mp4 {cls} " + " ".join(map(str, nums)))
        merged = sorted([s, e + 1] for s, e in pairs)
        if len(merged) == 2 and merged[1][0] <= merged[0][1]:
            merged = [[merged[0][0], max(merged[0][1], merged[1][1])]]
        want[name] = merged
    return lines, want


UCF_BAD = ["Arson001_x264.mp4 Arson 1 2 3", "Arson001_x264.mp4 Arsen 1 2 -1 -1", "Arson001_x264.mp4 Arson 5 4 -1 -1",
           "Arson001_x264.mp4 Arson -1 4 -1 -1", "Normal001_x264.mp4 Normal 1 2 -1 -1", "x Arson one 2 -1 -1"]


@given(ucf_test_lines(), st.sampled_from(UCF_BAD), st.data())
def test_ucf_annotation_parses_and_a_bad_line_is_named(lines_want, bad, data):
    lines, want = lines_want
    with written("\n".join(lines).encode()) as path:
        got = ucf_crime.parse_temporal_annotations(path)
    assert {k: a.intervals for k, a in got.items()} == want
    assert_bad_line_named(ucf_crime.parse_temporal_annotations, lines, bad, data.draw(st.integers(0, len(lines))))


@st.composite
def xd_names(draw):
    tokens = draw(st.lists(st.sampled_from(XD[1:]), min_size=1, max_size=3, unique=True))
    pad = ["0"] * draw(st.integers(0, 3 - len(tokens)))
    return f"{draw(st.from_regex(r'[A-Za-z0-9 .#]{1,8}', fullmatch=True))}_label_{'-'.join(tokens + pad)}", tokens


@given(xd_names())
def test_xd_labels_round_trip(name_tokens):
    name, tokens = name_tokens
    assert xd_violence.labels_from_name(name) == tokens


@given(typed_text, typed_text)
@example("v", "")
@example("v", "B2-A")
@example("v", "B3")
def test_xd_label_is_valid_or_refused_listing_the_labels(stem, label):
    try:
        labels = xd_violence.labels_from_name(f"{stem}_label_{label}")
    except AnnotationError as exc:
        assert all(repr(x) in str(exc) for x in XD[1:]), str(exc)
        return
    assert labels == ["A"] or (labels and set(labels) <= set(XD[1:]))


@given(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=5),
       st.sampled_from(["{}, {}, {}", "{}.0e+00,{}.0,{}", "{} {} {}"]), st.data())
def test_ubnormal_tracks_parse_and_a_bad_line_is_named(rows, fmt, data):
    rows = [(o, min(s, e), max(s, e)) for o, s, e in rows]
    lines = [fmt.format(*r) for r in rows]
    with written("\n".join(lines).encode()) as path:
        got = ubnormal.parse_tracks(path)
    frames = set().union(*(range(s, e + 1) for _, s, e in rows))
    assert set().union(*(range(s, e) for s, e in got)) == frames
    bad = data.draw(st.sampled_from(["1, 9, 3", "1, 2", "1, x, 3", "1, 2.5, 3", "1, -4, 3"]))
    assert_bad_line_named(ubnormal.parse_tracks, lines, bad, data.draw(st.integers(0, len(lines))))


# ------------------------------------------------------------ boxes, masks, pickles


boxes_like = st.dictionaries(
    typed_text | st.integers() | st.binary(max_size=4),
    st.lists(st.lists(json_values | st.integers(-10**400, 10**400) | st.floats(), max_size=6)
             | json_values, max_size=3) | json_values, max_size=3) | json_values


@given(boxes_like)
@example({"Arson011_x264": [["16.jpg", 10**400, 0, 1, 1]]})  # float() overflowed
@example({"Arson011_x264": [["16.jpg", float("nan"), 0, 1, 1]]})  # NaN corners were kept
def test_boxes_are_read_or_refused_naming_the_source(raw):
    try:
        out = ucf_crime.parse_boxes(raw, "boxes.pkl")
    except AnnotationError as exc:
        assert str(exc).startswith("boxes.pkl: "), str(exc)
        return
    for frames in out.values():
        for boxes in frames.values():
            for x1, y1, x2, y2 in boxes:
                assert np.isfinite([x1, y1, x2, y2]).all() and x1 <= x2 and y1 <= y2


@given(file_bytes | st.sampled_from([b"[" * 5000, b'{"a": [["1.jpg", 1e999, 0, 1, 1]]}']))
def test_a_boxes_json_file_is_read_or_refused_naming_it(content):
    with written(content, "boxes.json") as path:
        try:
            ucf_crime.load_boxes(path)
        except AnnotationError as exc:
            assert str(exc).startswith(f"{path}: "), str(exc)


@settings(max_examples=30)
@given(file_bytes)
def test_a_pickle_is_read_or_refused_naming_it(content):
    try:
        loads_plain(content, source="boxes.pkl")
    except ValueError as exc:
        assert str(exc).startswith("boxes.pkl: "), str(exc)


masks = hnp.arrays(
    dtype=hnp.scalar_dtypes() | hnp.byte_string_dtypes() | st.just(np.dtype([("a", "<i4")])),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))


@given(masks | file_bytes)
@example(np.zeros(3, dtype=[("a", "<i4")]))  # a structured array: TypeError from np.isin
@example(b"")  # an empty file: EOFError from np.load
def test_a_mask_is_read_or_refused_naming_it(mask):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "01_0014.npy"
        if isinstance(mask, bytes):
            path.write_bytes(mask)
        else:
            np.save(path, mask, allow_pickle=False)
        try:
            got = shanghaitech.load_mask(path)
        except AnnotationError as exc:
            assert str(exc).startswith(f"{path}: "), str(exc)
            return
    assert got.ndim == 1 and set(np.unique(got).tolist()) <= {0, 1}


# ------------------------------------------------------------ manifests


FIELDS = ["id", "path", "split", "label", "cls", "num_frames", "intervals", "boxes", "box_size", "sha256",
          "captions", "classes"]
SAYS = {"cls": "class", "intervals": "interval"}  # how messages name a field, where not by its own name


@st.composite
def manifests(draw):
    """A valid manifest dict, exactly as ``Manifest.to_dict`` writes it."""
    dataset = draw(st.sampled_from(["ucf_crime", "xd_violence", "shanghaitech", "ubnormal", "synthvad"]))
    labels = class_labels(dataset)
    ids = draw(st.lists(typed_text.filter(bool), max_size=3, unique=True))
    videos = []
    for vid in ids:
        cls = draw(st.sampled_from(labels))
        frames = draw(st.none() | st.integers(0, 10**6))
        v = {"id": vid, "path": draw(typed_text.filter(bool)), "split": draw(st.sampled_from(SPLITS)),
             "label": int(cls != labels[0]), "cls": cls, "num_frames": frames,
             "intervals": [sorted(p) for p in draw(st.lists(st.lists(st.integers(0, 10**6), min_size=2, max_size=2),
                                                            max_size=2))],
             "boxes": draw(st.none() | st.dictionaries(st.integers(0, 999).map(str), st.lists(
                 st.lists(st.floats(-1e6, 1e6), min_size=4, max_size=4), max_size=2), max_size=2)),
             "box_size": draw(st.none() | st.lists(st.integers(1, 4096), min_size=2, max_size=2)),
             "sha256": draw(st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
             "captions": draw(st.none() | st.dictionaries(st.integers(0, 99).map(str), typed_text, max_size=2))}
        if cls != labels[0] and len(labels) > 2 and draw(st.booleans()):
            v["classes"] = [cls, *draw(st.lists(st.sampled_from(labels[1:]), min_size=1, max_size=2))]
        videos.append(v)
    return {"schema_version": 1, "dataset": dataset, "videos": videos}


@given(manifests())
def test_a_valid_manifest_round_trips(raw):
    assert manifest_from_dict(raw).to_dict() == raw


@given(manifests().filter(lambda m: m["videos"]), st.sampled_from([*FIELDS, "extra"]), json_values, st.data())
@example({"schema_version": 1, "dataset": "synthvad", "videos": [
    {"id": "a", "path": "a.mp4", "split": "test", "label": 1, "cls": "fire"}]}, "intervals", [5], None)
@example({"schema_version": 1, "dataset": "synthvad", "videos": [
    {"id": "a", "path": "a.mp4", "split": "test", "label": 1, "cls": "fire"}]}, "id", [1], None)
def test_a_changed_field_is_accepted_or_named(raw, field, value, data):
    i = data.draw(st.integers(0, len(raw["videos"]) - 1)) if data is not None else 0
    raw["videos"][i][field] = value
    try:
        manifest_from_dict(raw, source="m.json")
    except ManifestError as exc:
        message = str(exc)
        assert message.startswith("m.json: ")
        assert field in message or SAYS.get(field, field) in message or "duplicate video id" in message, message
        assert repr(raw["videos"][i].get("id"))[:20] in message or f"#{i}" in message, message


@given(json_values | st.dictionaries(st.sampled_from(["schema_version", "dataset", "videos"]), json_values))
@example([])  # AttributeError: 'list' object has no attribute 'get'
@example({"schema_version": 1, "dataset": "synthvad", "videos": 3})
@example({"schema_version": 1, "dataset": ["synthvad"], "videos": []})
def test_a_manifest_of_another_shape_is_refused_naming_the_source(raw):
    try:
        manifest_from_dict(raw, source="m.json")
    except ManifestError as exc:
        assert str(exc).startswith("m.json: "), str(exc)


@given(file_bytes)
def test_a_manifest_file_is_read_or_refused_naming_it(content):
    with written(content, "manifest.json") as path:
        try:
            load_manifest(path)
        except ManifestError as exc:
            assert str(exc).startswith(f"{path}: "), str(exc)


# ------------------------------------------------------------ the data index command


@settings(max_examples=12)
@given(content=file_bytes)
@example(content=b"v_label_B1 5 4\n")
@example(content=b"v_label_B1 1 4\n")  # accepted: the manifest is written
def test_a_refused_release_writes_no_manifest(content):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "xd"
        root.mkdir()
        (root / "annotations.txt").write_bytes(content)
        out = Path(tmp) / "manifest.json"
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["data", "index", "xd_violence", "--root", str(root), "--out", str(out)])
        if rc == 0:
            assert load_manifest(out).dataset == "xd_violence"
        else:
            assert rc == 2 and "annotations.txt" in err.getvalue(), err.getvalue()
            assert sorted(os.listdir(tmp)) == ["xd"]
