"""Small randomly initialised SAM models for tests (a couple of MB, seconds on CPU)."""

from functools import partial


def tiny_sam(checkpoint=None, seed=0, img_size=1024):
    """SAM's architecture with two small encoder blocks and random weights; ``img_size`` the encoder's input side."""
    import torch
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

    torch.manual_seed(seed)
    model = Sam(
        image_encoder=ImageEncoderViT(
            depth=2, embed_dim=32, img_size=img_size, mlp_ratio=2, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=2, patch_size=16, qkv_bias=True, use_rel_pos=True, global_attn_indexes=[1], window_size=14, out_chans=256,
        ),
        prompt_encoder=PromptEncoder(embed_dim=256, image_embedding_size=(img_size // 16, img_size // 16), input_image_size=(img_size, img_size),
                                     mask_in_chans=16),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=1, embedding_dim=256, mlp_dim=256, num_heads=8),
            transformer_dim=256, iou_head_depth=3, iou_head_hidden_dim=64,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    return model.eval()


def register_tiny():
    from interactive_seg.engines.sam import register_sam_builder

    register_sam_builder("tiny", tiny_sam)
