"""Imported on batch workers by the SAM batch tests (``--preload batch_tiny_sam``).

Registers the ``micro`` SAM model type: SAM's architecture at a 256-pixel input (16 x 16
image tokens), random weights, so that a worker embeds an image in milliseconds. Speed
and masks do not matter here, only that every path gives the same result.
"""

from functools import partial


def micro_sam(checkpoint=None, seed=0):
    import torch
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

    torch.manual_seed(seed)
    model = Sam(
        image_encoder=ImageEncoderViT(
            depth=2, embed_dim=32, img_size=256, mlp_ratio=2, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=2, patch_size=16, qkv_bias=True, use_rel_pos=True, global_attn_indexes=[1], window_size=4, out_chans=64,
        ),
        prompt_encoder=PromptEncoder(embed_dim=64, image_embedding_size=(16, 16), input_image_size=(256, 256), mask_in_chans=8),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=1, embedding_dim=64, mlp_dim=64, num_heads=4),
            transformer_dim=64, iou_head_depth=2, iou_head_hidden_dim=32,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    return model.eval()


def register():
    from interactive_seg.engines.sam import register_sam_builder

    register_sam_builder("micro", micro_sam)


register()
