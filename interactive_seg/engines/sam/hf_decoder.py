"""transformers' SAM 2 mask decoder (``Sam2MaskDecoder``, and SAM 3 tracker's, which is the
same code), rearranged as :mod:`.decoder` rearranges SAM 1's: same weights, same function,
the work that depends on the image only done once per image.

The stock decoder, called once per prompt, repeats for every prompt: the image tokens plus
the dense no-mask embedding, the first layer's image-side projections, copies of the
4096 x 256 image tokens between layouts, the upscaling of all four masks with the two
high-resolution feature maps added in image layout. Here (calling the model's own
submodules for everything that is not a matrix product on image tokens):

- **Once per model**: the image-wide positional encoding and its share of every projection
  of "image tokens plus positional encoding" in the later layers; the transposed
  convolutions as matrices (each pixel to its own 2 x 2 block).
- **Once per image** (:meth:`HFDecoder.attach`): the image tokens plus the no-mask
  embedding and the first layer's image-side projections (the same for every prompt
  without a mask), and both high-resolution feature maps, plus their convolution's bias,
  laid out in the upscaling's sub-pixel order, so each is added by the matrix product
  that needs it (``addmm``) rather than by a pass of its own.
- **Per prompt**: the attention of :mod:`.decoder` (few tokens against the image tokens,
  output projections applied to the tokens before the attention weights mix them); in the
  later layers and the final attention, token-to-image attention with the keys' and values'
  projections moved to the token side (:func:`_token_to_keys`: products of ~10 tokens with
  the 4096 image tokens instead of projecting all of them); the IoU head before any upscaling, then the low-resolution logits of the one mask the
  stock decoder would return: in multimask mode the best-scored of masks 1 to 3; in
  single-mask mode mask 0, unless its stability score (transformers'
  ``_dynamic_multimask_via_stability``) sends the stock decoder to the best of 1 to 3 (both
  computed in one pass); the upscaling a chunk of image tokens at a time, so each chunk's
  upscaled features stay in the CPU's cache until the hypernetwork product reads them.

``tests/test_sam_families.py`` checks it against the stock model on every prompt kind.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .decoder import _heads_and_out, _image_to_token, _per_head, _token_to_image

__all__ = ["HFDecoder", "supports"]


def supports(model) -> bool:
    """True when ``model``'s mask decoder has the structure of transformers' Sam2MaskDecoder
    (two-way layers, the first without positional encoding in self-attention, stride-2
    transposed convolutions, exact GELU) that :class:`HFDecoder` computes."""
    try:
        d = model.mask_decoder
        layers = list(d.transformer.layers)
        convs = (d.upscale_conv1, d.upscale_conv2)
        return (
            len(layers) >= 1
            and layers[0].skip_first_layer_pe
            and not any(layer.skip_first_layer_pe for layer in layers[1:])
            and all(
                tuple(c.kernel_size) == (2, 2) and tuple(c.stride) == (2, 2) and tuple(c.padding) == (0, 0)
                for c in convs
            )
            and type(d.activation).__name__ == "GELU"
            and d.activation.approximate == "none"
            and d.upscale_layer_norm.data_format == "channels_first"
            and d.iou_prediction_head.sigmoid_output
            and not d.training
        )
    except (AttributeError, TypeError, IndexError):
        return False


def _sub_pixel(feature: torch.Tensor, steps: int) -> torch.Tensor:
    """A (1, C, H * 2**steps, W * 2**steps) feature map as rows in the upscaling's order:
    (y, x, then each stride-2 step's (i, j)) by channel, shape (H * W * 4**(steps - 1), 4 * C)."""
    c, height, width = feature.shape[1:]
    h, w = height >> steps, width >> steps
    x = feature[0].reshape(c, h, *([2] * steps), w, *([2] * steps))  # c, y, i.., x, j..
    ys, xs = list(range(2, 2 + steps)), list(range(3 + steps, 3 + 2 * steps))
    order = [1, 2 + steps] + [axis for pair in zip(ys, xs) for axis in pair] + [0]  # y, x, (i, j) per step, c
    return x.permute(*order).reshape(-1, 4 * c).contiguous()


def _token_to_keys(attn, q_tokens, keys, k_pe) -> torch.Tensor:
    """Tokens attend to the image tokens ``keys`` (N, C), with the keys' and values' projections
    moved to the token side: per head ``q (K W_k)^T == (q W_k) K^T`` and, as each row of the
    attention weights sums to one, ``A (K W_v^T + b_v) == (A K) W_v^T + b_v``: products of the
    few tokens with the image tokens instead of projecting all N of them. ``k_pe`` is the
    positional encoding's share of the keys, with their bias: (pe W_k^T + b_k), (N, h * d)."""
    heads, out_proj = _heads_and_out(attn)
    q = F.linear(q_tokens, attn.q_proj.weight, attn.q_proj.bias)  # (T, h * d)
    t, c = q.shape
    d = c // heads
    qk = torch.einsum("thd,hdc->htc", q.view(t, heads, d), attn.k_proj.weight.view(heads, d, -1)).reshape(heads * t, -1)
    scores = torch.addmm(_per_head(q, heads) @ k_pe.t(), qk, keys.t())  # (h * T, N)
    weights = torch.softmax(scores * attn.scaling, dim=-1)
    mixed = (weights @ keys).view(heads, t, -1)  # (h, T, C): head i's weights on the image tokens
    out = torch.einsum("htc,hdc->thd", mixed, attn.v_proj.weight.view(heads, d, -1)).reshape(t, c) + attn.v_proj.bias
    return out_proj(out)


class HFDecoder:
    """The mask decoder of one transformers SAM 2 / SAM 3 tracker model, fast on prompts.

    Call :meth:`attach` with the image's feature levels (``get_image_embeddings``), then
    the decoder with a prompt's sparse embedding (and its dense one when a mask is given).
    """

    def __init__(self, model):
        d = self.decoder = model.mask_decoder
        self.prompt_encoder = model.prompt_encoder
        t = d.transformer
        self.layers = list(t.layers)
        pe = model.get_image_wide_positional_embeddings()  # (1, C, h, w), a constant of the model
        c, h, w = pe.shape[1:]
        self.size = (h, w)
        self.pe = pe = pe.reshape(c, h * w).t().contiguous()  # (N, C)
        # transposed conv weights (in, out, 2, 2) -> (in, 2 * 2 * out): sub-pixel, then channel
        conv1, conv2 = d.upscale_conv1, d.upscale_conv2
        self.w1 = conv1.weight.permute(0, 2, 3, 1).reshape(conv1.weight.shape[0], -1).contiguous()
        self.w2 = conv2.weight.permute(0, 2, 3, 1).reshape(conv2.weight.shape[0], -1).contiguous()
        self.c1, self.c2 = conv1.weight.shape[1], conv2.weight.shape[1]
        self.norm = d.upscale_layer_norm
        # later layers: the image-to-token queries (of keys + pe) projected, the positional
        # encoding's share and the bias precomputed; token-to-image works on the token side
        # (:func:`_token_to_keys`) with the positional encoding's share of its keys precomputed
        self.later = []
        for layer in self.layers[1:]:
            a, b = layer.cross_attn_token_to_image, layer.cross_attn_image_to_token
            q_constant = F.linear(pe, b.q_proj.weight, b.q_proj.bias).contiguous()
            self.later.append(
                (
                    b.q_proj.weight.t().contiguous(),
                    q_constant,
                    F.linear(pe, a.k_proj.weight, a.k_proj.bias).contiguous(),
                )
            )
        f = t.final_attn_token_to_image
        self.final_k_pe = F.linear(pe, f.k_proj.weight, f.k_proj.bias).contiguous()
        self.no_mask = self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
        self._image = self._s1 = self._s0 = None

    # -- per image ---------------------------------------------------------------------------
    def image_part(self, image_embeddings: torch.Tensor, dense: torch.Tensor) -> tuple:
        """What the first layer needs of the image: the image tokens plus the dense prompt
        embedding, and their projections (token-to-image keys and values, image-to-token
        queries). Without a mask prompt, the same for every prompt on the image."""
        c = image_embeddings.shape[1]
        src = (image_embeddings + dense).reshape(c, -1).t().contiguous()  # (N, C)
        with_pe = src + self.pe
        a, b = self.layers[0].cross_attn_token_to_image, self.layers[0].cross_attn_image_to_token
        k0 = F.linear(with_pe, a.k_proj.weight, a.k_proj.bias)
        v0 = F.linear(src, a.v_proj.weight, a.v_proj.bias)
        q0 = F.linear(with_pe, b.q_proj.weight, b.q_proj.bias)
        return src, k0, v0, q0

    def attach(self, levels: list) -> None:
        """Prepare the image: ``levels`` as ``get_image_embeddings`` returns them (the two
        high-resolution maps already projected by ``conv_s0`` / ``conv_s1``, then the image tokens)."""
        feat_s0, feat_s1, image = levels[0], levels[1], levels[-1]
        if tuple(image.shape[-2:]) != self.size:
            raise ValueError(f"image embeddings of {tuple(image.shape[-2:])} for a decoder of {self.size}")
        d = self.decoder
        # conv1's output rows are (pixel, i, j) with c1 channels: feat_s1 in that order, as (N, 4 * c1)
        self._s1 = (_sub_pixel(feat_s1, 1) + d.upscale_conv1.bias.repeat(4)).contiguous()
        # conv2's output rows are (pixel, i, j, i2, j2) with c2 channels: as (4N, 4 * c2)
        self._s0 = (_sub_pixel(feat_s0, 2).reshape(-1, 4 * self.c2) + d.upscale_conv2.bias.repeat(4)).contiguous()
        self._image = self.image_part(image, self.no_mask)

    # -- per prompt --------------------------------------------------------------------------
    def __call__(self, sparse: torch.Tensor, multimask: bool, dense: torch.Tensor | None = None, image_embeddings=None):
        """(the returned mask's low-resolution logits (4h, 4w), its IoU score, its index among
        the decoder's four masks) for a prompt's sparse embedding (1, 1, T, C); ``dense``
        (with the image's tokens ``image_embeddings``) when the prompt has a mask."""
        d = self.decoder
        src, k0, v0, q0 = self._image if dense is None else self.image_part(image_embeddings, dense)
        tokens = torch.cat(
            [d.obj_score_token.weight, d.iou_token.weight, d.mask_tokens.weight, sparse.reshape(-1, sparse.shape[-1])],
            0,
        )
        query_pe = queries = tokens  # (T, C)
        keys = src
        for i, layer in enumerate(self.layers):
            if layer.skip_first_layer_pe:
                queries = layer.self_attn(
                    query=queries[None, None], key=queries[None, None], value=queries[None, None]
                )[0][0, 0]
            else:
                q = (queries + query_pe)[None, None]
                queries = queries + layer.self_attn(query=q, key=q, value=queries[None, None])[0][0, 0]
            queries = layer.layer_norm1(queries)
            a, b = layer.cross_attn_token_to_image, layer.cross_attn_image_to_token
            if i == 0:
                q_img = q0
                queries = layer.layer_norm2(queries + _token_to_image(a, queries + query_pe, k0, v0))
            else:
                q_weight, q_constant, k_pe = self.later[i - 1]
                q_img = torch.addmm(q_constant, keys, q_weight)
                queries = layer.layer_norm2(queries + _token_to_keys(a, queries + query_pe, keys, k_pe))
            queries = layer.layer_norm3(queries + layer.mlp(queries))
            keys = layer.layer_norm4(keys + _image_to_token(b, q_img, queries + query_pe, queries))
        t = d.transformer
        queries = t.layer_norm_final_attn(
            queries + _token_to_keys(t.final_attn_token_to_image, queries + query_pe, keys, self.final_k_pe)
        )

        scores = d.iou_prediction_head(queries[1])  # (4,): mask 0 single, 1..3 multimask
        best = 1 + int(torch.argmax(scores[1:]))
        if multimask:
            return self._layout(self._masks(keys, queries, [best])[:, 0]), scores[best], best
        # single mask: mask 0 and the best multimask in one pass, mask 0 kept if it is stable
        both = self._masks(keys, queries, [0, best])
        if d.dynamic_multimask_via_stability and self._stability(both[:, 0]) < d.dynamic_multimask_stability_thresh:
            return self._layout(both[:, 1]), scores[best], best
        return self._layout(both[:, 0]), scores[0], 0

    def _masks(self, keys: torch.Tensor, queries: torch.Tensor, indices: list, chunk: int = 512) -> torch.Tensor:
        """The low-resolution logits of masks ``indices``, (16N, k) in sub-pixel row order: the
        upscaling (the high-resolution features added inside its products) and the hypernetwork
        product, a chunk of image tokens at a time so each chunk's upscaled features stay in cache."""
        hyper = torch.stack([self.decoder.output_hypernetworks_mlps[i](queries[2 + i]) for i in indices], 1)  # (c2, k)
        n = keys.shape[0]
        out = keys.new_empty(n * 16, len(indices))
        for first in range(0, n, chunk):
            last = min(n, first + chunk)
            up1 = torch.addmm(self._s1[first:last], keys[first:last], self.w1).view(-1, self.c1)
            up1 = F.gelu(F.layer_norm(up1, (self.c1,), self.norm.weight, self.norm.bias, self.norm.eps))
            up2 = F.gelu(torch.addmm(self._s0[4 * first : 4 * last], up1, self.w2)).view(-1, self.c2)
            torch.mm(up2, hyper, out=out[16 * first : 16 * last])
        return out

    def _layout(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits in sub-pixel row order (16N,) laid out as the mask, (4h, 4w)."""
        h, w = self.size
        return logits.reshape(h, w, 2, 2, 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(4 * h, 4 * w)

    def _stability(self, logits: torch.Tensor) -> float:
        """transformers' stability score of a mask: area above +delta over area above -delta."""
        delta = self.decoder.dynamic_multimask_stability_delta
        union = int(torch.count_nonzero(logits > -delta))
        return 1.0 if union == 0 else int(torch.count_nonzero(logits > delta)) / union
