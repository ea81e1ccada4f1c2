"""SAM 2.1 and SAM 3 (tracker) in the ``sam`` engine, on tiny random models built from the
families' transformers configs, saved with save_pretrained and loaded back through the
engine's own loading path: masks equal transformers' reference pipeline, the cache, the
model folders, the Hub cache and downloads (no network)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sam_models import tiny_sam2_folder, tiny_sam3_folder

import interactive_seg as iseg
from interactive_seg import InputError, Prompts

pytestmark = pytest.mark.sam

FAMILIES = {
    "sam2": (tiny_sam2_folder, "Sam2Model", "Sam2Processor"),
    "sam3": (tiny_sam3_folder, "Sam3TrackerModel", "Sam3TrackerProcessor"),
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def family(request, tmp_path_factory):
    build, model_cls, processor_cls = FAMILIES[request.param]
    folder = build(tmp_path_factory.mktemp(request.param) / "model")
    model = getattr(transformers, model_cls).from_pretrained(str(folder)).eval()
    processor = getattr(transformers, processor_cls).from_pretrained(str(folder))
    return request.param, folder, model, processor


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    image = (rng.random((300, 451, 3)) * 255).astype(np.uint8)
    image[80:220, 120:330] = (200, 40, 30)  # an object of one colour on noise
    return image


def _iou(a, b):
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _reference(model, processor, image, points=None, labels=None, box=None, mask_input=None, multimask=False):
    """transformers' own pipeline: processor on the image and prompts, the model, post_process_masks,
    the mask the IoU head scores best."""
    kwargs = {"images": image, "return_tensors": "pt"}
    if points is not None:
        kwargs["input_points"] = [[[[float(x), float(y)] for x, y in points]]]
        kwargs["input_labels"] = [[[int(v) for v in labels]]]
    if box is not None:
        kwargs["input_boxes"] = [[[float(v) for v in box]]]
    inputs = processor(**kwargs)
    extra = {} if mask_input is None else {"input_masks": torch.as_tensor(mask_input, dtype=torch.float32)[None, None]}
    with torch.no_grad():
        out = model(**inputs, **extra, multimask_output=multimask)
    masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"])[0][0]
    best = int(torch.argmax(out.iou_scores[0, 0]))
    return masks[best].numpy(), float(out.iou_scores[0, 0, best])


def _scribbles(shape):
    scribbles = np.zeros(shape, np.uint8)
    scribbles[150, 150:300] = 1
    scribbles[90:140, 200] = 1  # a second stroke, apart from the first
    scribbles[30:35, 20:120] = 2
    return scribbles


def _prior(shape):
    prior = np.zeros(shape, bool)
    prior[90:210, 130:320] = True
    return prior


# Prompts in the core's coordinates, and the reference's: SAM points are pixel indices (x - 0.5)
CASES = {
    "box": (Prompts(box=(120, 80, 330, 220)), {"box": (120, 80, 330, 220)}),
    "point": (Prompts(points=[(200.5, 150.5)]), {"points": [(200, 150)], "labels": [1], "multimask": True}),
    "points": (
        Prompts(points=[(200.5, 150.5), (300.5, 100.5)], point_labels=[1, 1]),
        {"points": [(200, 150), (300, 100)], "labels": [1, 1]},
    ),
    "box + negative point": (
        Prompts(box=(100, 60, 350, 240), points=[(340.5, 230.5)], point_labels=[0]),
        {"box": (100, 60, 350, 240), "points": [(340, 230)], "labels": [0]},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_masks_equal_the_transformers_pipeline(family, image, tmp_path, case):
    _, folder, model, processor = family
    engine = iseg.get_engine("sam", model_type=str(folder), device="cpu", cache_dir=tmp_path)
    engine.set_image(image)
    prompts, reference_args = CASES[case]
    expected, score = _reference(model, processor, image, **reference_args)
    result = engine.segment(prompts)
    assert result.mask.shape == image.shape[:2] and result.mask.dtype == bool
    assert 0 < np.count_nonzero(expected) < expected.size  # a mask worth comparing
    assert _iou(result.mask, expected) >= 0.99
    assert result.score == pytest.approx(score, abs=1e-4)
    assert result.info["multimask"] == reference_args.get("multimask", False)


@pytest.mark.parametrize("scribble_mask", [False, True])
def test_scribbles_reach_the_model_as_points_along_strokes_and_a_mask(family, image, tmp_path, scribble_mask):
    _, folder, model, processor = family
    engine = iseg.get_engine(
        "sam", model_type=str(folder), device="cpu", cache_dir=tmp_path, scribble_mask=scribble_mask
    )
    engine.set_image(image)
    scribbles = _scribbles(image.shape[:2])
    args = engine.sam_inputs(Prompts(scribbles=scribbles).validated(image.shape[:2]))
    labels = args["point_labels"].tolist()
    assert labels.count(1) == 6 and labels.count(0) == 3  # 3 points on each stroke
    assert (args["mask_input"] is not None) == scribble_mask
    if scribble_mask:
        low = args["mask_input"][0]
        # resized like the image (squashed to the model's square input): the strokes' place is positive
        assert low[int(150 / 300 * low.shape[0]), int(250 / 451 * low.shape[1])] > 0 and low[5, 5] < 0
    expected, _ = _reference(
        model,
        processor,
        image,
        points=args["point_coords"],
        labels=labels,
        mask_input=None if args["mask_input"] is None else args["mask_input"][0],
    )
    result = engine.segment(Prompts(scribbles=scribbles))
    assert _iou(result.mask, expected) >= 0.99


def test_a_prior_mask_and_the_previous_refinement_are_the_mask_prompt(family, image, tmp_path):
    _, folder, model, processor = family
    engine = iseg.get_engine("sam", model_type=str(folder), device="cpu", cache_dir=tmp_path)
    engine.set_image(image)
    prior = _prior(image.shape[:2])
    args = engine.sam_inputs(Prompts(prior=prior).validated(image.shape[:2]))
    low = args["mask_input"][0]
    assert low[low.shape[0] // 2, low.shape[1] // 2] > 0 and low[2, 2] < 0
    expected, _ = _reference(model, processor, image, mask_input=low)
    assert _iou(engine.segment(Prompts(prior=prior)).mask, expected) >= 0.99
    # a click, then a second click on the same object: the first answer's logits go back in
    engine.reset()
    first = engine.segment(Prompts(points=[(200.5, 150.5)]))
    assert first.logits.shape == low.shape
    second = Prompts(points=[(200.5, 150.5), (60.5, 40.5)], point_labels=[1, 0])
    args = engine.sam_inputs(second.validated(image.shape[:2]))
    assert np.array_equal(args["mask_input"][0], first.logits)
    expected, _ = _reference(
        model, processor, image, points=[(200, 150), (60, 40)], labels=[1, 0], mask_input=first.logits
    )
    assert _iou(engine.segment(second).mask, expected) >= 0.99


@pytest.mark.parametrize("thresh", [0.0, 1.01], ids=["single mask stable", "single mask unstable"])
def test_the_fast_decoder_gives_the_stock_decoders_masks(family, image, tmp_path, monkeypatch, thresh):
    """The rearranged mask decoder (engines/sam/hf_decoder.py) against transformers' model forward,
    prompt by prompt; ``thresh`` sends transformers' single-mask choice down each of its two ways
    (mask 0 kept, or the best multimask taken when mask 0 is not stable)."""
    _, folder, _, _ = family
    engines = [
        iseg.get_engine(
            "sam", model_type=str(folder), device="cpu", cache_dir=tmp_path, scribble_mask=True, fast_decoder=fast
        )
        for fast in (True, False)
    ]
    assert engines[0]._fast is not None and engines[1]._fast is None
    for engine in engines:
        monkeypatch.setattr(engine.model.mask_decoder, "dynamic_multimask_stability_thresh", thresh)
        engine.set_image(image)
    prior = _prior(image.shape[:2])
    sequences = [[prompts] for prompts, _ in CASES.values()] + [
        [Prompts(scribbles=_scribbles(image.shape[:2]))],  # points along strokes and the strokes as a mask
        [Prompts(prior=prior)],  # a mask alone
        [Prompts(prior=prior, points=[(200.5, 150.5)])],
        # a click, then a second: the first answer's logits go back in as the mask prompt
        [Prompts(points=[(200.5, 150.5)]), Prompts(points=[(200.5, 150.5), (60.5, 40.5)], point_labels=[1, 0])],
    ]
    for sequence in sequences:
        for engine in engines:
            engine.reset()
        for prompts in sequence:
            fast, stock = (engine.segment(prompts) for engine in engines)
            np.testing.assert_allclose(fast.logits, stock.logits, atol=1e-4, rtol=1e-4)
            assert fast.score == pytest.approx(stock.score, abs=1e-5)
            assert _iou(fast.mask, stock.mask) >= 0.999
            assert fast.info["multimask"] == stock.info["multimask"]


def test_embeddings_round_trip_through_the_disk_cache(family, image, tmp_path):
    _, folder, _, _ = family
    first = iseg.get_engine("sam", model_type=str(folder), device="cpu", cache_dir=tmp_path)
    misses = first.cache.misses
    first.set_image(image)
    assert first.cache.misses == misses + 1
    (entry,) = (tmp_path / "embeddings").glob("*.npz")
    with np.load(entry) as data:
        assert {"level0", "level1", "level2", "original_size"} <= set(data.files)
    first.cache.forget_memory()
    second = iseg.get_engine("sam", model_type=str(folder), device="cpu", cache_dir=tmp_path)
    hits = second.cache.hits["disk"]
    second.set_image(image.copy())
    assert second.cache.hits["disk"] == hits + 1
    for a, b in zip(first._features, second._features):
        assert torch.equal(a, b)
    p = Prompts(box=(120, 80, 330, 220))
    assert np.array_equal(first.segment(p).mask, second.segment(p).mask)


def test_embed_many_batches_the_same_entries_and_steps_can_stop(family, image, tmp_path):
    _, folder, _, _ = family
    engine = iseg.get_engine("sam", model_type=str(folder), device="cpu", cache_dir=tmp_path, disk_cache=False)
    other = image[::-1].copy()
    assert engine.embed_many([image, other], batch_size=2) == ["computed", "computed"]
    assert engine.embed_many([image], batch_size=2) == ["cached"]
    batched = [t.clone() for t in (engine.set_image(other) or engine._features)]
    alone = iseg.get_engine("sam", model_type=str(folder), device="cpu", cache_dir=tmp_path / "alone", disk_cache=False)
    alone.cache.forget_memory()
    alone.cache._memory.clear()
    steps = alone.embed_steps(other[:, ::-1].copy())
    first = next(steps)
    assert 0 < first < 1
    steps.close()  # cancelled: nothing is set
    assert alone._features is None
    fractions = list(alone.embed_steps(other))
    assert fractions[-1] == 1.0 and fractions == sorted(fractions) and len(fractions) > 2
    for a, b in zip(batched, alone._features):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_bf16_encoder_masks_stay_close_to_fp32(family, image, tmp_path):
    _, folder, _, _ = family
    p = Prompts(box=(120, 80, 330, 220))
    masks = []
    for precision in ("fp32", "bf16"):
        engine = iseg.get_engine(
            "sam",
            model_type=str(folder),
            device="cpu",
            precision=precision,
            disk_cache=False,
            cache_dir=tmp_path / precision,
        )
        engine.set_image(image)
        masks.append(engine.segment(p).mask)
    assert _iou(*masks) >= 0.95  # random weights are touchier than trained ones; the GPU check asks 0.99
    with pytest.raises(InputError, match="not a precision"):
        iseg.get_engine("sam", model_type=str(folder), device="cpu", precision="fp8")


# -- model folders and the cache ------------------------------------------------------------------
def test_missing_or_wrong_model_folders_are_input_errors(tmp_path, family):
    name, folder, _, _ = family
    with pytest.raises(InputError, match="There is no model folder"):
        iseg.get_engine("sam", model_type=str(tmp_path / "nowhere"), device="cpu")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="not a model folder.*config.json"):
        iseg.get_engine("sam", model_type=str(empty), device="cpu")
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InputError, match="holds a 'bert' model"):
        iseg.get_engine("sam", model_type=str(other), device="cpu")
    no_weights = tmp_path / "no_weights"
    shutil.copytree(folder, no_weights)
    (no_weights / "model.safetensors").unlink()
    with pytest.raises(InputError, match="has no weights"):
        iseg.get_engine("sam", model_type=str(no_weights), device="cpu")
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="could not be loaded"):
        iseg.get_engine("sam", model_type=str(broken), device="cpu")
    # a folder of one family given as the weights of another family's model
    wrong = "sam3" if name == "sam2" else "sam2.1_hiera_tiny"
    with pytest.raises(InputError, match="not a SAM"):
        iseg.get_engine("sam", model_type=wrong, checkpoint=str(folder), device="cpu")


def _hub_cache(cache, repo, folder):
    """The layout huggingface_hub keeps a downloaded repository in (refs/main -> snapshots/<commit>)."""
    root = cache / "models" / "huggingface" / ("models--" + repo.replace("/", "--"))
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text("0123456789abcdef0123456789abcdef01234567")
    shutil.copytree(folder, root / "snapshots" / "0123456789abcdef0123456789abcdef01234567")


def test_a_cached_hub_model_loads_offline_by_name_and_lists_as_cached(family, image, tmp_path, monkeypatch, capsys):
    name, folder, model, processor = family
    model_type, repo = (
        ("sam2.1_hiera_tiny", "facebook/sam2.1-hiera-tiny") if name == "sam2" else ("sam3", "facebook/sam3")
    )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match=f"interactive-seg models download {model_type}"):
        iseg.get_engine("sam", model_type=model_type, device="cpu", cache_dir=tmp_path)
    _hub_cache(tmp_path, repo, folder)
    engine = iseg.get_engine("sam", model_type=model_type, device="cpu", cache_dir=tmp_path)
    engine.set_image(image)
    expected, _ = _reference(model, processor, image, box=(120, 80, 330, 220))
    assert _iou(engine.segment(Prompts(box=(120, 80, 330, 220))).mask, expected) >= 0.99
    assert engine.choice_note("model_type", model_type, cache_dir=tmp_path) is None
    assert "models download vit_h" in engine.choice_note("model_type", "vit_h", cache_dir=tmp_path)
    from interactive_seg import cli

    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    assert cli.main(["models", "list"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.split() and row.split()[0] == model_type)
    assert "cached" in line and "not cached" not in line


def test_download_uses_huggingface_hub_into_the_cache(tmp_path, monkeypatch, family):
    import huggingface_hub

    _, folder, _, _ = family
    calls = []

    def snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    from interactive_seg import cli

    assert cli.main(["models", "download", "sam2.1_hiera_base_plus", "-q"]) == 0
    ((repo, kwargs),) = calls
    assert repo == "facebook/sam2.1-hiera-base-plus"
    assert kwargs["cache_dir"] == tmp_path / "models" / "huggingface" and not kwargs["local_files_only"]
    assert "*.safetensors" in kwargs["allow_patterns"]
    assert cli.main(["models", "download", str(folder), "-q"]) == 0  # a local folder: checked, nothing fetched
    assert len(calls) == 1


def test_a_gated_model_without_a_login_says_how_to_log_in(tmp_path, monkeypatch, capsys):
    import httpx2
    import huggingface_hub
    from huggingface_hub.errors import GatedRepoError

    def gated(repo_id, **kwargs):
        request = httpx2.Request("GET", f"https://huggingface.co/{repo_id}/resolve/main/config.json")
        raise GatedRepoError(
            "401 Client Error: access to this model is restricted", response=httpx2.Response(401, request=request)
        )

    monkeypatch.setattr(huggingface_hub, "snapshot_download", gated)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", gated)
    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    from interactive_seg import cli

    assert cli.main(["models", "download", "sam3", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "hf auth login" in err and "https://huggingface.co/facebook/sam3" in err
    assert "Traceback" not in err and err.count("\n") == 0


class _OfflineHub:
    """huggingface_hub's real snapshot_download with its two network calls replaced: the
    repository listing (HfApi) and each file's download (hf_hub_download, fed the progress bar
    class snapshot_download gives it, as the real one is). Files arrive in ``chunk``-byte pieces."""

    def __init__(self, folder, chunk=4096, pause=0.0, on_chunk=None):
        self.folder, self.chunk, self.pause, self.on_chunk = folder, chunk, pause, on_chunk
        self.files = sorted(p.name for p in folder.iterdir() if p.is_file())
        self.written = 0

    def install(self, monkeypatch):
        import types

        import huggingface_hub._snapshot_download as sd
        from huggingface_hub.hf_api import RepoFile

        hub = self

        class Api:
            def __init__(self, **kwargs):
                pass

            def repo_info(self, **kwargs):
                return types.SimpleNamespace(sha="0123456789abcdef0123456789abcdef01234567")

            def list_repo_tree(self, **kwargs):
                return [RepoFile(path=n, size=(hub.folder / n).stat().st_size, oid=n) for n in hub.files]

        def hf_hub_download(repo_id, filename, *, cache_dir, revision, tqdm_class, **kwargs):
            import time

            data = (hub.folder / filename).read_bytes()
            bar = tqdm_class(total=len(data), initial=0)
            target = Path(cache_dir) / ("models--" + repo_id.replace("/", "--")) / "snapshots" / revision / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(str(target) + ".incomplete", "wb") as out:
                for start in range(0, len(data), hub.chunk):
                    piece = data[start : start + hub.chunk]
                    out.write(piece)
                    hub.written += len(piece)
                    if hub.on_chunk is not None:
                        hub.on_chunk()
                    time.sleep(hub.pause)
                    bar.update(len(piece))
            Path(str(target) + ".incomplete").rename(target)
            return str(target)

        monkeypatch.setattr(sd, "HfApi", Api)
        monkeypatch.setattr(sd, "hf_hub_download", hf_hub_download)


def test_a_hub_download_reports_its_bytes_and_a_cancel_stops_it(family, tmp_path, monkeypatch):
    """download(report=, cancel=) through huggingface_hub's own snapshot_download: the bytes
    written reach the caller (the widget's progress bar), a set event stops it with Cancelled,
    and what was fetched is then found offline."""
    import threading

    from interactive_seg.engines.sam import models

    _, folder, _, _ = family
    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pytest.importorskip("huggingface_hub"), "get_token", lambda: None)
    total = sum(
        p.stat().st_size for p in folder.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors", ".txt")
    )
    hub = _OfflineHub(folder)
    hub.install(monkeypatch)
    cancel = threading.Event()
    hub.on_chunk = lambda: hub.written > total // 3 and cancel.set()
    with pytest.raises(models.Cancelled):
        models.download("sam2.1_hiera_tiny", report=lambda done, size: None, cancel=cancel)
    assert hub.written < total and not models.is_cached("sam2.1_hiera_tiny")
    hub.on_chunk, hub.written = None, 0
    seen = []
    path = models.download("sam2.1_hiera_tiny", report=lambda done, size: seen.append((done, size)))
    assert models.is_cached("sam2.1_hiera_tiny") and (path / "config.json").is_file()
    assert seen[-1] == (total, total) and len(seen) > 5
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_gated_model_in_the_cache_needs_no_login_and_one_not_there_is_refused_before_the_network(
    family, tmp_path, monkeypatch
):
    import huggingface_hub

    from interactive_seg.engines.sam import models

    name, folder, _, _ = family
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    calls = []
    real = huggingface_hub.snapshot_download

    def snapshot_download(repo_id, **kwargs):
        calls.append(kwargs.get("local_files_only"))
        return real(repo_id, **kwargs)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    sentence = models.login_needed("sam3", tmp_path)
    assert "hf auth login" in sentence and "https://huggingface.co/facebook/sam3" in sentence
    with pytest.raises(InputError) as error:
        models.download("sam3", cache=tmp_path)
    assert str(error.value) == sentence and calls and all(calls)  # only the cache was read
    assert models.login_needed("sam2.1_hiera_tiny", tmp_path) is None  # not gated
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_token")
    assert models.login_needed("sam3", tmp_path) is None  # logged in: the Hub decides
    if name == "sam3":
        monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
        _hub_cache(tmp_path, "facebook/sam3", folder)
        assert models.login_needed("sam3", tmp_path) is None
        assert models.download("sam3", cache=tmp_path) == models.find_checkpoint("sam3", tmp_path)  # offline


def test_a_new_family_is_one_module_and_one_registry_line(family, image, tmp_path, monkeypatch, capsys):
    """A family module (MODELS, TITLE, REQUIRES, CONFIG_TYPES, owns, load) and its line in
    models.FAMILIES: the catalogue, `models list` and the engine take it, nothing else changes."""
    import sys
    import types

    from interactive_seg import cli
    from interactive_seg.engines.sam import models, sam2, sam3

    name, folder, model, processor = family
    real = sam2 if name == "sam2" else sam3
    module = types.ModuleType("tests_new_family")
    module.TITLE, module.REQUIRES, module.CONFIG_TYPES = "A new family", ("transformers",), ()
    module.MODELS = (
        models.ModelInfo("new_tiny", module.__name__, 1_000_000, "a test family", repo="example/new-tiny"),
    )
    module.owns = lambda model_type: model_type == "new_tiny"
    module.load = real.load  # its loading: here, an existing family's
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(models, "FAMILIES", (*models.FAMILIES, module.__name__))  # the one line

    assert models.catalogue()["new_tiny"].family == module.__name__
    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "A new family:" in out and "new_tiny" in out and "https://huggingface.co/example/new-tiny" in out
    engine = iseg.get_engine("sam", model_type="new_tiny", checkpoint=str(folder), device="cpu", cache_dir=tmp_path)
    engine.set_image(image)
    expected, _ = _reference(model, processor, image, box=(120, 80, 330, 220))
    assert _iou(engine.segment(Prompts(box=(120, 80, 330, 220))).mask, expected) >= 0.99
    assert engine.model_key.startswith("new_tiny-")  # its own embeddings in the cache
    assert "models download new_tiny" in engine.choice_note("model_type", "new_tiny", cache_dir=tmp_path)


def test_the_widget_the_cli_and_batch_name_no_family():
    """Only engines/sam knows the families: the front doors import the engine and the catalogue."""
    import re

    import interactive_seg

    root = Path(interactive_seg.__file__).parent
    family = re.compile(
        r"engines\.sam(\.| import [^\n]*\b)(sam1|sam2|sam3|hf|hf_decoder|decoder)\b|\bSam[23]\w*(Model|Processor)\b"
    )
    for package in ("plugin", "cli", "batch"):
        for path in sorted((root / package).rglob("*.py")):
            hits = family.findall(path.read_text(encoding="utf-8"))
            assert not hits, f"{path.relative_to(root)} names a SAM family: {hits}"


def test_the_one_stage_upscaling_is_post_process_masks_pixel_for_pixel():
    """HF families upscale the best mask low -> image size as post_process_masks does (bilinear,
    > 0), computed only where a positive logit reaches."""
    import torch.nn.functional as F

    from interactive_seg.engines.sam.sam1 import _Upscaler

    rng = np.random.default_rng(3)
    for original in [(300, 451), (1080, 1440), (77, 1000), (1000, 33)]:
        up = _Upscaler(64, 64, (64, 64), original)
        for _ in range(3):
            logits = rng.normal(-3, 1, (64, 64)).astype(np.float32)
            r, c = rng.integers(0, 60, 2)
            logits[r : r + rng.integers(1, 6), c : c + rng.integers(1, 6)] = 5.0
            stock = (
                F.interpolate(torch.from_numpy(logits)[None, None], original, mode="bilinear", align_corners=False)[
                    0, 0
                ].numpy()
                > 0
            )
            assert np.count_nonzero(up(logits) != stock) == 0
