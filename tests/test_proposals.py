"""Proposals: the filters on hand-made logits, the concept source (SAM 3) and the everything
source (SAM 2.1, SAM 1) on tiny random models, and `interactive-seg propose` end to end."""

import json

import numpy as np
import pytest

from interactive_seg import InputError
from interactive_seg.proposals import Proposal, get_proposer, keep

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sam_models import (
    tiny_sam,
    tiny_sam2_folder,
    tiny_sam3_concept_folder,
    tiny_sam3_folder,
)

from interactive_seg.proposals.everything import Filters, filter_logits, grid_points

pytestmark = pytest.mark.sam


# -- the interface ---------------------------------------------------------------------------
def test_a_proposal_keeps_its_crop_and_gives_the_full_mask_back():
    mask = np.zeros((30, 40), bool)
    mask[5:9, 10:20] = True
    mask[7, 25] = True
    p = Proposal.from_mask(mask, 0.8, "cup", "concept")
    assert p.bbox == (10, 5, 26, 9) and p.crop.shape == (4, 16) and p.area == 41
    assert np.array_equal(p.mask, mask)
    assert Proposal.from_mask(np.zeros((3, 3), bool), 0.9) is None


def test_keep_cuts_by_score_and_area_and_sorts_best_first():
    def square(side, score):
        m = np.zeros((20, 20), bool)
        m[:side, :side] = True
        return Proposal.from_mask(m, score)

    kept = keep([square(2, 0.9), square(5, 0.4), square(6, 0.7), square(8, 0.95)], min_score=0.5, min_area=10)
    assert [(p.area, p.score) for p in kept] == [(64, 0.95), (36, 0.7)]
    with pytest.raises(InputError, match="between 0 and 1"):
        keep([], min_score=2)


# -- the filters on hand-made logits ---------------------------------------------------------------
def _logits(rows, cols, value=8.0, shape=(40, 60)):
    out = np.full(shape, -value, np.float32)
    out[rows, cols] = value
    return out


def _hand_made():
    masks = {
        "A": (_logits(slice(5, 15), slice(5, 15)), 0.95),  # good
        "B": (_logits(slice(5, 15), slice(5, 16)), 0.90),  # A again, a column wider: box IoU 0.91
        "C": (_logits(slice(20, 30), slice(5, 15), 0.5), 0.99),  # logits near 0: unstable
        "D": (_logits(slice(20, 30), slice(20, 30)), 0.50),  # the model doubts it
        "E": (_logits(slice(35, 37), slice(50, 52)), 0.99),  # 4 pixels
        "F": (_logits(slice(20, 35), slice(35, 55)), 0.90),  # good
    }
    names = list(masks)
    return names, np.stack([masks[n][0] for n in names]), np.array([masks[n][1] for n in names], np.float32), masks


def _names(proposals, masks):
    return [next(n for n, (logit, _) in masks.items() if np.array_equal(p.mask, logit > 0)) for p in proposals]


def test_the_filters_keep_exactly_the_masks_that_pass_each_one():
    _, logits, scores, masks = _hand_made()
    kept = filter_logits(logits, scores, Filters(min_area=10))
    assert _names(kept, masks) == ["A", "F"]  # B: NMS, C: stability, D: predicted IoU, E: area
    assert [p.score for p in kept] == pytest.approx([0.95, 0.90])
    assert all(p.source == "everything" for p in kept)


def test_each_filter_alone_lets_its_own_mask_through_when_loosened():
    _, logits, scores, masks = _hand_made()
    assert _names(filter_logits(logits, scores, Filters(min_area=0)), masks) == ["E", "A", "F"]
    assert _names(filter_logits(logits, scores, Filters(min_area=10, nms=1.0)), masks) == ["A", "B", "F"]
    assert _names(filter_logits(logits, scores, Filters(min_area=10, pred_iou=0.4)), masks) == ["A", "F", "D"]
    assert _names(filter_logits(logits, scores, Filters(min_area=10, stability=0.0)), masks) == ["C", "A", "F"]


def test_filters_out_of_range_say_so():
    with pytest.raises(InputError, match="nms filter must lie between 0 and 1"):
        Filters(nms=1.5).checked()
    with pytest.raises(InputError, match="at least 1 point"):
        grid_points(0, 10, 10)


# -- tiny models -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {
        "concept": tiny_sam3_concept_folder(root / "sam3"),
        "sam2": tiny_sam2_folder(root / "sam2"),
        "tracker": tiny_sam3_folder(root / "tracker"),
    }


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    image = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
    image[30:90, 40:120] = (200, 40, 30)
    return image


@pytest.fixture(scope="module")
def concept(folders):
    return get_proposer("concept", model=str(folders["concept"]), device="cpu", threshold=0.0)


def test_concept_proposals_are_sam3s_own_instances_with_their_scores(concept, folders, image):
    found = concept.propose(image, text="cup")
    processor = transformers.Sam3Processor.from_pretrained(str(folders["concept"]))
    model = transformers.Sam3Model.from_pretrained(str(folders["concept"])).eval()
    inputs = processor(images=image, text="cup", return_tensors="pt")
    with torch.inference_mode():
        out = model(**{k: v for k, v in inputs.items() if k != "original_sizes"})
    ref = processor.post_process_instance_segmentation(
        out, threshold=0.0, mask_threshold=0.5, target_sizes=[[120, 160]]
    )[0]
    ref_masks = [m for m in ref["masks"].numpy().astype(bool) if m.any()]
    assert len(found) == len(ref_masks) > 0
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    assert sorted(p.score for p in found) == pytest.approx(
        sorted(float(s) for s, m in zip(ref["scores"], ref["masks"]) if m.any()), abs=1e-6
    )
    best = int(np.argmax([float(s) if m.any() else -1 for s, m in zip(ref["scores"], ref["masks"])]))
    assert np.array_equal(found[0].mask, ref["masks"][best].numpy().astype(bool))
    assert {p.label for p in found} == {"cup"} and {p.source for p in found} == {"concept"}


def test_concept_takes_example_boxes_alone_or_with_a_phrase(concept, image):
    by_box = concept.propose(image, boxes=[(40, 30, 120, 90)])
    both = concept.propose(image, text="red block", boxes=[(40, 30, 120, 90)])
    assert by_box and both
    assert by_box[0].label == "example" and both[0].label == "red block"


def test_concept_bad_requests_say_what_to_do(concept, folders, image):
    with pytest.raises(InputError, match="need a phrase"):
        concept.propose(image, text="  ")
    with pytest.raises(InputError, match="outside the 160 x 120 image"):
        concept.propose(image, text="cup", boxes=[(200, 10, 220, 30)])
    with pytest.raises(InputError, match="not a SAM 3 concept model"):
        get_proposer("concept", model=str(folders["tracker"]), device="cpu")
    with pytest.raises(InputError, match="need a SAM 3 model"):
        get_proposer("concept", model="sam2.1_hiera_tiny", device="cpu")


def test_concept_model_not_downloaded_says_how(tmp_path):
    with pytest.raises(InputError, match="interactive-seg models download sam3"):
        get_proposer("concept", model="sam3", device="cpu", cache_dir=tmp_path)


def test_everything_with_sam2_is_the_engines_own_prompt_path_over_the_grid(folders, image, tmp_path):
    loose = Filters(pred_iou=0.0, stability=0.0, nms=1.0)
    proposer = get_proposer(
        "everything",
        model_type=str(folders["sam2"]),
        device="cpu",
        points_per_side=2,
        filters=loose,
        cache_dir=tmp_path,
    )
    steps = []
    found = proposer.propose(image, progress=steps.append)
    assert steps[-1] == 1.0
    assert len(found) == 4 * 3  # every mask of every point: nothing filtered
    from interactive_seg import Prompts

    engine = proposer.engine
    for x, y in grid_points(2, 160, 120):
        engine.reset()
        best = engine.segment(
            Prompts(points=[(float(x) + 0.5, float(y) + 0.5)], point_labels=[1])
        ).mask  # the core's pixel centres
        ious = [np.count_nonzero(best & p.mask) / max(1, np.count_nonzero(best | p.mask)) for p in found]
        assert max(ious) > 0.99
    strict = get_proposer(
        "everything",
        engine=engine,
        points_per_side=2,
        filters=Filters(pred_iou=0.0, stability=0.0, nms=0.7, min_area=2000),
    )
    fewer = strict.propose(image)
    assert len(fewer) < len(found) and all(p.area >= 2000 for p in fewer)


def test_everything_with_sam1_runs_segment_anythings_generator(image):
    pytest.importorskip("segment_anything")
    from interactive_seg.engines.sam import SamEngine

    engine = SamEngine(model=tiny_sam(img_size=256), device="cpu", disk_cache=False)
    found = get_proposer(
        "everything", engine=engine, points_per_side=2, filters=Filters(pred_iou=0.0, stability=0.0, min_area=50)
    ).propose(image)
    assert found and all(p.area >= 50 and 0.0 <= p.info["stability"] <= 1.0 for p in found)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)


# -- the command line ---------------------------------------------------------------------------------
def _cli(*argv):
    from interactive_seg.cli import main

    return main([str(a) for a in argv])


@pytest.fixture
def photo(tmp_path, image):
    import cv2

    path = tmp_path / "street.png"
    cv2.imwrite(str(path), image[..., ::-1])
    return path


def test_propose_writes_results_that_pycocotools_loads_onto_its_dataset(folders, photo, tmp_path):
    from pycocotools.coco import COCO

    results, data = tmp_path / "cars.json", tmp_path / "cars.coco.json"
    base = [
        "propose",
        photo,
        "--text",
        "car",
        "--model",
        folders["concept"],
        "--device",
        "cpu",
        "--min-score",
        "0",
        "-q",
    ]
    assert _cli(*base, "--out", results) == 0
    assert _cli(*base, "--out", data, "--as-dataset") == 0
    detections = json.loads(results.read_text())
    assert detections and all(0.0 <= d["score"] <= 1.0 and d["image_id"] == 1 for d in detections)
    coco = COCO(str(data))
    assert coco.cats[1]["name"] == "car" and coco.imgs[1]["file_name"] == "street.png"
    loaded = coco.loadRes(str(results))
    assert len(loaded.anns) == len(detections) == len(coco.anns)
    record = coco.anns[1]["interactive_seg"]
    assert record["engine"]["name"] == "propose-concept" and record["review"] == {"state": "unreviewed"}
    from interactive_seg.provenance import has_prompts, validate

    validate(record, shape=(120, 160))
    assert not has_prompts(coco.anns[1])  # not replayable through an engine's prompts
    assert _cli(*base, "--out", data, "--as-dataset") == 0  # its own output again: written over, as asked
    # a folder's session file given as --out was replaced by the proposals: its objects lost
    import interactive_seg as iseg

    mine = tmp_path / "mine.json"
    iseg.add_to_coco(mine, "street.png", 160, 120, [iseg.CocoObject(np.ones((120, 160), bool), "road")])
    before = mine.read_bytes()
    assert _cli(*base, "--out", mine, "--as-dataset") == 2
    assert mine.read_bytes() == before


def test_propose_everything_on_a_folder_names_each_image(folders, photo, tmp_path, image):
    import cv2

    (tmp_path / "more").mkdir()
    cv2.imwrite(str(tmp_path / "more" / "b.png"), image[::-1, :, ::-1])
    out = tmp_path / "all.json"
    status = _cli(
        "propose",
        tmp_path,
        "--everything",
        "--model",
        folders["sam2"],
        "--device",
        "cpu",
        "--points-per-side",
        "2",
        "--pred-iou",
        "0",
        "--stability",
        "0",
        "--out",
        out,
        "--as-dataset",
        "--workers",
        "0",
        "--cache-dir",
        tmp_path / "cache",
        "-q",
    )
    assert status == 0
    data = json.loads(out.read_text())
    assert [i["file_name"] for i in data["images"]] == ["more/b.png", "street.png"]
    assert {a["image_id"] for a in data["annotations"]} == {1, 2}
    assert data["categories"] == [{"id": 1, "name": "object", "supercategory": ""}]


@pytest.mark.parametrize("case", ["not an image", "empty phrase", "no model", "nothing asked", "everything and text"])
def test_propose_bad_input_exits_2_with_one_sentence_and_writes_nothing(case, folders, photo, tmp_path, capsys):
    out = tmp_path / "out.json"
    model = ["--model", folders["concept"], "--device", "cpu"]
    argv = {
        "not an image": [tmp_path / "notes.png", "--text", "car", *model],
        "empty phrase": [photo, "--text", " ", *model],
        "no model": [photo, "--text", "car", "--cache-dir", tmp_path / "empty", "--device", "cpu"],
        "nothing asked": [photo, *model],
        "everything and text": [photo, "--everything", "--text", "car"],
    }[case]
    (tmp_path / "notes.png").write_text("not a picture")
    assert _cli("propose", *argv, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not out.exists()
