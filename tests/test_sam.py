"""The SAM engine on small random models: equal to stock SamPredictor, cached, every error."""

import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("segment_anything")

from sam_models import register_tiny, tiny_sam  # noqa: E402

import interactive_seg as iseg  # noqa: E402
from interactive_seg import InputError, Prompts  # noqa: E402
from interactive_seg.engines import checkpoints  # noqa: E402

pytestmark = pytest.mark.sam


@pytest.fixture(scope="module")
def model():
    return tiny_sam()


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return (rng.random((300, 451, 3)) * 255).astype(np.uint8)


@pytest.fixture
def engine(model, tmp_path):
    return iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)


CASES = [
    (Prompts(box=(50, 40, 300, 250)), dict(box=np.array([50, 40, 300, 250], np.float32), multimask_output=False)),
    (
        Prompts(points=[(100.5, 100.5)]),
        dict(point_coords=np.array([[100, 100]], np.float32), point_labels=np.array([1]), multimask_output=True),
    ),
    (
        Prompts(points=[(100.5, 100.5), (200.5, 50.5)], point_labels=[1, 0], box=(10, 10, 400, 290)),
        dict(
            point_coords=np.array([[100, 100], [200, 50]], np.float32),
            point_labels=np.array([1, 0]),
            box=np.array([10, 10, 400, 290], np.float32),
            multimask_output=False,
        ),
    ),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_masks_equal_stock_sam_predictor(engine, model, image, case):
    from segment_anything import SamPredictor

    prompts, stock_args = CASES[case]
    engine.set_image(image)
    predictor = SamPredictor(model)
    predictor.set_image(image)
    assert torch.equal(predictor.features, engine._features)
    masks, scores, _ = predictor.predict(**stock_args)
    best = masks[int(np.argmax(scores))]
    result = engine.segment(prompts)
    assert result.mask.shape == (300, 451) and result.mask.dtype == bool
    assert np.count_nonzero(result.mask != best) == 0
    assert result.score == pytest.approx(float(scores.max()), abs=1e-6)
    assert result.info["multimask"] == stock_args["multimask_output"]


def test_upscaling_matches_stock_for_small_objects_and_odd_sizes(model):
    """The cropped upscaling gives stock's mask however small the positive region is."""
    import torch.nn.functional as F

    from interactive_seg.engines.sam.sam1 import _Upscaler

    rng = np.random.default_rng(1)
    for original in [(300, 451), (1080, 1440), (77, 1000), (1000, 33)]:
        scale = 1024 / max(original)
        input_size = (int(original[0] * scale + 0.5), int(original[1] * scale + 0.5))
        up = _Upscaler(256, 1024, input_size, original)
        for _ in range(3):
            logits = rng.normal(-3, 1, (256, 256)).astype(np.float32)
            r, c = rng.integers(0, min(input_size) // 4, 2)
            logits[r : r + rng.integers(1, 12), c : c + rng.integers(1, 12)] = 5.0
            stock = F.interpolate(
                torch.from_numpy(logits)[None, None], (1024, 1024), mode="bilinear", align_corners=False
            )
            stock = stock[..., : input_size[0], : input_size[1]]
            stock = F.interpolate(stock, original, mode="bilinear", align_corners=False)[0, 0].numpy() > 0
            assert np.count_nonzero(up(logits) != stock) == 0


def test_checkpoint_round_trip_through_the_real_loading_path(model, image, tmp_path):
    register_tiny()
    path = tmp_path / "tiny.pth"
    torch.save(model.state_dict(), path)
    loaded = iseg.get_engine("sam", model_type="tiny", checkpoint=path, device="cpu", cache_dir=tmp_path)
    direct = iseg.get_engine("sam", model=model, device="cpu", disk_cache=False)
    loaded.set_image(image)
    direct.set_image(image)
    assert torch.equal(loaded._features, direct._features)
    p = Prompts(box=(50, 40, 300, 250))
    assert (loaded.segment(p).mask == direct.segment(p).mask).all()


def test_checkpoint_errors(tmp_path, model):
    register_tiny()
    with pytest.raises(InputError, match="no checkpoint file"):
        iseg.get_engine("sam", model_type="tiny", checkpoint=tmp_path / "missing.pth", device="cpu")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"this is not a checkpoint")
    with pytest.raises(InputError, match="not a PyTorch checkpoint"):
        iseg.get_engine("sam", model_type="tiny", checkpoint=junk, device="cpu")
    tensor = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), tensor)
    with pytest.raises(InputError, match="does not hold model weights"):
        iseg.get_engine("sam", model_type="tiny", checkpoint=tensor, device="cpu")
    fake_vit_l = tmp_path / "vit_l_like.pth"
    torch.save({"image_encoder.patch_embed.proj.weight": torch.zeros(1024, 3, 16, 16)}, fake_vit_l)
    with pytest.raises(InputError, match="not a tiny checkpoint: it looks like vit_l"):
        iseg.get_engine("sam", model_type="tiny", checkpoint=fake_vit_l, device="cpu")
    tiny_file = tmp_path / "tiny.pth"
    torch.save(model.state_dict(), tiny_file)
    with pytest.raises(InputError, match="not a vit_b checkpoint: it looks like a ViT with width 32"):
        iseg.get_engine("sam", model_type="vit_b", checkpoint=tiny_file, device="cpu")
    with pytest.raises(InputError, match="Unknown SAM model type 'vit_q'"):
        iseg.get_engine("sam", model_type="vit_q", checkpoint=tiny_file, device="cpu")


def test_missing_checkpoint_in_cache_says_how_to_download(tmp_path):
    with pytest.raises(InputError, match="interactive-seg models download vit_b"):
        iseg.get_engine("sam", model_type="vit_b", cache_dir=tmp_path, device="cpu")


def test_devices():
    from interactive_seg.engines.sam import resolve_device

    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="not available here"):
            resolve_device("cuda")
    with pytest.raises(InputError, match="not a device name"):
        resolve_device("gpu!")


def test_missing_torch_says_what_to_install(monkeypatch):
    from interactive_seg import engines

    monkeypatch.setattr(engines, "_installed", lambda module: module != "torch")
    assert "sam" not in engines.available_engines()
    with pytest.raises(InputError, match=r"needs torch.*pip install 'interactive-seg\[sam\]'"):
        iseg.get_engine("sam")


def test_embedding_is_computed_once_and_cached_in_memory_and_on_disk(model, image, tmp_path):
    first = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    cache = first.cache
    misses = cache.misses
    first.set_image(image)
    assert cache.misses == misses + 1
    first.set_image(image)  # the same image: free
    second = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    hits = dict(cache.hits)
    second.set_image(image.copy())
    assert cache.hits["memory"] == hits["memory"] + 1
    cache.forget_memory()
    third = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    start = time.perf_counter()
    third.set_image(image.copy())
    assert time.perf_counter() - start < 0.5
    assert cache.hits["disk"] == hits["disk"] + 1
    assert torch.equal(third._features, first._features)
    assert len(list((tmp_path / "embeddings").glob("*.npz"))) == 1
    other = image.copy()
    other[0, 0] = 0
    third.set_image(other)
    assert len(list((tmp_path / "embeddings").glob("*.npz"))) == 2


def test_a_new_process_loads_the_embedding_from_disk(model, image, tmp_path):
    register_tiny()
    ckpt = tmp_path / "tiny.pth"
    torch.save(model.state_dict(), ckpt)
    np.save(tmp_path / "image.npy", image)
    script = (
        "import sys, time, numpy as np; sys.path.insert(0, {tests!r});"
        "from sam_models import register_tiny; register_tiny();"
        "import interactive_seg as iseg;"
        "e = iseg.get_engine('sam', model_type='tiny', checkpoint={ckpt!r}, device='cpu');"
        "img = np.load({img!r}); t = time.perf_counter(); e.set_image(img);"
        "print(time.perf_counter() - t, e.cache.hits['disk'], e.cache.misses)"
    ).format(tests=str(Path(__file__).parent), ckpt=str(ckpt), img=str(tmp_path / "image.npy"))
    env = dict(os.environ, INTERACTIVE_SEG_CACHE_DIR=str(tmp_path / "cache"))
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    _, hits1, misses1 = first.stdout.split()
    seconds, hits2, misses2 = second.stdout.split()
    assert (hits1, misses1) == ("0", "1") and (hits2, misses2) == ("1", "0")
    assert float(seconds) < 0.5


def test_damaged_cache_entry_is_recomputed(model, image, tmp_path):
    engine = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    engine.set_image(image)
    (entry,) = (tmp_path / "embeddings").glob("*.npz")
    entry.write_bytes(b"broken")
    engine.cache.forget_memory()
    again = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    again.set_image(image.copy())
    assert torch.equal(again._features, engine._features)


def test_embedding_steps_report_progress_and_can_stop(model, image, tmp_path):
    engine = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    steps = engine.embed_steps(image)
    first = next(steps)
    assert 0 < first < 1
    steps.close()  # cancelled: nothing is set
    assert engine._features is None
    fractions = list(engine.embed_steps(image))
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_scribbles_priors_and_refinement_reach_sam(engine, image):
    engine.set_image(image)
    scribbles = np.zeros(image.shape[:2], np.uint8)
    scribbles[100, 50:200] = 1
    scribbles[20:25, 300:310] = 2
    args = engine.sam_inputs(Prompts(scribbles=scribbles).validated(image.shape))
    labels = args["point_labels"].tolist()
    assert labels.count(1) == 3 and labels.count(0) == 3
    assert all(49 <= x <= 200 and y == 100 for (x, y), lab in zip(args["point_coords"], labels) if lab == 1)
    prior = np.zeros(image.shape[:2], bool)
    prior[100:200, 100:300] = True
    args = engine.sam_inputs(Prompts(prior=prior).validated(image.shape))
    mask_input = args["mask_input"][0]
    assert mask_input.shape == (256, 256)
    # resized like the image: longest side (451) to 256, so 300 rows become 170, the rest is padding
    assert mask_input[170:, :].max() < 0 and mask_input[80, 120] > 0 and mask_input[20, 20] < 0
    result = engine.segment(Prompts(points=[(100.5, 100.5)]))
    assert result.logits.shape == (256, 256)
    args = engine.sam_inputs(
        Prompts(points=[(100.5, 100.5), (300.5, 50.5)], point_labels=[1, 0]).validated(image.shape)
    )
    assert np.array_equal(args["mask_input"][0], result.logits) and not args["multimask_output"]
    engine.reset()
    assert (
        engine.sam_inputs(Prompts(points=[(100.5, 100.5), (300.5, 50.5)], point_labels=[1, 0]).validated(image.shape))[
            "mask_input"
        ]
        is None
    )


def test_prompt_errors(engine, image):
    with pytest.raises(InputError, match="set_image"):
        engine.segment(Prompts(box=(0, 0, 5, 5)))
    engine.set_image(image)
    with pytest.raises(InputError, match="off the image"):
        engine.segment(Prompts(points=[(1000, 5)]))


# -- downloading (pooch: one published file checked against its SHA-256) -----------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b""

    def do_GET(self):  # noqa: N802
        data = type(self).payload
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _info(server, payload, sha=None):
    import hashlib

    from interactive_seg.engines.sam import sam1

    _Handler.payload = payload
    return checkpoints.ModelInfo(
        "tiny",
        sam1.__name__,
        len(payload),
        "test",
        url=f"http://127.0.0.1:{server.server_address[1]}/tiny.pth",
        file_name="tiny.pth",
        sha256=sha or hashlib.sha256(payload).hexdigest(),
    )


def test_download_verifies_and_keeps_the_file_in_the_cache(server, tmp_path):
    payload = os.urandom(300_000)
    path = checkpoints.download("tiny", cache=tmp_path, info=_info(server, payload), progress=False)
    assert path.read_bytes() == payload and path.parent == tmp_path / "models"
    assert [p.name for p in path.parent.iterdir()] == ["tiny.pth"]  # nothing half-written beside it


def test_corrupted_download_is_deleted_and_reported(server, tmp_path):
    info = _info(server, os.urandom(50_000), sha="0" * 64)
    with pytest.raises(InputError, match="corrupted"):
        checkpoints.download("tiny", cache=tmp_path, info=info, progress=False)
    assert not list((tmp_path / "models").iterdir())


def test_unreachable_server_is_an_input_error(tmp_path):
    info = checkpoints.ModelInfo(
        "tiny", "x", 1, "test", url="http://127.0.0.1:9/none", file_name="tiny.pth", sha256="0" * 64
    )
    with pytest.raises(InputError, match="Cannot reach"):
        checkpoints.download("tiny", cache=tmp_path, info=info, progress=False)


def test_download_reports_its_bytes_and_a_cancel_stops_it_leaving_nothing(server, tmp_path):
    """download(report=, cancel=): the bytes written reach the caller as they arrive (the
    widget's progress bar), and setting the event stops the download with Cancelled; pooch
    deletes the half-written file."""
    import threading

    from interactive_seg.engines.sam import models

    payload = os.urandom(600_000)
    info = _info(server, payload)
    seen = []
    path = checkpoints.download(
        "tiny", cache=tmp_path, info=info, report=lambda done, total: seen.append((done, total))
    )
    assert path.read_bytes() == payload
    assert len(seen) > 10 and seen[-1] == (len(payload), len(payload))
    assert all(total == len(payload) for _, total in seen)
    assert [d for d, _ in seen[:-1]] == sorted(d for d, _ in seen[:-1])  # rising, until pooch's final reset
    path.unlink()

    cancel = threading.Event()
    reports = []

    def report(done, total):
        reports.append(done)
        if done >= 100_000:
            cancel.set()

    with pytest.raises(models.Cancelled):
        checkpoints.download("tiny", cache=tmp_path, info=info, report=report, cancel=cancel)
    assert max(reports) < len(payload)
    assert not list((tmp_path / "models").iterdir())  # nothing half-written is kept


def test_auto_device_picks_cuda_then_mps_then_cpu(monkeypatch):
    from interactive_seg.engines.sam import runtime

    mps = torch.backends.mps
    for cuda, apple, expected in [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]:
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        monkeypatch.setattr(mps, "is_available", lambda apple=apple: apple)
        assert runtime.resolve_device("auto").type == expected
        assert runtime.resolve_device("AUTO").type == expected


def test_the_encoder_runs_in_bf16_autocast_on_cuda_and_fp32_elsewhere():
    """precision="auto": bfloat16 autocast for the encoder on CUDA, none on the CPU or MPS; the
    autocast context is made for the engine's device type (checked here without a GPU)."""
    import warnings

    from interactive_seg.engines.sam import runtime

    cuda, cpu, mps = torch.device("cuda"), torch.device("cpu"), torch.device("mps")
    assert runtime.resolve_precision("auto", cuda) is torch.bfloat16
    assert runtime.resolve_precision("auto", cpu) is None and runtime.resolve_precision("auto", mps) is None
    assert runtime.resolve_precision("fp32", cuda) is None and runtime.resolve_precision("bf16", cpu) is torch.bfloat16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that CUDA is not here; the context is what is checked
        context = runtime.encoder_autocast(cuda, torch.bfloat16)
    assert isinstance(context, torch.autocast) and context.device == "cuda" and context.fast_dtype is torch.bfloat16
    assert not isinstance(runtime.encoder_autocast(cpu, None), torch.autocast)


def test_engine_finds_downloaded_checkpoint_by_model_type(server, tmp_path, model, monkeypatch, image):
    import io

    from interactive_seg.engines.sam import sam1

    register_tiny()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    monkeypatch.setattr(sam1, "MODELS", (*sam1.MODELS, _info(server, buffer.getvalue())))
    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    from interactive_seg import cli

    assert cli.main(["models", "download", "tiny", "-q"]) == 0
    engine = iseg.get_engine("sam", model_type="tiny", device="cpu")
    engine.set_image(image)
    assert engine.segment(Prompts(box=(50, 40, 300, 250))).mask.shape == image.shape[:2]


def test_models_list_cli(capsys, tmp_path, monkeypatch):
    from interactive_seg import cli

    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("vit_h", "vit_l", "vit_b", "vit_t", "sam_vit_b_01ec64.pth", "not cached", "375.0 MB"):
        assert name in out
    assert cli.main(["models", "download", "nope"]) == 2
    assert "'nope' names no model and no model folder" in capsys.readouterr().err
    assert cli.main(["models", "download", "vit-t"]) == 2  # a near miss is named
    assert "Did you mean vit_t?" in capsys.readouterr().err


@pytest.mark.parametrize("depth", [1, 2])
def test_fast_decoder_computes_the_stock_decoder(depth):
    """The rearranged decoder (image part once, reassociated projections, sub-pixel
    upscaling, best mask only) gives the stock decoder's logits, score and choice."""
    from segment_anything.modeling import MaskDecoder, PromptEncoder, TwoWayTransformer

    from interactive_seg.engines.sam.decoder import FastDecoder, supports

    torch.manual_seed(depth)
    decoder = MaskDecoder(
        num_multimask_outputs=3,
        transformer=TwoWayTransformer(depth=depth, embedding_dim=256, mlp_dim=512, num_heads=8),
        transformer_dim=256,
        iou_head_depth=3,
        iou_head_hidden_dim=64,
    ).eval()
    prompt_encoder = PromptEncoder(
        embed_dim=256, image_embedding_size=(64, 64), input_image_size=(1024, 1024), mask_in_chans=16
    ).eval()
    assert supports(decoder)
    with torch.inference_mode():
        pe = prompt_encoder.get_dense_pe()
        fast = FastDecoder(decoder, pe)
        embedding = torch.randn(1, 256, 64, 64)
        prompts = [
            dict(points=None, boxes=torch.tensor([[100.0, 120.0, 700.0, 800.0]]), masks=None),
            dict(points=(torch.tensor([[[300.0, 400.0]]]), torch.tensor([[1]])), boxes=None, masks=None),
            dict(
                points=(torch.tensor([[[300.0, 400.0], [600.0, 100.0]]]), torch.tensor([[1, 0]])),
                boxes=None,
                masks=torch.randn(1, 1, 256, 256),
            ),
        ]
        for kind, prompt in enumerate(prompts):
            sparse, dense = prompt_encoder(**prompt)
            for multimask in (False, True):
                masks, scores = decoder(embedding, pe, sparse, dense, multimask)
                if prompt["masks"] is None:
                    fast.prepare(embedding, dense)
                    logits, score, best = fast(sparse, multimask)
                else:
                    logits, score, best = fast(sparse, multimask, fast.image_part(embedding, dense))
                assert best == int(torch.argmax(scores[0])), (kind, multimask)
                assert float(score) == pytest.approx(float(scores[0, best]), abs=1e-4)
                stock = masks[0, best]
                assert torch.allclose(logits, stock, atol=1e-3 * float(stock.abs().max()) + 1e-4), (kind, multimask)
                agree = ((logits > 0) == (stock > 0)).float().mean()
                assert agree > 0.9999


def test_stock_decoder_remains_an_option(model, image, tmp_path):
    fast = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path)
    stock = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path, fast_decoder=False)
    assert fast._fast is not None and stock._fast is None
    fast.set_image(image)
    stock.set_image(image)
    for prompts in (Prompts(box=(50, 40, 300, 250)), Prompts(points=[(100.5, 100.5)])):
        fast.reset()
        stock.reset()
        np.testing.assert_array_equal(fast.segment(prompts).mask, stock.segment(prompts).mask)


def test_bf16_encoder_path_and_batches(model, image, tmp_path):
    """The encoder's bfloat16 autocast (the default on CUDA) runs, here on the CPU, and stays close
    to float32; embed_many's batches give the entries set_image computes."""
    p = Prompts(box=(50, 40, 300, 250))
    fp32 = iseg.get_engine(
        "sam", model=model, device="cpu", precision="fp32", disk_cache=False, cache_dir=tmp_path / "a"
    )
    bf16 = iseg.get_engine(
        "sam", model=model, device="cpu", precision="bf16", disk_cache=False, cache_dir=tmp_path / "b"
    )
    fp32.set_image(image)
    bf16.set_image(image)
    a, b = fp32.segment(p).mask, bf16.segment(p).mask
    assert np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b)) >= 0.95
    batched = iseg.get_engine("sam", model=model, device="cpu", cache_dir=tmp_path / "c")  # its own cache folder
    new = [np.roll(image, 7, axis=1), np.roll(image, 13, axis=0)]
    assert batched.embed_many(new, batch_size=2) == ["computed", "computed"]
    misses = batched.cache.misses
    batched.set_image(new[1])
    fp32.set_image(new[1])
    assert batched.cache.misses == misses and torch.allclose(batched._features, fp32._features, atol=1e-4)


def test_a_file_cut_short_in_the_cache_is_not_a_cached_model(tmp_path):
    """models list called a 5-byte file under the official name "cached"; the engine then
    failed on it."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "sam_vit_b_01ec64.pth").write_bytes(b"junk\n")
    assert not checkpoints.is_cached("vit_b", tmp_path)
    with pytest.raises(InputError, match="not the official file's 375042383"):
        checkpoints.find_checkpoint("vit_b", tmp_path)
