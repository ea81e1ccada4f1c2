"""Random COCO files, valid and broken: every door sees success or an InputError, nothing else.

The files start as the real-world shapes of tests/coco_files.py and are then broken at
random: values of any JSON type in any field, ids of other types, NaN / infinite / huge
polygon coordinates, RLE of random text or runs, wrong sizes, duplicates, deleted keys, a
top level that is not an object, truncated text, a byte-order mark. pycocotools crashes
or allocates without bound on several of these: a dead process here fails the run.
"""

import contextlib
import copy
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from coco_files import STYLES, write_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from interactive_seg import CocoDocument, InputError, Session, check_coco, cli, read_coco
from interactive_seg.coco import decode_segmentation

try:  # the napari reader needs the gui extra (pandas); without it that door is not tried
    from interactive_seg.plugin.io import read_coco_layers
except ImportError:
    read_coco_layers = None

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=6)
    | st.just("a\ud83d lone surrogate"),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
strange_numbers = st.sampled_from(
    [float("nan"), float("inf"), -float("inf"), 1e8, -1e15, 1e300, 2**62, 2**70, -3, 0, 0.5]
)


@st.composite
def broken(draw, data):
    """One random change to parsed COCO data (in place)."""
    kind = draw(
        st.sampled_from(
            ["value", "delete", "coordinate", "rle_text", "rle_runs", "size", "duplicate", "id_type", "top"]
        )
    )
    if not isinstance(data, dict):
        return data
    lists = [k for k in ("images", "annotations", "categories") if isinstance(data.get(k), list) and data[k]]
    if kind == "top":
        return draw(st.sampled_from([[], [data], 3, "coco", None, {"images": data.get("images")}]))
    if not lists:
        return data
    key = draw(st.sampled_from(lists))
    record = data[key][draw(st.integers(0, len(data[key]) - 1))]
    if not isinstance(record, dict):
        return data
    field = draw(st.sampled_from(sorted(record))) if record else None
    segmentation = (
        data["annotations"][0].get("segmentation")
        if data.get("annotations") and isinstance(data["annotations"][0], dict)
        else None
    )
    if kind == "value" and field is not None:
        record[field] = draw(json_values)
    elif kind == "delete" and field is not None:
        del record[field]
    elif (
        kind == "coordinate"
        and isinstance(segmentation, list)
        and segmentation
        and isinstance(segmentation[0], list)
        and segmentation[0]
    ):
        polygon = segmentation[0]
        polygon[draw(st.integers(0, len(polygon) - 1))] = draw(strange_numbers)
    elif kind == "rle_text" and isinstance(segmentation, dict):
        segmentation["counts"] = draw(st.text(max_size=30))
    elif kind == "rle_runs" and isinstance(segmentation, dict):
        segmentation["counts"] = draw(st.lists(st.integers(-5, 5000), max_size=12))
    elif kind == "size" and isinstance(segmentation, dict):
        segmentation["size"] = draw(st.lists(st.integers(-2, 100) | st.floats(), max_size=3))
    elif kind == "duplicate":
        data[key].append(copy.deepcopy(record))
    elif kind == "id_type" and "id" in record:
        record["id"] = draw(st.sampled_from([str(record["id"]), [record["id"]], {"id": 1}, 1.5, True, None]))
    return data


@st.composite
def coco_files(draw):
    style = draw(st.sampled_from(sorted(STYLES)))
    data, sizes = STYLES[style]() if style == "supervision_real" else STYLES[style](draw(st.integers(0, 3)))
    for _ in range(draw(st.integers(0, 3))):
        data = draw(broken(data))
    text = json.dumps(data)
    damage = draw(st.sampled_from(["none", "none", "none", "truncate", "bom"]))
    if damage == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    raw = ("\ufeff" if damage == "bom" else "") + text
    return raw, sizes


def attempt(call):
    """Run ``call``: its result, or None after an InputError (anything else fails the test)."""
    try:
        return call()
    except InputError as exc:
        message = str(exc)
        assert message.endswith(".") and not message.endswith(".."), message
        return None


@settings(
    max_examples=int(os.environ.get("COCO_FUZZ_EXAMPLES", 120)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=coco_files())
def test_random_coco_files_give_success_or_input_error_everywhere(case):
    raw, sizes = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        path = write_dataset(folder, {}, sizes)  # the images; the COCO text comes next
        path.write_text(raw, encoding="utf-8")

        doc = attempt(lambda: CocoDocument.open(path))
        problems = attempt(lambda: check_coco(path))
        if doc is not None:
            assert isinstance(doc.check(), list)
            for ann in doc.annotations():
                if doc.has_mask(ann["id"]):
                    mask = attempt(lambda: doc.mask(ann["id"]))
                    assert mask is not None or doc.check()  # an undecodable mask is a problem check() names
            attempt(lambda: doc.check(strict=True))
            attempt(lambda: read_coco(path))
            if read_coco_layers is not None:
                attempt(lambda: read_coco_layers(str(path)))
        if problems == []:
            assert doc is not None  # a file check_coco finds sound opens

        session = attempt(lambda: Session.open(folder, annotations=path))
        if session is not None:
            for name in session.images:
                session.count(name)
                for obj in session.objects(name):
                    attempt(lambda: obj.mask)
                image = attempt(lambda: session.read(name))
                if image is not None:
                    attempt(lambda: session.labels(name, image.shape))
            if session.images:
                name = session.images[0]
                image = attempt(lambda: session.read(name))
                if image is not None:
                    mask = np.zeros(image.shape[:2], bool)
                    mask[1:4, 1:5] = True
                    if attempt(lambda: session.add(name, mask, "fuzz")) is not None:
                        session.close()  # folds the journal into the COCO file
                        assert CocoDocument.open(path).count() >= 1  # what was saved opens again

        assert cli.main(["check", str(path), "-q"]) in (0, 1, 2)
        assert cli.main(
            ["export", "--coco", str(path), "--images", str(folder), "--out", str(Path(tmp) / "out"), "-q"]
        ) in (0, 2)


# -- decoding equals pycocotools where pycocotools can decode ------------------------------------
@st.composite
def segmentations(draw):
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    kind = draw(st.sampled_from(["polygons", "rle", "runs"]))
    if kind == "polygons":
        coordinate = st.floats(-2.0, 3.0).map(lambda f: round(f, 2))
        polygons = draw(
            st.lists(st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=9), min_size=1, max_size=3)
        )
        return [[v * (w if i % 2 == 0 else h) for p in poly for i, v in enumerate(p)] for poly in polygons], h, w
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    mask = rng.random((h, w)) < draw(st.floats(0, 1))
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    if kind == "rle":
        return {"size": [h, w], "counts": rle["counts"].decode()}, h, w
    flat = mask.reshape(-1, order="F").astype(np.int8)
    bounds = np.r_[0, np.flatnonzero(np.diff(flat)) + 1, flat.size]
    runs = ([0] if flat[0] else []) + np.diff(bounds).tolist()
    return {"size": [h, w], "counts": runs}, h, w


@settings(max_examples=300, deadline=None)
@given(case=segmentations())
def test_decoding_equals_pycocotools_ann_to_mask(case):
    segmentation, h, w = case
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": w, "height": h}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": segmentation,
                "iscrowd": 0,
                "area": 1,
                "bbox": [0, 0, 1, 1],
            }
        ],
    }
    coco = COCO()
    with contextlib.redirect_stdout(io.StringIO()):
        coco.dataset = data
        coco.createIndex()
    expected = coco.annToMask(coco.anns[1]).astype(bool)
    assert np.array_equal(decode_segmentation(segmentation, h, w), expected)
    assert np.array_equal(CocoDocument.from_data(data).mask(1), expected)
