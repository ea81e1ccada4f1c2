"""The widget's Models panel: a model not in the cache is downloaded from the panel (progress,
cancel, a gated model's login), then offered and chosen in the engine menu. Real clicks in
napari under Xvfb; huggingface_hub's network side is replaced by a fake that feeds the real
download code (interactive_seg.engines.sam.models) its progress bars the way
snapshot_download does, and writes the Hub cache layout at the end."""

import shutil
import time

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")
pytest.importorskip("torch")
pytest.importorskip("transformers")
huggingface_hub = pytest.importorskip("huggingface_hub")

from sam_models import tiny_sam2_folder  # noqa: E402

from conftest import box, disc_scene, docked_widget, wait  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.sam]

TINY, TINY_REPO = "sam2.1_hiera_tiny", "facebook/sam2.1-hiera-tiny"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """snapshot_download without a network: bytes bars made from ``tqdm_class`` as
    huggingface_hub makes them, ``chunks`` updates with a pause, then the cache layout."""

    def __init__(self, folder, chunks=40, pause=0.02):
        self.folder, self.chunks, self.pause = folder, chunks, pause
        self.calls, self.sent = [], 0
        self.error = None
        self.real = huggingface_hub.snapshot_download

    def __call__(self, repo_id, *, cache_dir=None, local_files_only=False, tqdm_class=None, **kwargs):
        if local_files_only:  # the cache is read by the real code
            return self.real(repo_id, cache_dir=cache_dir, local_files_only=True, **kwargs)
        self.calls.append(repo_id)
        if self.error is not None:
            raise self.error
        assert tqdm_class is not None  # the panel's progress comes through huggingface_hub's bars
        written = tqdm_class(desc="Reconstructing (incomplete total...)", total=0, initial=0, unit="B")
        received = tqdm_class(desc="Downloading bytes", total=0, initial=0, unit="B")
        size = 64 * 1024 * self.chunks
        written.total += size
        received.total += size
        with tqdm_class(total=1, desc="Fetching 1 files") as files:
            for _ in range(self.chunks):
                time.sleep(self.pause)
                written.update(64 * 1024)
                self.sent += 1
            files.update(1)
        root = cache_dir / ("models--" + repo_id.replace("/", "--"))
        (root / "refs").mkdir(parents=True, exist_ok=True)
        (root / "refs" / "main").write_text(COMMIT)
        shutil.copytree(self.folder, root / "snapshots" / COMMIT)
        return str(root / "snapshots" / COMMIT)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return tiny_sam2_folder(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture
def setup(make_napari_viewer, qtbot, tmp_path, monkeypatch, tiny_folder):
    from interactive_seg.plugin import models_panel

    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    monkeypatch.setattr(models_panel, "RECHECK_MS", 100)
    hub = FakeHub(tiny_folder)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", hub)
    pooch = pytest.importorskip("pooch")

    def no_network(*args, **kwargs):
        raise AssertionError("a test reached for the network")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    viewer = make_napari_viewer(show=True)
    image, _ = disc_scene(height=120, width=160)
    widget = docked_widget(viewer, image)
    widget.engine_combo.setCurrentText("sam")
    return viewer, widget, hub


def click(qtbot, button):
    from qtpy.QtCore import Qt

    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(qtbot, combo, name):
    """Open ``combo``'s list and click the entry of model ``name``."""
    from qtpy.QtCore import Qt

    index = combo.findData(name)
    assert index >= 0, name
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: combo.currentData() == name)


def enabled(widget, name):
    field = widget.engines.field("sam", "model_type")
    return field.model().item(field.findText(name)).isEnabled()


def test_a_model_downloads_with_its_progress_then_is_chosen_and_segments(setup, qtbot):
    viewer, widget, hub = setup
    panel = widget.models_panel
    assert panel.isVisible()
    listed = [panel.choice.itemData(i) for i in range(panel.choice.count())]
    assert TINY in listed and "sam3" in listed and "vit_b" in listed  # nothing is in the cache
    assert not enabled(widget, TINY)
    choose(qtbot, panel.choice, TINY)
    click(qtbot, panel.download_button)
    assert panel.downloading == TINY and panel.progress.isVisible() and panel.cancel_button.isVisible()
    assert not panel.download_button.isEnabled()
    values = []
    qtbot.waitUntil(lambda: values.append(panel.progress.value()) or 0 < panel.progress.value() < 1000, timeout=10000)
    assert "of 2.6 MB" in panel.progress.format()  # the bytes written, of the files' total
    qtbot.waitUntil(lambda: not panel.downloading, timeout=20000)
    assert hub.calls == [TINY_REPO] and hub.sent == hub.chunks
    assert not panel.progress.isVisible() and not panel.cancel_button.isVisible()
    # in the cache: the engine menu offers it and has chosen it; the panel no longer lists it
    assert enabled(widget, TINY)
    assert widget.engines.options()["model_type"] == TINY
    assert panel.choice.findData(TINY) < 0
    assert f"{TINY} is downloaded" in panel.message.text() and panel.message.isVisible()
    # and it segments: the embedding runs with the downloaded model, a box gives a preview
    wait(qtbot, widget, timeout=60000)
    box(viewer, 45, 25, 115, 95)
    wait(qtbot, widget, timeout=60000)
    assert widget.last_result is not None and widget.last_result.info["model"].startswith(TINY)


def test_cancel_stops_the_download_and_the_model_stays_listed(setup, qtbot):
    _, widget, hub = setup
    hub.chunks, hub.pause = 400, 0.02  # 8 seconds if nothing stops it
    panel = widget.models_panel
    choose(qtbot, panel.choice, TINY)
    click(qtbot, panel.download_button)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=10000)
    click(qtbot, panel.cancel_button)
    assert panel.cancel_button.text() == "Cancelling..." and not panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.downloading, timeout=5000)
    assert 0 < hub.sent < hub.chunks  # stopped at the next chunk, not run to the end
    assert "cancelled" in panel.message.text() and "resumes" in panel.message.text()
    assert panel.choice.findData(TINY) >= 0 and not enabled(widget, TINY)
    assert panel.download_button.isEnabled() and not panel.progress.isVisible()
    # a second Download fetches it
    hub.chunks = 5
    choose(qtbot, panel.choice, TINY)
    click(qtbot, panel.download_button)
    qtbot.waitUntil(lambda: not panel.downloading, timeout=20000)
    assert enabled(widget, TINY) and len(hub.calls) == 2
    wait(qtbot, widget, timeout=60000)  # the embedding with the chosen model, before the viewer closes


def test_a_gated_model_without_a_login_says_how_to_log_in_until_it_no_longer_applies(setup, qtbot, monkeypatch):
    import httpx2
    from huggingface_hub.errors import GatedRepoError
    from qtpy.QtCore import Qt

    _, widget, hub = setup
    panel = widget.models_panel
    choose(qtbot, panel.choice, "sam3")
    text = panel.message.text()
    assert panel.message.isVisible() and "hf auth login" in text and "https://huggingface.co/facebook/sam3" in text
    assert text.count(".") >= 1 and "\n" not in text
    field = widget.engines.field("sam", "model_type")
    assert field.itemData(field.findText("sam3"), Qt.ItemDataRole.ToolTipRole) == text  # the menu says it too
    click(qtbot, panel.download_button)  # nothing is fetched without a login; the sentence stays
    assert not hub.calls and not panel.downloading and panel.message.text() == text
    qtbot.wait(300)
    assert panel.message.isVisible() and panel.message.text() == text
    # logged in (in a terminal): the sentence goes
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_token")
    qtbot.waitUntil(lambda: not panel.message.isVisible() or panel.message.text() != text, timeout=3000)
    # logged in, but the licence not accepted: the Hub refuses, and the panel says how, whole
    request = httpx2.Request("GET", "https://huggingface.co/facebook/sam3/resolve/main/config.json")
    hub.error = GatedRepoError("403 access to this model is restricted", response=httpx2.Response(403, request=request))
    click(qtbot, panel.download_button)
    qtbot.waitUntil(lambda: not panel.downloading, timeout=5000)
    assert hub.calls == ["facebook/sam3"]
    assert panel.message.isVisible() and panel.message.text() == text
    assert "Traceback" not in panel.message.text()
    # another choice: the sentence no longer applies
    choose(qtbot, panel.choice, TINY)
    assert not panel.message.isVisible()


def test_the_panel_is_only_there_for_an_engine_with_models(setup, qtbot):
    _, widget, _ = setup
    assert widget.models_panel.isVisible()
    widget.engine_combo.setCurrentText("grabcut")
    assert not widget.models_panel.isVisible()
    widget.engine_combo.setCurrentText("sam")
    assert widget.models_panel.isVisible()


def test_closing_napari_during_a_download_stops_it(setup, qtbot):
    viewer, widget, hub = setup
    hub.chunks, hub.pause = 400, 0.02
    panel = widget.models_panel
    choose(qtbot, panel.choice, TINY)
    click(qtbot, panel.download_button)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=10000)
    viewer.close()
    qtbot.wait(500)
    sent = hub.sent
    qtbot.wait(300)
    assert hub.sent == sent < hub.chunks  # stopped, and nothing reported into the closed panel
