"""Batch jobs on dask.distributed: boxes to masks, embeddings ahead, folder exports.

A real LocalCluster (2 processes, 1 thread each) serves most tests; one test starts its own
from the command line (the no-setup default), and one starts `dask scheduler` and two
`dask worker` processes and kills one of them mid-batch. Images are small synthetic
scenes; SAM runs a random 256-pixel model (tests/batch_tiny_sam.py) loaded from a
checkpoint the test saves.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

import interactive_seg as iseg  # noqa: E402
from conftest import disc_scene  # noqa: E402
from interactive_seg import provenance as pv  # noqa: E402
from interactive_seg.batch import embed_folder, export_folder, masks_from_boxes  # noqa: E402
from interactive_seg.batch import worker as worker_side  # noqa: E402
from interactive_seg.cli import main  # noqa: E402
from interactive_seg.coco import CocoDocument  # noqa: E402
from interactive_seg.errors import InputError  # noqa: E402

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
N_IMAGES = 6


# -- data -----------------------------------------------------------------------------------
def scene(seed: int):
    """A disc and a green square on a textured background; (image, disc bbox, square bbox) as COCO [x, y, w, h]."""
    image, truth = disc_scene(height=120, width=160, centre=(50 + 4 * seed, 60), radius=24 + seed, seed=seed)
    image[20:60, 110:150] = (40, 200, 60)
    ys, xs = np.nonzero(truth)
    disc = [float(xs.min() - 4), float(ys.min() - 4), float(np.ptp(xs) + 9), float(np.ptp(ys) + 9)]
    return image, disc, [105.0, 15.0, 50.0, 50.0]


def make_dataset(folder: Path, n: int = N_IMAGES) -> Path:
    """``folder/images/im<i>.png`` and ``folder/boxes.json``: two boxes per image, plus records that must be kept as they are."""
    (folder / "images").mkdir(parents=True)
    images, anns = [], []
    for i in range(n):
        image, disc, square = scene(i)
        iseg.write_image(folder / "images" / f"im{i}.png", image)
        images.append({"id": 100 + i, "file_name": f"im{i}.png", "width": 160, "height": 120, "license": 1})
        anns.append(
            {
                "id": 10 * i + 1,
                "image_id": 100 + i,
                "category_id": 7,
                "bbox": disc,
                "iscrowd": 0,
                "attributes": {"seen": i},
            }
        )
        anns.append({"id": 10 * i + 2, "image_id": 100 + i, "category_id": 3, "bbox": square, "area": 2500.0})
    # first in the file, a square with a mask already (kept unless --redo: it is image 0's square-1);
    # last, an annotation without a bbox (never touched)
    done = np.zeros((120, 160), np.uint8)
    done[5:15, 5:25] = 1
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(done))
    anns.insert(
        0,
        {
            "id": 500,
            "image_id": 100,
            "category_id": 3,
            "bbox": [5.0, 5.0, 20.0, 10.0],
            "segmentation": {"size": [120, 160], "counts": rle["counts"].decode()},
            "area": 200.0,
            "iscrowd": 0,
        },
    )
    anns.append({"id": 501, "image_id": 101, "category_id": 7, "keypoints": [1, 2, 2]})
    data = {
        "info": {"description": "boxes", "year": 2026},
        "licenses": [{"id": 1, "name": "CC0"}],
        "images": images,
        "annotations": anns,
        "categories": [{"id": 7, "name": "disc", "supercategory": "shape"}, {"id": 3, "name": "square"}],
    }
    (folder / "boxes.json").write_text(json.dumps(data))
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("batch") / "data")


@pytest.fixture(scope="module")
def reference(data, tmp_path_factory):
    """The output of a run in this process, without dask: what every cluster run must equal byte for byte."""
    out = tmp_path_factory.mktemp("reference") / "masks.json"
    report = masks_from_boxes(data / "boxes.json", data / "images", out, workers=0, progress=False)
    assert report.ok, report.summary()
    return out


@pytest.fixture(scope="module")
def cluster():
    """A real LocalCluster of 2 worker processes with 1 thread each, shared by the tests of this module."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local.scheduler_address


def worker_states(address):
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        return client.run(worker_side.state)


@pytest.fixture(scope="module")
def micro_checkpoint(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("segment_anything")
    from batch_tiny_sam import micro_sam

    path = tmp_path_factory.mktemp("sam") / "micro.pth"
    torch.save(micro_sam().state_dict(), path)
    return path


def same_file(a, b, *, provenance: bool = True) -> bool:
    """Two COCO files are the same, byte for byte, but for the times their provenance records
    were made (and, with ``provenance`` False, but for the records: another engine made them)."""
    if not provenance:
        a, b = (json.loads(Path(p).read_text()) for p in (a, b))
        for data in (a, b):
            for ann in data["annotations"]:
                ann.pop(pv.KEY, None)
        return a == b
    created = re.compile(rb'"created": ?"[^"]*"')
    return created.sub(b"", Path(a).read_bytes()) == created.sub(b"", Path(b).read_bytes())


def cli(*args):
    return main([str(a) for a in args])


# -- boxes to masks -----------------------------------------------------------------------------
def test_masks_equal_the_single_image_api_and_the_rest_is_kept(data, reference):
    before = json.loads((data / "boxes.json").read_text())
    after = json.loads(reference.read_text())
    doc = CocoDocument.open(reference)
    assert after["info"] == before["info"] and after["licenses"] == before["licenses"]
    assert after["images"] == before["images"] and after["categories"] == before["categories"]
    assert [a["id"] for a in after["annotations"]] == [a["id"] for a in before["annotations"]]
    old = {a["id"]: a for a in before["annotations"]}
    for ann in after["annotations"]:
        if ann["id"] in (500, 501):
            assert ann == old[ann["id"]]  # a mask already there, an annotation without a box: untouched
            continue
        image_record = doc.image(ann["image_id"])
        image = iseg.read_image(data / "images" / image_record["file_name"])
        x, y, w, h = old[ann["id"]]["bbox"]
        expected = iseg.segment(image, box=(x, y, x + w, y + h))
        assert np.array_equal(doc.mask(ann["id"]), expected)
        x0, y0, x1, y1 = iseg.masks.bbox(expected)
        assert ann["bbox"] == [x0, y0, x1 - x0, y1 - y0]  # the mask's own box, as COCO has it
        x, y, w, h = old[ann["id"]]["bbox"]
        assert pv.record_of(ann)["prompts"]["box"] == [x, y, x + w, y + h]  # the box given, kept as the prompt
        assert ann["area"] == float(expected.sum())
        assert {k: v for k, v in ann.items() if k not in ("segmentation", "area", "bbox", pv.KEY)} == {
            k: v for k, v in old[ann["id"]].items() if k not in ("area", "bbox")
        }
        record = pv.record_of(ann)  # how the mask was made: the box, the engine, the image
        assert pv.read_prompts(record).box == (x, y, x + w, y + h) and record["engine"]["name"] == "grabcut"
        assert record["image"] == pv.image_record(image) and record["review"] == {"state": "unreviewed"}


def test_masks_output_passes_check_strict_and_redo_prompts_from_the_box_given(data, reference, tmp_path, capsys):
    """bbox and area are the masks' own (check --strict finds nothing); a --redo on that output
    segments from the box kept under "interactive_seg", not from the mask's tighter bbox."""
    assert cli("check", reference, "--strict") == 0
    assert "No problems" in capsys.readouterr().out
    again = tmp_path / "again.json"
    assert (
        cli(
            "batch",
            "masks",
            "--coco",
            reference,
            "--images",
            data / "images",
            "--out",
            again,
            "--redo",
            "--workers",
            0,
            "-q",
        )
        == 0
    )
    first, second = CocoDocument.open(reference), CocoDocument.open(again)
    made = [a["id"] for a in first.annotations() if "interactive_seg" in a]
    assert len(made) == 2 * N_IMAGES
    for ann_id in made:
        a, b = first.annotation(ann_id), second.annotation(ann_id)
        assert {k: v for k, v in b.items() if k != pv.KEY} == {k: v for k, v in a.items() if k != pv.KEY}
        assert pv.record_of(b)["prompts"] == pv.record_of(a)["prompts"]  # the same box prompted again
        assert pv.record_of(b)["history"][0]["engine"] == pv.record_of(a)["engine"]  # the first run kept as history


def test_local_cluster_from_the_command_line(data, reference, tmp_path, capsys):
    """The default: no scheduler given, a local cluster of worker processes is started and closed."""
    out = tmp_path / "cli.json"
    assert (
        cli("batch", "masks", "--coco", data / "boxes.json", "--images", data / "images", "--out", out, "--workers", 2)
        == 0
    )
    assert same_file(out, reference)
    assert not (tmp_path / "cli.json.parts").exists()  # every image succeeded: the work folder is gone
    printed = capsys.readouterr()
    assert f"{N_IMAGES} images: {N_IMAGES} computed" in printed.out and "on 2 workers" in printed.out
    assert f"{N_IMAGES}/{N_IMAGES} images" in printed.err  # the progress bar


def test_where_a_job_runs_is_one_cluster_value_or_its_fields_as_keywords(data, reference, tmp_path):
    """A Cluster given as ``cluster=`` runs the job as its fields given as keywords do; keywords
    lie over it; a name that is no field is refused as Python refuses an unknown keyword."""
    from interactive_seg.batch import Cluster
    from interactive_seg.cli import build_parser
    from interactive_seg.cli.common import cluster as cluster_of

    here = Cluster(workers=0, threads=1)
    report = masks_from_boxes(data / "boxes.json", data / "images", tmp_path / "a.json", cluster=here, progress=False)
    assert report.ok and report.workers == 0 and same_file(tmp_path / "a.json", reference)
    # workers=0 on top of a cluster that asks for two local workers: this process
    report = masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "b.json", cluster=Cluster(workers=2), workers=0, progress=False
    )
    assert report.ok and report.workers == 0 and same_file(tmp_path / "b.json", reference)
    assert Cluster.given(here, preload=["m"]) == Cluster(workers=0, threads=1, preload=("m",))
    with pytest.raises(TypeError, match="'worker'"):
        masks_from_boxes(data / "boxes.json", data / "images", tmp_path / "c.json", worker=0, progress=False)
    with pytest.raises(InputError, match="Cluster"):
        masks_from_boxes(data / "boxes.json", data / "images", tmp_path / "c.json", cluster={"workers": 0})
    assert not (tmp_path / "c.json").exists()
    # detections with --out the --coco file: refused (its annotations are not carried over: they were gone)
    before = (data / "boxes.json").read_bytes()
    (tmp_path / "dets.json").write_text("[]")
    with pytest.raises(InputError, match="--out is --coco, whose annotations"):
        masks_from_boxes(data / "boxes.json", data / "images", data / "boxes.json", results=tmp_path / "dets.json",
                         workers=0, progress=False)  # fmt: skip
    assert (data / "boxes.json").read_bytes() == before
    # the command line reads its flags into one Cluster
    args = build_parser().parse_args(
        ["batch", "masks", "--coco", "c.json", "--images", "i", "--out", "o.json", "--workers", "3", "--threads", "2"]
        + ["--preload", "m1", "--preload", "m2", "--scheduler", "tcp://h:1", "--connect-timeout", "5"]
    )
    assert cluster_of(args) == Cluster(
        scheduler="tcp://h:1", workers=3, threads=2, preload=("m1", "m2"), connect_timeout=5.0
    )


def test_zero_one_two_or_n_workers_give_the_same_file(data, reference, cluster, tmp_path, monkeypatch):
    here = iseg.batch.masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "here.json", workers=0, threads=1, progress=False
    )
    one = masks_from_boxes(data / "boxes.json", data / "images", tmp_path / "one.json", workers=1, progress=False)
    three = masks_from_boxes(data / "boxes.json", data / "images", tmp_path / "three.json", workers=3, progress=False)

    def no_pixels_here(*args, **kwargs):
        raise AssertionError("the client read an image: the workers must")

    # the workers read the images: this process (the client) never does on a cluster
    monkeypatch.setattr("interactive_seg.files.read_image", no_pixels_here)
    monkeypatch.setattr("interactive_seg.batch.masks.read_image", no_pixels_here)
    two = masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "two.json", scheduler=cluster, progress=False
    )
    assert here.ok and one.ok and two.ok and three.ok, (one.summary(), two.summary(), three.summary())
    assert (here.workers, one.workers, two.workers, three.workers) == (0, 1, 2, 3)
    for name in ("here", "one", "two", "three"):
        assert same_file((tmp_path / f"{name}.json"), reference), name
    assert two.counts == {"masks": 2 * N_IMAGES}


def test_the_scheduler_address_from_the_environment(data, reference, cluster, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster)
    out = tmp_path / "env.json"
    assert cli("batch", "masks", "--coco", data / "boxes.json", "--images", data / "images", "--out", out) == 0
    assert "on 2 workers" in capsys.readouterr().out  # the running cluster's, not a local one of its own
    assert same_file(out, reference)
    here = masks_from_boxes(data / "boxes.json", data / "images", tmp_path / "here.json", workers=0, progress=False)
    assert here.workers == 0  # workers=0 still means this process
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:1")
    assert (
        cli(
            "batch",
            "masks",
            "--coco",
            data / "boxes.json",
            "--images",
            data / "images",
            "--out",
            tmp_path / "no.json",
            "--connect-timeout",
            1,
        )
        == 2
    )
    assert "Cannot reach the dask scheduler at tcp://127.0.0.1:1" in capsys.readouterr().err
    assert not (tmp_path / "no.json").exists() and not (tmp_path / "no.json.parts").exists()


def test_engines_are_built_once_per_worker(data, cluster, tmp_path):
    options = {"iterations": 4}  # an engine no other test builds
    before = worker_states(cluster)
    first = masks_from_boxes(
        data / "boxes.json",
        data / "images",
        tmp_path / "a.json",
        engine_options=options,
        scheduler=cluster,
        progress=False,
    )
    middle = worker_states(cluster)
    masks_from_boxes(
        data / "boxes.json",
        data / "images",
        tmp_path / "b.json",
        engine_options=options,
        scheduler=cluster,
        progress=False,
        work=tmp_path / "w",
    )
    after = worker_states(cluster)
    assert first.ok and first.images == N_IMAGES > 2
    for address in before:
        assert middle[address]["loads"] - before[address]["loads"] <= 1  # one engine per worker, not per task
        assert after[address]["loads"] == middle[address]["loads"]  # and kept for the next batch
        assert middle[address]["threads"] == max(
            1, worker_side.available_cores() // 2
        )  # 2 workers on this machine's 2 cores: one OpenCV/torch thread each
    assert sum(first.timings["engine_builds"].values()) <= 2


def test_detections_in_the_results_format(data, tmp_path, capsys):
    dets = [
        {"image_id": 101, "category_id": 3, "bbox": [105, 15, 50, 50], "score": 0.9},
        {"image_id": 100, "category_id": 7, "bbox": scene(0)[1], "score": 0.8, "track": "a"},
        {"image_id": 100, "category_id": 3, "bbox": [105, 15, 50, 50], "score": 0.2},  # below --min-score
        {"image_id": 102, "category_id": 7, "bbox": [400, 300, 20, 20], "score": 0.7},  # off its image
        {"image_id": 102, "category_id": 7, "bbox": scene(2)[1], "score": 0.6},
    ]
    (tmp_path / "dets.json").write_text(json.dumps(dets))
    out = tmp_path / "dets_masks.json"
    code = cli(
        "batch",
        "masks",
        "--coco",
        data / "boxes.json",
        "--results",
        tmp_path / "dets.json",
        "--min-score",
        0.5,
        "--images",
        data / "images",
        "--out",
        out,
        "--workers",
        0,
        "-q",
    )
    assert code == 1  # one detection failed; the rest are done
    printed = capsys.readouterr()
    err = printed.err
    assert "im2.png, detection 3: The box [400, 300, 20, 20] lies outside the image (160 x 120 pixels)" in err
    assert (
        printed.out == "" and " images, " not in err and "1 failed:" in err
    )  # -q: no progress bar, no summary, the failures
    doc = CocoDocument.open(out)
    anns = doc.annotations()
    assert [a["id"] for a in anns] == [1, 2, 4]  # numbered in file order of the detections kept
    assert [a["score"] for a in anns] == [0.9, 0.8, 0.6] and anns[1]["track"] == "a"
    assert [a["category_id"] for a in anns] == [3, 7, 7] and [a["image_id"] for a in anns] == [101, 100, 102]
    assert doc.get("info") == {"description": "boxes", "year": 2026} and len(doc.images) == N_IMAGES
    image = iseg.read_image(data / "images" / "im1.png")
    assert np.array_equal(doc.mask(1), iseg.segment(image, box=(105, 15, 155, 65)))
    # a --min-score no detection reaches (2 for scores from 0 to 1) wrote an empty dataset, exit 0
    args = ("batch", "masks", "--coco", data / "boxes.json", "--results", tmp_path / "dets.json", "--min-score", 2)
    assert cli(*args, "--images", data / "images", "--out", tmp_path / "none.json", "--workers", 0, "-q") == 2
    assert "scores at least --min-score 2 (the highest scores 0.9)" in capsys.readouterr().err
    assert not (tmp_path / "none.json").exists()


def test_cutouts_are_named_and_made_as_export_makes_them(data, tmp_path):
    report = masks_from_boxes(
        data / "boxes.json",
        data / "images",
        tmp_path / "m.json",
        cutouts=tmp_path / "cut",
        cutout_options={"background": "blur", "crop": True, "padding": 3},
        workers=0,
        progress=False,
    )
    assert report.counts == {"masks": 2 * N_IMAGES, "cutouts": 2 * N_IMAGES}
    names = sorted(p.name for p in (tmp_path / "cut").iterdir())
    # image 0 already had a square with a mask (annotation 500, first in the file): the new square is its second
    assert "im0_square-2.png" in names and "im0_disc-1.png" in names and "im1_square-1.png" in names
    assert "im0_square-1.png" not in names and len(names) == 2 * N_IMAGES
    doc = CocoDocument.open(tmp_path / "m.json")
    image = iseg.read_image(data / "images" / "im0.png")
    expected = iseg.cutout(image, doc.mask(2), background="blur", crop=True, padding=3)
    assert np.array_equal(iseg.read_image(tmp_path / "cut" / "im0_square-2.png"), expected)


# -- resuming ----------------------------------------------------------------------------------
def _env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(ROOT), env.get("PYTHONPATH", "")])
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _wait_for_parts(work: Path, count: int, process, limit: float = 60.0) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = len(list(work.glob("*.part.npz"))) if work.is_dir() else 0
        if found >= count:
            return found
        if process.poll() is not None:
            raise AssertionError(f"the batch ended early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no results appeared")


def test_interrupt_and_run_again_computes_only_the_rest(data, reference, tmp_path, monkeypatch, capsys):
    out, work = tmp_path / "out.json", tmp_path / "work"
    args = [
        "batch",
        "masks",
        "--coco",
        data / "boxes.json",
        "--images",
        data / "images",
        "--out",
        out,
        "--work",
        work,
        "--engine",
        "slowcut",
        "--preload",
        "batch_engines",
        "--workers",
        "0",
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "interactive_seg.cli", *map(str, args)],
        env=_env(ISEG_TEST_DELAY=0.4),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Python keeps Ctrl+C ignored when it starts so (a suite run as a shell's background job)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for_parts(work, 2, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "run the same command again" in err
    assert not out.exists()  # the output is written at the end only
    kept = len(list(work.glob("*.part.npz")))
    assert 2 <= kept < N_IMAGES
    monkeypatch.setenv("ISEG_TEST_DELAY", "0")
    assert cli(*args) == 0
    assert f"{N_IMAGES - kept} computed, {kept} from an earlier run" in capsys.readouterr().out
    assert same_file(out, reference, provenance=False)  # slowcut's masks are GrabCut's


def test_other_settings_do_not_reuse_results(data, tmp_path):
    work = tmp_path / "work"
    first = masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "a.json", work=work, keep_work=True, workers=0, progress=False
    )
    again = masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "b.json", work=work, keep_work=True, workers=0, progress=False
    )
    other = masks_from_boxes(
        data / "boxes.json",
        data / "images",
        tmp_path / "c.json",
        work=work,
        workers=0,
        progress=False,
        engine_options={"margin": 0.2},
    )
    assert (first.computed, again.computed, again.reused, other.computed, other.reused) == (
        N_IMAGES,
        0,
        N_IMAGES,
        N_IMAGES,
        0,
    )
    assert same_file((tmp_path / "a.json"), (tmp_path / "b.json"))


def test_a_damaged_result_file_is_reported_and_computed_again(data, reference, tmp_path):
    work = tmp_path / "work"
    masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "a.json", work=work, keep_work=True, workers=0, progress=False
    )
    victim = sorted(work.glob("*.part.npz"))[0]
    victim.write_bytes(b"not a zip")
    damaged = masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "b.json", work=work, workers=0, progress=False
    )
    assert [f.reason for f in damaged.failures] == [
        "Its result file in the work folder could not be read; run the batch again."
    ]
    fixed = masks_from_boxes(
        data / "boxes.json", data / "images", tmp_path / "c.json", work=work, workers=0, progress=False
    )
    assert fixed.ok and fixed.computed == 1 and same_file((tmp_path / "c.json"), reference)


# -- an existing cluster, started as processes, and a worker killed mid-batch ----------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dask_scheduler_and_workers_with_one_killed_mid_batch(tmp_path, reference, data):
    if shutil.which("dask") is None:
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = _env(ISEG_TEST_DELAY=0.25)
    started = []
    try:
        started.append(
            subprocess.Popen(
                ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=tmp_path,
            )
        )
        for name in ("w1", "w2"):
            started.append(
                subprocess.Popen(
                    ["dask", "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=tmp_path,
                )
            )
        out, work = tmp_path / "out.json", tmp_path / "work"
        batch = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "interactive_seg.cli",
                "batch",
                "masks",
                "--coco",
                str(data / "boxes.json"),
                "--images",
                str(data / "images"),
                "--out",
                str(out),
                "--work",
                str(work),
                "--engine",
                "slowcut",
                "--preload",
                "batch_engines",
                "--scheduler",
                address,
                "--workers",
                "2",
                "--connect-timeout",
                "60",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        done = _wait_for_parts(work, 2, batch, limit=90)
        started[1].kill()  # worker w1, whatever it was running
        assert done < N_IMAGES, "the batch finished before the worker was killed"
        stdout, stderr = batch.communicate(timeout=120)
        assert batch.returncode == 0, stderr
        assert f"{N_IMAGES} images: {N_IMAGES} computed" in stdout
        assert same_file(out, reference, provenance=False)  # complete, and the same as a run in one process
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


# -- bad input ------------------------------------------------------------------------------------
def test_images_missing_unreadable_or_of_another_size_are_listed_and_the_rest_done(data, tmp_path, capsys):
    images = tmp_path / "images"
    shutil.copytree(data / "images", images)
    (images / "im3.png").write_bytes(b"this is not a PNG")
    (images / "im4.png").unlink()
    iseg.write_image(images / "im5.png", np.zeros((50, 60, 3), np.uint8))
    out = tmp_path / "out.json"
    assert (
        cli("batch", "masks", "--coco", data / "boxes.json", "--images", images, "--out", out, "--workers", 0, "-q")
        == 1
    )
    err = capsys.readouterr().err
    assert "im3.png: " in err and "is not an image OpenCV can decode" in err
    assert "im4.png: There is no image file at" in err
    assert "im5.png: The image is 60 x 50 pixels but the COCO file says 160 x 120" in err
    doc = CocoDocument.open(out)
    assert doc.has_mask(1) and doc.has_mask(22)
    assert not any(doc.has_mask(a) for a in (31, 32, 41, 42, 51, 52))  # left as they were: boxes only
    assert (tmp_path / "out.json.parts").is_dir()  # kept: a re-run retries only the failed images


def test_boxes_of_zero_area_or_off_the_image(data, tmp_path, capsys):
    raw = json.loads((data / "boxes.json").read_text())
    raw["annotations"] += [
        {"id": 900, "image_id": 100, "category_id": 7, "bbox": [10, 10, 0, 30]},
        {"id": 901, "image_id": 100, "category_id": 7, "bbox": [170, 10, 20, 30]},
        {"id": 902, "image_id": 101, "category_id": 7, "bbox": [-30, -20, 10, 10]},
        {"id": 903, "image_id": 101, "category_id": 3, "bbox": [100, 10, 80, 60]},  # partly off: clipped, fine
    ]
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    out = tmp_path / "out.json"
    assert (
        cli(
            "batch",
            "masks",
            "--coco",
            tmp_path / "bad.json",
            "--images",
            data / "images",
            "--out",
            out,
            "--workers",
            0,
            "-q",
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "im0.png, annotation 900: The box [10, 10, 0, 30] has zero area" in err
    assert "im0.png, annotation 901: The box [170, 10, 20, 30] lies outside the image (160 x 120 pixels)" in err
    assert "im1.png, annotation 902: The box [-30, -20, 10, 10] lies outside the image" in err
    assert "903" not in err
    doc = CocoDocument.open(out)
    assert doc.has_mask(903) and not doc.has_mask(900) and doc.has_mask(1)


def test_bad_arguments_exit_2_and_write_nothing(data, tmp_path, capsys):
    out = tmp_path / "out.json"
    base = ["batch", "masks", "--images", data / "images", "--out", out]
    (tmp_path / "list.json").write_text(
        json.dumps([{"image_id": 100, "category_id": 7, "bbox": [1, 1, 5, 5], "score": 1}])
    )
    (tmp_path / "unknown.json").write_text(
        json.dumps([{"image_id": 999, "category_id": 7, "bbox": [1, 1, 5, 5], "score": 1}])
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["--coco", tmp_path / "list.json"], "results file"),
        (["--coco", tmp_path / "nothing.json"], "There is no COCO file"),
        (["--coco", data / "boxes.json", "--results", tmp_path / "unknown.json"], "refers to image 999"),
        (["--coco", data / "boxes.json", "--min-score", "0.5"], "--min-score judges detections"),
        (["--coco", data / "boxes.json", "--engine", "nosuch"], "There is no engine named 'nosuch'"),
        (
            ["--coco", data / "boxes.json", "--engine", "sam", "--checkpoint", tmp_path / "no.pth"],
            "There is no checkpoint file",
        ),
        (["--coco", data / "boxes.json", "--cutouts", tmp_path / "c", "--format", "jpg"], "no transparency"),
        (["--coco", data / "boxes.json", "--workers", "-1"], "workers must be 0"),
        (
            ["--coco", data / "boxes.json", "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "1"],
            "Cannot reach the dask scheduler at tcp://127.0.0.1:1",
        ),
    ]
    for extra, expected in cases:
        assert cli(*base, *extra) == 2, extra
        err = capsys.readouterr().err
        assert expected in err, (extra, err)
        assert err.count("\n") == 1 and not err.rstrip().endswith(".."), err
    assert cli("batch", "masks", "--coco", data / "boxes.json", "--images", empty, "--out", out) == 2
    assert "None of the 6 images with boxes is in" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "list.json", "unknown.json"]  # nothing written


# -- SAM: masks and embeddings --------------------------------------------------------------------
def test_sam_masks_on_the_cluster_equal_the_single_image_api(cluster, micro_checkpoint, tmp_path):
    data = make_dataset(tmp_path / "small", n=3)
    options = {
        "model_type": "micro",
        "checkpoint": str(micro_checkpoint),
        "device": "cpu",
        "cache_dir": str(tmp_path / "cache"),
    }
    report = masks_from_boxes(
        data / "boxes.json",
        data / "images",
        tmp_path / "sam.json",
        engine="sam",
        engine_options=options,
        scheduler=cluster,
        preload=["batch_tiny_sam"],
        progress=False,
    )
    alone = masks_from_boxes(
        data / "boxes.json",
        data / "images",
        tmp_path / "sam0.json",
        engine="sam",
        engine_options=options,
        workers=0,
        preload=["batch_tiny_sam"],
        progress=False,
    )
    assert report.ok and alone.ok, report.summary()
    assert same_file((tmp_path / "sam.json"), (tmp_path / "sam0.json"))
    doc = CocoDocument.open(tmp_path / "sam.json")
    alone_options = dict(options, cache_dir=str(tmp_path / "cache_here"))  # embeddings computed again, here
    for ann in doc.annotations()[1:]:
        if ann["id"] == 501:
            continue
        image = iseg.read_image(data / "images" / doc.image(ann["image_id"])["file_name"])
        x0, y0, x1, y1 = pv.record_of(ann)["prompts"]["box"]
        mask = iseg.segment(image, box=(x0, y0, x1, y1), engine="sam", **alone_options)
        assert np.array_equal(doc.mask(ann["id"]), mask)


def test_embeddings_ahead_are_what_the_engine_then_loads(data, cluster, micro_checkpoint, tmp_path, capsys):
    cache = tmp_path / "cache"
    report = embed_folder(
        data / "images",
        model_type="micro",
        checkpoint=micro_checkpoint,
        cache_dir=cache,
        device="cpu",
        scheduler=cluster,
        preload=["batch_tiny_sam"],
        progress=False,
    )
    assert report.ok and (report.computed, report.reused) == (N_IMAGES, 0)
    assert len(list((cache / "embeddings").glob("*.npz"))) == N_IMAGES
    engine = iseg.get_engine("sam", model_type="micro", checkpoint=micro_checkpoint, cache_dir=cache, device="cpu")
    engine.cache.forget_memory()

    def no_encoding(self, rgb):
        raise AssertionError("the engine ran its image encoder: the embedding was not found")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(engine), "_encode", no_encoding)
        for i in range(N_IMAGES):
            engine.set_image(iseg.read_image(data / "images" / f"im{i}.png"))
            assert engine.segment(iseg.Prompts(box=(30, 30, 90, 90))).mask.shape == (120, 160)
    assert engine.cache.hits["disk"] == N_IMAGES and engine.cache.misses == 0  # the GUI's engine finds every one
    again = cli(
        "batch",
        "embed",
        data / "images",
        "--model-type",
        "micro",
        "--checkpoint",
        micro_checkpoint,
        "--cache-dir",
        cache,
        "--device",
        "cpu",
        "--preload",
        "batch_tiny_sam",
        "--scheduler",
        cluster,
    )
    assert again == 0
    assert f"0 computed, {N_IMAGES} from an earlier run" in capsys.readouterr().out


def test_embeddings_in_batches_equal_one_at_a_time(data, micro_checkpoint, tmp_path):
    torch = pytest.importorskip("torch")
    folder = tmp_path / "images"
    shutil.copytree(data / "images", folder)
    iseg.write_image(folder / "wide.png", np.full((40, 200, 3), 90, np.uint8))  # another size in the same batch
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    report = embed_folder(
        folder,
        model_type="micro",
        checkpoint=micro_checkpoint,
        cache_dir=tmp_path / "batched",
        device="cpu",
        batch_size=3,
        workers=0,
        preload=["batch_tiny_sam"],
        progress=False,
    )
    assert report.computed == N_IMAGES + 1 and [f.item for f in report.failures] == ["broken.jpg"]
    single = iseg.get_engine(
        "sam", model_type="micro", checkpoint=micro_checkpoint, cache_dir=tmp_path / "single", device="cpu"
    )
    batched = iseg.get_engine(
        "sam", model_type="micro", checkpoint=micro_checkpoint, cache_dir=tmp_path / "batched", device="cpu"
    )
    misses = batched.cache.misses  # (this process's engines share one cache per folder: the batch's own look-ups count)
    for name in ("im0.png", "im4.png", "wide.png"):
        image = iseg.read_image(folder / name)
        single.set_image(image)
        batched.set_image(image)
        assert torch.allclose(single._features, batched._features, atol=1e-5)
        prompts = iseg.Prompts(box=(10, 10, 60, 35))
        assert np.array_equal(single.segment(prompts).mask, batched.segment(prompts).mask)
    assert batched.cache.misses == misses


# -- folder export --------------------------------------------------------------------------------
def test_folder_export_makes_what_export_makes(data, cluster, reference, tmp_path):
    folder = tmp_path / "session"
    shutil.copytree(data / "images", folder)
    shutil.copy(reference, folder / "annotations.coco.json")
    out = tmp_path / "cutouts"
    code = cli(
        "batch",
        "export",
        folder,
        "--out",
        out,
        "--style",
        "color",
        "--color",
        "10,20,30",
        "--crop",
        "--padding",
        2,
        "--scheduler",
        cluster,
        "-q",
    )
    assert code == 0
    assert json.loads((out / "annotations.coco.json").read_text()) == json.loads(reference.read_text())
    made = sorted(p.name for p in out.glob("*.png"))
    assert len(made) == 2 * N_IMAGES + 1 and not (out / ".interactive-seg-work").exists()
    assert (
        cli(
            "export",
            "--coco",
            reference,
            "--images",
            folder,
            "--out",
            tmp_path / "plain",
            "--style",
            "color",
            "--color",
            "10,20,30",
            "--crop",
            "--padding",
            2,
            "-q",
        )
        == 0
    )
    plain = sorted(p.name for p in (tmp_path / "plain").glob("*.png"))
    assert made == plain
    for name in made:
        assert (out / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name


def test_folder_export_python_api_resumes(data, reference, tmp_path):
    folder = tmp_path / "session"
    shutil.copytree(data / "images", folder)
    shutil.copy(reference, folder / "annotations.coco.json")
    (folder / "im2.png").unlink()
    first = export_folder(folder, tmp_path / "out", workers=0, progress=False)
    assert [f.item for f in first.failures] == ["im2.png"] and first.counts == {"cutouts": 2 * N_IMAGES - 1}
    shutil.copy(data / "images" / "im2.png", folder / "im2.png")
    second = export_folder(folder, tmp_path / "out", workers=0, progress=False)
    assert second.ok and (second.computed, second.reused) == (1, N_IMAGES - 1)
    assert second.counts == {"cutouts": 2 * N_IMAGES + 1}


def test_on_a_cluster_the_checkpoint_is_the_workers_to_find(data, cluster, micro_checkpoint, tmp_path, monkeypatch):
    """Only where the workers run on this machine does the client judge the checkpoint file:
    on a cluster the path is the workers' (it may exist there only), and what they find
    missing still comes back as one sentence before any image is done."""
    from interactive_seg.batch.masks import check_engine_here
    from interactive_seg.batch.run import runs_here

    missing = {"model_type": "micro", "checkpoint": str(tmp_path / "only-on-the-workers.pth"), "device": "cpu"}
    with pytest.raises(InputError, match="no checkpoint file"):
        check_engine_here("sam", missing)
    check_engine_here("sam", missing, files=False)  # the client does not judge what it cannot see
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert runs_here() and not runs_here(scheduler="tcp://10.0.0.1:8786")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.1:8786")
    assert not runs_here()
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")

    out = tmp_path / "sam.json"
    with pytest.raises(InputError, match="checkpoint"):
        masks_from_boxes(
            data / "boxes.json",
            data / "images",
            out,
            engine="sam",
            engine_options=missing,
            scheduler=cluster,
            preload=["batch_tiny_sam"],
            progress=False,
        )
    assert not out.exists()
    # and the workers' own file is used when only they can see it (here: the same machine)
    found = dict(missing, checkpoint=str(micro_checkpoint), cache_dir=str(tmp_path / "cache"))
    small = make_dataset(tmp_path / "small", n=2)
    report = masks_from_boxes(
        small / "boxes.json",
        small / "images",
        out,
        engine="sam",
        engine_options=found,
        scheduler=cluster,
        preload=["batch_tiny_sam"],
        progress=False,
    )
    assert report.ok, report.summary()


def test_cutouts_of_two_records_of_one_photograph_are_two_files(data, tmp_path):
    """Two image records naming one file: both images' first square were named im0_square-1."""
    height, width = iseg.read_image(data / "images" / "im0.png").shape[:2]
    boxes = {
        "images": [{"id": k + 1, "file_name": "im0.png", "width": width, "height": height} for k in range(2)],
        "categories": [{"id": 1, "name": "square"}],
        "annotations": [
            {"id": k + 1, "image_id": k + 1, "category_id": 1, "bbox": [5 + 20 * k, 5, 15, 15], "iscrowd": 0}
            for k in range(2)
        ],
    }
    (tmp_path / "boxes.json").write_text(json.dumps(boxes))
    report = masks_from_boxes(
        tmp_path / "boxes.json",
        data / "images",
        tmp_path / "m.json",
        cutouts=tmp_path / "cut",
        workers=0,
        progress=False,
    )
    assert report.counts["cutouts"] == 2
    assert sorted(p.name for p in (tmp_path / "cut").glob("*.png")) == ["im0_square-1.png", "im0_square-2.png"]
