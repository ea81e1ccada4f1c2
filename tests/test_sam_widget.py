"""The widget's engine menu lists every SAM family's models; only those usable now are selectable."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("qtpy")

from sam_models import tiny_sam2_folder

pytestmark = [pytest.mark.gui, pytest.mark.sam]


def _hub_cache(cache, repo, folder):
    import shutil

    root = cache / "models" / "huggingface" / ("models--" + repo.replace("/", "--"))
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text("0" * 40)
    shutil.copytree(folder, root / "snapshots" / ("0" * 40))


def test_the_model_menu_lists_every_family_and_greys_out_what_needs_a_download(qtbot, tmp_path, monkeypatch):
    import huggingface_hub
    from qtpy.QtCore import Qt

    from interactive_seg.engines import engine_class
    from interactive_seg.plugin.engine_panel import EnginePanel

    monkeypatch.setenv("INTERACTIVE_SEG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    _hub_cache(tmp_path, "facebook/sam2.1-hiera-tiny", tiny_sam2_folder(tmp_path / "tiny"))
    errors = []
    panel = EnginePanel(on_change=lambda: None, on_error=errors.append)
    qtbot.addWidget(panel)
    panel.combo.setCurrentText("sam")
    combo = panel.field("sam", "model_type")
    names = [combo.itemText(i) for i in range(combo.count())]
    assert names == list(engine_class("sam").model_types)
    assert {"vit_b", "vit_t", "sam2.1_hiera_tiny", "sam2.1_hiera_large", "sam3"} <= set(names)
    enabled = {combo.itemText(i) for i in range(combo.count()) if combo.model().item(i).isEnabled()}
    assert enabled == {"sam2.1_hiera_tiny"}  # the only one in the cache
    tip = combo.itemData(names.index("sam2.1_hiera_large"), Qt.ItemDataRole.ToolTipRole)
    assert "interactive-seg models download sam2.1_hiera_large" in tip
    tip = combo.itemData(names.index("sam3"), Qt.ItemDataRole.ToolTipRole)
    assert "hf auth login" in tip  # gated, and no Hugging Face token here: how to log in
    assert not errors
