"""Small randomly initialised SAM models for tests (a couple of MB, seconds on CPU)."""

from functools import partial


def tiny_sam(checkpoint=None, seed=0, img_size=1024):
    """SAM's architecture with two small encoder blocks and random weights; ``img_size`` the encoder's input side."""
    import torch
    from segment_anything.modeling import (
        ImageEncoderViT,
        MaskDecoder,
        PromptEncoder,
        Sam,
        TwoWayTransformer,
    )

    torch.manual_seed(seed)
    model = Sam(
        image_encoder=ImageEncoderViT(
            depth=2,
            embed_dim=32,
            img_size=img_size,
            mlp_ratio=2,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=2,
            patch_size=16,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=[1],
            window_size=14,
            out_chans=256,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=256,
            image_embedding_size=(img_size // 16, img_size // 16),
            input_image_size=(img_size, img_size),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=1, embedding_dim=256, mlp_dim=256, num_heads=8),
            transformer_dim=256,
            iou_head_depth=3,
            iou_head_hidden_dim=64,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    return model.eval()


def register_tiny():
    from interactive_seg.engines.sam import register_sam_builder

    register_sam_builder("tiny", tiny_sam)


# -- SAM 2.1 and SAM 3 tracker: tiny transformers models saved as model folders ------------------


def tiny_sam2_folder(folder, seed=0, size=256):
    """A SAM 2.1 model folder (``save_pretrained`` layout: config, safetensors, processor) from
    the family's transformers config with tiny widths and a ``size``-pixel input."""
    import torch
    from transformers import Sam2Config, Sam2ImageProcessor, Sam2Model, Sam2Processor

    vision = {
        "model_type": "sam2_vision_model",
        "backbone_config": {
            "model_type": "sam2_hiera_det_model",
            "hidden_size": 16,
            "num_attention_heads": 1,
            "image_size": [size, size],
            "blocks_per_stage": [1, 1, 2, 1],
            "embed_dim_per_stage": [16, 32, 64, 128],
            "num_attention_heads_per_stage": [1, 1, 1, 1],
            "global_attention_blocks": [3],
            "window_size_per_stage": [4, 4, 4, 4],
            "window_positional_embedding_background_size": [4, 4],
        },
        "backbone_channel_list": [128, 64, 32, 16],
        "backbone_feature_sizes": [[size // 4, size // 4], [size // 8, size // 8], [size // 16, size // 16]],
        "fpn_hidden_size": 32,
    }
    config = Sam2Config(
        vision_config=vision,
        prompt_encoder_config={"hidden_size": 32, "image_size": size},
        mask_decoder_config={"hidden_size": 32, "mlp_dim": 64, "num_attention_heads": 2, "iou_head_hidden_dim": 32},
    )
    torch.manual_seed(seed)
    Sam2Model(config).eval().save_pretrained(folder)
    Sam2Processor(image_processor=Sam2ImageProcessor(size={"height": size, "width": size})).save_pretrained(folder)
    return folder


def tiny_sam3_folder(folder, seed=0, size=224):
    """A SAM 3 tracker model folder from the family's transformers config with tiny widths
    and a ``size``-pixel input (patches of 14)."""
    import torch
    from transformers import (
        Sam3ImageProcessor,
        Sam3TrackerConfig,
        Sam3TrackerModel,
        Sam3TrackerProcessor,
    )

    tokens = size // 14
    vision = {
        "model_type": "sam3_vision_model",
        "backbone_config": {
            "model_type": "sam3_vit_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": size,
            "patch_size": 14,
            "window_size": 8,
            "global_attn_indexes": [1],
            "pretrain_image_size": size,
        },
        "fpn_hidden_size": 32,
        "backbone_feature_sizes": [[tokens * 4, tokens * 4], [tokens * 2, tokens * 2], [tokens, tokens]],
    }
    config = Sam3TrackerConfig(
        vision_config=vision,
        prompt_encoder_config={"hidden_size": 32, "image_size": size, "patch_size": 14},
        mask_decoder_config={"hidden_size": 32, "mlp_dim": 64, "num_attention_heads": 2, "iou_head_hidden_dim": 32},
    )
    torch.manual_seed(seed)
    Sam3TrackerModel(config).eval().save_pretrained(folder)
    Sam3TrackerProcessor(image_processor=Sam3ImageProcessor(size={"height": size, "width": size})).save_pretrained(
        folder
    )
    return folder


def tiny_sam3_concept_folder(folder, seed=0, size=224):
    """A whole SAM 3 model folder (``Sam3Model``: the concept detector, text encoder included) from
    its transformers config with tiny widths, a ``size``-pixel input and a CLIP tokenizer over
    single letters (no download)."""
    import json
    from pathlib import Path

    import torch
    from transformers import (
        CLIPTokenizer,
        Sam3Config,
        Sam3ImageProcessor,
        Sam3Model,
        Sam3Processor,
    )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokens = size // 14
    vision = {
        "model_type": "sam3_vision_model",
        "backbone_config": {
            "model_type": "sam3_vit_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": size,
            "patch_size": 14,
            "window_size": 8,
            "global_attn_indexes": [1],
            "pretrain_image_size": size,
        },
        "fpn_hidden_size": 32,
        "backbone_feature_sizes": [[tokens * 4, tokens * 4], [tokens * 2, tokens * 2], [tokens, tokens]],
    }
    small = {"hidden_size": 32, "num_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
    config = Sam3Config(
        vision_config=vision,
        text_config={
            "model_type": "clip_text_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "vocab_size": 64,
            "max_position_embeddings": 32,
            "projection_dim": 32,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        geometry_encoder_config=small,
        detr_encoder_config=small,
        detr_decoder_config={**small, "num_queries": 20},
        mask_decoder_config={"hidden_size": 32, "num_attention_heads": 2},
    )
    torch.manual_seed(seed)
    Sam3Model(config).eval().save_pretrained(folder)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for i, letter in enumerate("abcdefghijklmnopqrstuvwxyz"):
        vocab[letter], vocab[letter + "</w>"] = 2 + i, 28 + i
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(vocab_file=str(folder / "vocab.json"), merges_file=str(folder / "merges.txt"))
    Sam3Processor(
        image_processor=Sam3ImageProcessor(size={"height": size, "width": size}), tokenizer=tokenizer
    ).save_pretrained(folder)
    return folder
