"""COCO files shaped like the ones real tools write, for the tests (not a test module).

Each maker returns ``(data, sizes)``: the parsed JSON and ``{file_name: (height, width)}``.
Shapes follow the tools' documented or observed output: pycocotools / the COCO dataset
itself (RLE with string counts, crowd objects as uncompressed RLE with ``iscrowd`` 1,
several polygons per object, very large crowd ids), CVAT ("COCO 1.0": ``attributes`` on
every annotation, licenses with id 0, ``flickr_url``/``coco_url``/``date_captured``),
Label Studio (ids from 0, ``file_name`` in an ``images/`` folder, ``ignore`` keys),
supervision (``DetectionDataset.as_coco``: polygons whose ``area`` is the mask's pixel
count, masks with holes as crowd RLE; a real file is in ``tests/data``), detection exports
(box-only annotations) and string ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

DATA = Path(__file__).parent / "data"
SUPERVISION_FILE = DATA / "supervision_0.31.2_as_coco.json"


def covered(file_name="a.png") -> dict:
    """A wheel listed before the car that covers it wholly, on a 40 x 30 image (overlapping
    objects, as COCO and CVAT files have them): a label image cannot show the wheel."""
    return {
        "images": [{"id": 1, "file_name": file_name, "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "wheel"}, {"id": 2, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[10, 10, 15, 10, 15, 15, 10, 15]],
             "area": 25, "bbox": [10, 10, 5, 5], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 2, "segmentation": [[2, 2, 38, 2, 38, 28, 2, 28]],
             "area": 936, "bbox": [2, 2, 36, 26], "iscrowd": 0},
        ],
    }  # fmt: skip


def blob(rng, height, width, hole=False) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    cx, cy = int(rng.integers(width // 4, 3 * width // 4)), int(rng.integers(height // 4, 3 * height // 4))
    cv2.ellipse(
        mask,
        (cx, cy),
        (int(rng.integers(3, width // 3)), int(rng.integers(3, height // 3))),
        float(rng.integers(180)),
        0,
        360,
        1,
        -1,
    )
    if hole:
        cv2.circle(mask, (cx, cy), 2, 0, -1)
    return mask.astype(bool)


def rle_string(mask) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def rle_list(mask) -> dict:
    """Uncompressed RLE (column-major runs starting with background), as COCO's crowd objects."""
    flat = mask.astype(np.uint8).reshape(-1, order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.r_[0, changes, flat.size]
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0] + runs
    return {"counts": [int(r) for r in runs], "size": [int(v) for v in mask.shape]}


def star(rng, height, width, points=8, inside=True) -> list:
    """A random star-shaped polygon (x, y, ...) with two decimals, within the image when ``inside``."""
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
    angles = np.sort(rng.uniform(0, 2 * np.pi, points))
    radius = rng.uniform(0.15, 0.45, points) * min(width, height)
    xs, ys = cx + radius * np.cos(angles), cy + radius * np.sin(angles)
    if inside:
        xs, ys = np.clip(xs, 0, width), np.clip(ys, 0, height)
    return [round(float(v), 2) for v in np.column_stack([xs, ys]).reshape(-1)]


def polygon_fields(polygons) -> dict:
    """area and bbox as polygon tools store them: the polygons' own area (shoelace) and extent."""
    area, xs, ys = 0.0, [], []
    for poly in polygons:
        x, y = np.array(poly[0::2]), np.array(poly[1::2])
        area += 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
        xs += x.tolist()
        ys += y.tolist()
    return {
        "area": round(area, 2),
        "bbox": [min(xs), min(ys), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)],
    }


def mask_fields(mask) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"area": float(mask_utils.area(rle)), "bbox": [float(v) for v in mask_utils.toBbox(rle)]}


def pycocotools_style(seed=0):
    """The COCO dataset's own shape: info and licenses, images with urls, RLE, crowds, several polygons."""
    rng = np.random.default_rng(seed)
    data = {
        "info": {
            "description": "COCO-like",
            "url": "http://example.org",
            "version": "1.0",
            "year": 2017,
            "contributor": "x",
            "date_created": "2017/09/01",
        },
        "licenses": [{"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4, "name": "Attribution License"}],
        "images": [],
        "annotations": [],
        "categories": [
            {"supercategory": "animal", "id": 17, "name": "cat"},
            {"supercategory": "person", "id": 1, "name": "person"},
        ],
    }
    sizes = {}
    ann_id = 1768
    for n, image_id in enumerate((397133, 37777, 252219)):
        h, w = int(rng.integers(40, 70)), int(rng.integers(50, 90))
        name = f"000000{image_id:06d}.jpg"
        sizes[name] = (h, w)
        data["images"].append(
            {
                "license": 4,
                "file_name": name,
                "coco_url": f"http://images.cocodataset.org/val2017/{name}",
                "height": h,
                "width": w,
                "date_captured": "2013-11-14 17:02:52",
                "flickr_url": "http://farm7.staticflickr.com/x.jpg",
                "id": image_id,
            }
        )
        polys = [star(rng, h, w, 6), star(rng, h, w, 5)]
        data["annotations"].append(
            {
                "segmentation": polys,
                **polygon_fields(polys),
                "iscrowd": 0,
                "image_id": image_id,
                "category_id": 1,
                "id": ann_id,
            }
        )
        ann_id += 1
        mask = blob(rng, h, w)
        data["annotations"].append(
            {
                "segmentation": rle_string(mask),
                **mask_fields(mask),
                "iscrowd": 0,
                "image_id": image_id,
                "category_id": 17,
                "id": ann_id,
            }
        )
        ann_id += 1
        crowd = blob(rng, h, w, hole=True)
        data["annotations"].append(
            {
                "segmentation": rle_list(crowd),
                **mask_fields(crowd),
                "iscrowd": 1,
                "image_id": image_id,
                "category_id": 1,
                "id": 900100000000 + n,
            }
        )
    return data, sizes


def cvat_style(seed=1):
    """CVAT's "COCO 1.0" export: attributes on every annotation, empty-string metadata, crowd masks as RLE."""
    rng = np.random.default_rng(seed)
    data = {
        "licenses": [{"name": "", "id": 0, "url": ""}],
        "info": {"contributor": "", "date_created": "", "description": "", "url": "", "version": "", "year": ""},
        "categories": [{"id": 1, "name": "car", "supercategory": ""}, {"id": 2, "name": "tree", "supercategory": ""}],
        "images": [],
        "annotations": [],
    }
    sizes = {}
    ann_id = 1
    for i in range(1, 4):
        h, w = int(rng.integers(40, 70)), int(rng.integers(50, 90))
        name = f"frame_{i:06d}.PNG"
        sizes[name] = (h, w)
        data["images"].append(
            {
                "id": i,
                "width": w,
                "height": h,
                "file_name": name,
                "license": 0,
                "flickr_url": "",
                "coco_url": "",
                "date_captured": 0,
            }
        )
        for k in range(2):
            poly = [star(rng, h, w, 7)]
            data["annotations"].append(
                {
                    "id": ann_id,
                    "image_id": i,
                    "category_id": 1 + k,
                    "segmentation": poly,
                    **polygon_fields(poly),
                    "iscrowd": 0,
                    "attributes": {"occluded": bool(k), "rotation": 0.0},
                }
            )
            ann_id += 1
        mask = blob(rng, h, w, hole=True)
        data["annotations"].append(
            {
                "id": ann_id,
                "image_id": i,
                "category_id": 2,
                "segmentation": rle_list(mask),
                **mask_fields(mask),
                "iscrowd": 1,
                "attributes": {"occluded": False},
            }
        )
        ann_id += 1
    return data, sizes


def label_studio_style(seed=2):
    """Label Studio's COCO export: ids from 0, images in an images/ folder, polygons, ``ignore`` keys."""
    rng = np.random.default_rng(seed)
    data = {
        "images": [],
        "categories": [{"id": 0, "name": "Airplane"}, {"id": 1, "name": "Car"}],
        "annotations": [],
        "info": {
            "year": 2024,
            "version": "1.0",
            "description": "",
            "contributor": "Label Studio",
            "url": "",
            "date_created": "2024-05-02 10:11:12.123456",
        },
    }
    sizes = {}
    ann_id = 0
    for i in range(3):
        h, w = int(rng.integers(40, 70)), int(rng.integers(50, 90))
        name = f"images/{i:02x}a1b2c3-photo_{i}.jpg"
        sizes[name] = (h, w)
        data["images"].append({"width": w, "height": h, "id": i, "file_name": name})
        for k in range(2):
            poly = [star(rng, h, w, 9)]
            data["annotations"].append(
                {
                    "id": ann_id,
                    "image_id": i,
                    "category_id": k,
                    "segmentation": poly,
                    **polygon_fields(poly),
                    "ignore": 0,
                    "iscrowd": 0,
                }
            )
            ann_id += 1
    return data, sizes


def string_ids_style(seed=3):
    """Ids that are strings everywhere (used consistently), as some exporters write."""
    rng = np.random.default_rng(seed)
    data = {
        "images": [],
        "annotations": [],
        "categories": [{"id": "c-cat", "name": "cat"}, {"id": "c-dog", "name": "dog"}],
    }
    sizes = {}
    for i in range(2):
        h, w = int(rng.integers(40, 70)), int(rng.integers(50, 90))
        name = f"sub dir/c{i}.png"
        sizes[name] = (h, w)
        data["images"].append({"id": f"img-{i}", "file_name": name, "width": w, "height": h})
        for k in range(2):
            mask = blob(rng, h, w)
            data["annotations"].append(
                {
                    "id": f"ann-{i}-{k}",
                    "image_id": f"img-{i}",
                    "category_id": ["c-cat", "c-dog"][k],
                    "segmentation": rle_string(mask),
                    **mask_fields(mask),
                    "iscrowd": 0,
                }
            )
    return data, sizes


def detection_style(seed=4):
    """A detection export: box-only annotations (``segmentation`` [] or missing) beside masks."""
    rng = np.random.default_rng(seed)
    data = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "person", "supercategory": "none"}]}
    sizes = {}
    for i in range(1, 3):
        h, w = int(rng.integers(40, 70)), int(rng.integers(50, 90))
        name = f"det_{i}.jpg"
        sizes[name] = (h, w)
        data["images"].append({"id": i, "file_name": name, "width": w, "height": h})
        data["annotations"].append(
            {
                "id": 10 * i,
                "image_id": i,
                "category_id": 1,
                "bbox": [2.0, 3.0, 10.5, 12.25],
                "area": 128.625,
                "segmentation": [],
                "iscrowd": 0,
            }
        )
        data["annotations"].append(
            {"id": 10 * i + 1, "image_id": i, "category_id": 1, "bbox": [5, 5, 8, 8], "area": 64, "iscrowd": 0}
        )
        for k in (2, 3):
            mask = blob(rng, h, w)
            data["annotations"].append(
                {
                    "id": 10 * i + k,
                    "image_id": i,
                    "category_id": 1,
                    "segmentation": rle_string(mask),
                    **mask_fields(mask),
                    "iscrowd": 0,
                }
            )
    return data, sizes


def supervision_style(seed=5):
    """supervision's ``DetectionDataset.as_coco`` shape, written here (the real package is not needed)."""
    rng = np.random.default_rng(seed)
    data = {
        "info": {},
        "licenses": [{"id": 1, "url": "https://creativecommons.org/licenses/by/4.0/", "name": "CC BY 4.0"}],
        "categories": [
            {"id": 1, "name": "cat", "supercategory": "common-objects"},
            {"id": 2, "name": "dog", "supercategory": "common-objects"},
        ],
        "images": [],
        "annotations": [],
    }
    sizes = {}
    for i in range(1, 3):
        h, w = int(rng.integers(40, 70)), int(rng.integers(50, 90))
        name = f"im{i}.png"
        sizes[name] = (h, w)
        data["images"].append(
            {"id": i, "license": 1, "file_name": name, "height": h, "width": w, "date_captured": "11/23/2026,12:15:50"}
        )
        for k, hole in enumerate((False, True)):
            mask = blob(rng, h, w, hole=hole)
            fields = mask_fields(mask)
            bbox = [
                fields["bbox"][0],
                fields["bbox"][1],
                fields["bbox"][2] - 1,
                fields["bbox"][3] - 1,
            ]  # xyxy of pixels
            if hole:
                segmentation, crowd = rle_list(mask), 1
            else:
                contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
                segmentation, crowd = [[int(v) for v in c.reshape(-1)] for c in contours if len(c) >= 3], 0
            data["annotations"].append(
                {
                    "id": len(data["annotations"]) + 1,
                    "image_id": i,
                    "category_id": 1 + k,
                    "bbox": bbox,
                    "area": fields["area"],
                    "segmentation": segmentation,
                    "iscrowd": crowd,
                }
            )
    return data, sizes


def supervision_file():
    """The file a real supervision 0.31.2 wrote (tests/data), with its images' sizes."""
    data = json.loads(SUPERVISION_FILE.read_text())
    return data, {im["file_name"]: (im["height"], im["width"]) for im in data["images"]}


STYLES = {
    "pycocotools": pycocotools_style,
    "cvat": cvat_style,
    "label_studio": label_studio_style,
    "string_ids": string_ids_style,
    "detection": detection_style,
    "supervision_shape": supervision_style,
    "supervision_real": supervision_file,
}


def write_dataset(folder: Path, data: dict, sizes: dict, name="annotations.json") -> Path:
    """The COCO file (indented, as most tools write) and a grey PNG/JPEG of the right size per image."""
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, (h, w) in sizes.items():
        path = folder / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        image = np.full((h, w, 3), 100, np.uint8)
        image[:, : w // 2] = (30, 160, 200)
        ok, buffer = cv2.imencode(path.suffix.lower() if path.suffix.lower() in (".png", ".jpg") else ".png", image)
        path.write_bytes(buffer.tobytes())
    target = folder / name
    target.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return target
