"""SAM's mask decoder, rearranged so that a prompt costs as little as the arithmetic allows.

``segment_anything``'s ``MaskDecoder`` recomputes, for every prompt, work that depends on
the image only, and on a CPU it spends much of its time copying 4096 x 256 tensors rather
than multiplying them. This module computes the same function, with the same weights,
in another order (so the masks agree with the stock decoder up to float rounding):

- **Once per model**: the positional encoding's share of every projection of "image
  tokens plus positional encoding".
- **Once per image** (when no mask is given as a prompt, the dense prompt embedding is the
  constant ``no_mask_embed``): the image tokens plus that embedding and the positional
  encoding, and the first layer's image-side projections (token-to-image keys and values,
  image-to-token queries), which do not depend on the prompt at all.
- **Per prompt**, image-to-token attention applies its output projection to the handful
  of prompt tokens before the attention weights mix them (``A (V W) == (A V) W``): a
  (4096 x 8T) @ (8T x 256) product instead of a 4096 x 128 x 256 one; the projections of
  the image tokens in the later layers are one fused matrix product, with the positional
  encoding's share precomputed.
- **Upscaling**: the two stride-2 transposed convolutions map each pixel to its own 2 x 2
  block, so they are matrix products on pixel rows, kept in sub-pixel order until the one
  chosen mask is laid out at 256 x 256. Only the best-scored mask (by SAM's IoU head,
  computed before upscaling) is upscaled.

Used by :class:`~interactive_seg.engines.sam.SamEngine` for every prompt; a prompt with a
mask input (a prior, or the previous refinement's logits) computes the first layer's
image part for that prompt instead of taking the prepared one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["FastDecoder", "supports"]


def supports(decoder) -> bool:
    """True when ``decoder`` has the structure of segment_anything's MaskDecoder (also
    MobileSAM's): two-way transformer layers, stride-2 upscaling, LayerNorm2d, GELU."""
    try:
        t = decoder.transformer
        up = decoder.output_upscaling
        layers = list(t.layers)
        return (
            len(layers) >= 1
            and layers[0].skip_first_layer_pe
            and not any(layer.skip_first_layer_pe for layer in layers[1:])
            and len(up) == 5
            and all(tuple(up[i].kernel_size) == (2, 2) and tuple(up[i].stride) == (2, 2) for i in (0, 3))
            and all(type(up[i]).__name__ == "GELU" and up[i].approximate == "none" for i in (2, 4))
            and type(up[1]).__name__ == "LayerNorm2d"
        )
    except (AttributeError, TypeError, IndexError):
        return False


def _per_head(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(T, heads * d) token projections -> block-diagonal (heads * T, heads * d): one matrix
    product with it gives every head's scores against all image tokens at once, reading
    the image side straight from its (N, heads * d) projection (no per-head copies)."""
    t, c = x.shape
    return torch.block_diag(*x.reshape(t, heads, c // heads).transpose(0, 1))


def _heads_and_out(attn) -> tuple:
    """An attention module's head count and output projection: segment_anything names them
    ``num_heads`` and ``out_proj``, transformers' SAM 2 / SAM 3 ``num_attention_heads`` and
    ``o_proj`` (the same arithmetic)."""
    if hasattr(attn, "out_proj"):
        return attn.num_heads, attn.out_proj
    return attn.num_attention_heads, attn.o_proj


def _token_to_image(attn, q_tokens, k_image, v_image) -> torch.Tensor:
    """Tokens attend to the image; ``k_image`` and ``v_image`` already projected, (N, h * d)."""
    heads, out_proj = _heads_and_out(attn)
    q = F.linear(q_tokens, attn.q_proj.weight, attn.q_proj.bias)
    t, c = q.shape
    d = c // heads
    weights = torch.softmax(_per_head(q, heads) @ k_image.t() / math.sqrt(d), dim=-1)  # (h * T, N)
    blocks = (weights @ v_image).view(heads, t, heads, d)  # head i's rows against head i's columns
    index = torch.arange(heads, device=q.device)
    out = blocks[index, :, index, :].transpose(0, 1).reshape(t, c)
    return out_proj(out)


def _image_to_token(attn, q_image, k_tokens, v_tokens) -> torch.Tensor:
    """The image attends to the tokens; ``q_image`` already projected, (N, h * d).

    Scores are laid out (head, token, pixel), so the softmax over the few tokens runs along
    a short middle axis (on a CPU ~20 times faster than along a last axis of length T), and
    the output projection is applied to the values first: the sum over heads of
    ``A_h (V_h W_h)`` equals ``W (concat_h A_h V_h)``.
    """
    heads, out_proj = _heads_and_out(attn)
    k = F.linear(k_tokens, attn.k_proj.weight, attn.k_proj.bias)
    v = F.linear(v_tokens, attn.v_proj.weight, attn.v_proj.bias)
    t, c = k.shape
    d = c // heads
    scores = (_per_head(k, heads) @ q_image.t() / math.sqrt(d)).view(heads, t, -1)
    weights = torch.softmax(scores, dim=1).view(heads * t, -1)  # (h * T, N)
    w_out = out_proj.weight  # (C, h * d)
    vw = torch.einsum("thd,chd->htc", v.view(t, heads, d), w_out.view(w_out.shape[0], heads, d))  # (h, T, C)
    return torch.addmm(out_proj.bias, weights.t(), vw.reshape(heads * t, -1))


class FastDecoder:
    """The mask decoder of one SAM model, with the per-image part computed once.

    ``tests/test_sam.py`` checks it against the stock decoder (depth 1 and 2, boxes, points,
    mask inputs, single and multimask output).
    """

    def __init__(self, decoder, image_pe: torch.Tensor):
        self.decoder = decoder
        t = decoder.transformer
        self.layers = list(t.layers)
        up = decoder.output_upscaling
        conv1, self.norm, conv2 = up[0], up[1], up[3]
        # transposed conv weights (in, out, 2, 2) -> (in, 2 * 2 * out): sub-pixel, then channel
        self.w1 = conv1.weight.permute(0, 2, 3, 1).reshape(conv1.weight.shape[0], -1).contiguous()
        self.b1 = conv1.bias.repeat(4)
        self.w2 = conv2.weight.permute(0, 2, 3, 1).reshape(conv2.weight.shape[0], -1).contiguous()
        self.b2 = conv2.bias.repeat(4)
        self.c1, self.c2 = conv1.weight.shape[1], conv2.weight.shape[1]
        _, c, h, w = image_pe.shape
        self.size = (h, w)
        self.pe = pe = image_pe.reshape(c, h * w).t().contiguous()  # (N, C)
        # Projections of the image tokens in the layers after the first, fused into one
        # product: token-to-image keys (of keys + pe), image-to-token queries (of keys + pe)
        # and token-to-image values (of keys); the positional encoding's share (and the
        # biases) is the same for every image and prompt, so it is computed here once.
        self.fused = []
        for layer in self.layers[1:]:
            a, b = layer.cross_attn_token_to_image, layer.cross_attn_image_to_token
            weight = torch.cat([a.k_proj.weight, b.q_proj.weight, a.v_proj.weight], 0).t().contiguous()
            nk, nq = a.k_proj.out_features, b.q_proj.out_features
            with_pe = torch.cat(
                [F.linear(pe, weight[:, : nk + nq].t()), pe.new_zeros(pe.shape[0], a.v_proj.out_features)], 1
            )
            constant = (with_pe + torch.cat([a.k_proj.bias, b.q_proj.bias, a.v_proj.bias])).contiguous()
            self.fused.append((weight, constant, nk, nq))
        f = t.final_attn_token_to_image
        weight = torch.cat([f.k_proj.weight, f.v_proj.weight], 0).t().contiguous()
        nk = f.k_proj.out_features
        constant = torch.cat([F.linear(pe, weight[:, :nk].t()), pe.new_zeros(pe.shape[0], f.v_proj.out_features)], 1)
        self.final = (weight, (constant + torch.cat([f.k_proj.bias, f.v_proj.bias])).contiguous(), nk)
        self._image = None

    def image_part(self, image_embeddings: torch.Tensor, dense: torch.Tensor) -> tuple:
        """What the first layer needs of the image: the image tokens plus the dense prompt
        embedding, and their projections (token-to-image keys and values, image-to-token
        queries). With no mask prompt this is the same for every prompt on the image."""
        _, c, h, w = image_embeddings.shape
        src = (image_embeddings + dense).reshape(c, h * w).t().contiguous()  # (N, C)
        with_pe = src + self.pe
        a, b = self.layers[0].cross_attn_token_to_image, self.layers[0].cross_attn_image_to_token
        k0 = F.linear(with_pe, a.k_proj.weight, a.k_proj.bias)
        v0 = F.linear(src, a.v_proj.weight, a.v_proj.bias)
        q0 = F.linear(with_pe, b.q_proj.weight, b.q_proj.bias)
        return src, k0, v0, q0

    def prepare(self, image_embeddings: torch.Tensor, no_mask_dense: torch.Tensor) -> None:
        """Compute and keep the image part for prompts without a mask."""
        self._image = self.image_part(image_embeddings, no_mask_dense)

    def __call__(self, sparse: torch.Tensor, multimask: bool, image: tuple | None = None):
        """(best mask's low-resolution logits (4H, 4W), its score, the index chosen among
        the masks the stock decoder would return) for sparse prompt embeddings (1, T, C).
        ``image`` is :meth:`image_part` of a prompt with a mask; by default the prepared
        image part (no mask)."""
        d = self.decoder
        src, k0, v0, q0 = self._image if image is None else image
        h, w = self.size
        tokens = torch.cat([d.iou_token.weight, d.mask_tokens.weight, sparse[0]], 0)  # (T, C)
        query_pe = tokens
        queries = tokens
        keys = src
        for i, layer in enumerate(self.layers):
            # self attention of the tokens
            if layer.skip_first_layer_pe:
                queries = layer.self_attn(q=queries[None], k=queries[None], v=queries[None])[0]
            else:
                q = queries + query_pe
                queries = queries + layer.self_attn(q=q[None], k=q[None], v=queries[None])[0]
            queries = layer.norm1(queries)
            # image-side projections: precomputed for the first layer, one product later
            a, b = layer.cross_attn_token_to_image, layer.cross_attn_image_to_token
            if i == 0:
                k_img, v_img, q_img = k0, v0, q0
            else:
                weight, constant, nk, nq = self.fused[i - 1]
                projected = torch.addmm(constant, keys, weight)
                k_img, q_img, v_img = projected[:, :nk], projected[:, nk : nk + nq], projected[:, nk + nq :]
            queries = layer.norm2(queries + _token_to_image(a, queries + query_pe, k_img, v_img))
            queries = layer.norm3(queries + layer.mlp(queries))
            update = _image_to_token(b, q_img, queries + query_pe, queries)
            keys = layer.norm4(keys + update)
        t = d.transformer
        f = t.final_attn_token_to_image
        fw, constant, nk = self.final
        projected = torch.addmm(constant, keys, fw)
        out = _token_to_image(f, queries + query_pe, projected[:, :nk], projected[:, nk:])
        queries = t.norm_final_attn(queries + out)

        scores = d.iou_prediction_head(queries[0])  # (num_mask_tokens,)
        first = 1 if multimask else 0
        last = d.num_mask_tokens if multimask else 1
        best = first + int(torch.argmax(scores[first:last]))
        hyper = d.output_hypernetworks_mlps[best](queries[1 + best])  # (c2,)

        n = keys.shape[0]
        up1 = torch.addmm(self.b1, keys, self.w1).reshape(n * 4, self.c1)  # rows: pixel, sub-pixel
        up1 = F.gelu(F.layer_norm(up1, (self.c1,), self.norm.weight, self.norm.bias, self.norm.eps))
        up2 = F.gelu(torch.addmm(self.b2, up1, self.w2).reshape(n * 16, self.c2))
        logits = (up2 @ hyper).reshape(h, w, 2, 2, 2, 2)  # y, x, i, j, i2, j2
        logits = logits.permute(0, 2, 4, 1, 3, 5).reshape(4 * h, 4 * w)
        return logits, scores[best], best - first
