"""Builds tiny random-weight diffusers pipelines offline, from configs in code, for tests and trials.

    python ops/diffusers/make_tiny.py OUT_DIR [--kind wan|ltx|all] [--seed 0]

Writes OUT_DIR/wan (a `WanPipeline`: `WanTransformer3DModel`, `AutoencoderKLWan`, a `UMT5EncoderModel`),
OUT_DIR/ltx (an `LTXPipeline`: `LTXVideoTransformer3DModel`, `AutoencoderKLLTXVideo`, a `T5EncoderModel`)
and OUT_DIR/hunyuan (a `HunyuanVideoPipeline`: `HunyuanVideoTransformer3DModel`, `AutoencoderKLHunyuanVideo`,
a `LlamaModel` and a `CLIPTextModel`), each in the `save_pretrained` layout a real model folder has. The tokenizer is
word-level (the `tokenizers` library) over a small English vocabulary. Nothing is downloaded; the same
seed writes the same weights.
"""
import argparse
import os

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    LlamaConfig,
    LlamaModel,
    PreTrainedTokenizerFast,
    T5Config,
    T5EncoderModel,
    UMT5Config,
    UMT5EncoderModel,
)

from diffusers import (
    AutoencoderKLHunyuanVideo,
    AutoencoderKLLTXVideo,
    AutoencoderKLWan,
    FlowMatchEulerDiscreteScheduler,
    HunyuanVideoPipeline,
    HunyuanVideoTransformer3DModel,
    LTXPipeline,
    LTXVideoTransformer3DModel,
    WanPipeline,
    WanTransformer3DModel,
)

WORDS = """a an the of on in over under with and at by to from into through across around near
red orange yellow green blue purple pink white black grey gray brown golden silver dark bright
ball balls square squares ring rings circle cube box dragon castle fox cat dog bird birds fish horse
car train boat ship plane tree trees forest river lake sea ocean beach mountain mountains hill city street
sky night day sunset sunrise moon sun stars cloud clouds rain snow fire water light shadow
big small tiny huge slow slowly fast quickly bouncing moving flying running walking swimming drifting
orbiting falling rising spinning rolling jumping dancing floating glowing burning left right up down
background foreground scene camera view close wide shot cinematic realistic painting photo video
man woman child people person face hand hands eyes hair old young happy sad
worst quality low blurry static still frame jpeg artifacts ugly deformed extra fingers
. , ! ?""".split()
TEXT_DIM = 32


def tokenizer():
    """A word-level tokenizer: the vocabulary above, lower-cased, split on whitespace and punctuation."""
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.normalizer = None
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    from tokenizers import normalizers, processors

    core.normalizer = normalizers.Lowercase()
    core.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    ), len(vocab)


def wan(out, seed):
    torch.manual_seed(seed)
    tok, vocab = tokenizer()
    text_encoder = UMT5EncoderModel(
        UMT5Config(vocab_size=vocab, d_model=TEXT_DIM, d_kv=8, d_ff=32, num_layers=2, num_heads=4,
                   relative_attention_num_buckets=8, relative_attention_max_distance=32, pad_token_id=0,
                   eos_token_id=1, decoder_start_token_id=0))
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0)
    pipe = WanPipeline(tokenizer=tok, text_encoder=text_encoder, transformer=transformer, vae=vae, scheduler=scheduler)
    pipe.save_pretrained(out)


def ltx(out, seed):
    torch.manual_seed(seed)
    tok, vocab = tokenizer()
    text_encoder = T5EncoderModel(
        T5Config(vocab_size=vocab, d_model=TEXT_DIM, d_kv=8, d_ff=32, num_layers=2, num_heads=4,
                 relative_attention_num_buckets=8, relative_attention_max_distance=32, pad_token_id=0,
                 eos_token_id=1, decoder_start_token_id=0))
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8,
        cross_attention_dim=32, num_layers=1, caption_channels=TEXT_DIM)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False)
    scheduler = FlowMatchEulerDiscreteScheduler(shift=1.0)
    pipe = LTXPipeline(tokenizer=tok, text_encoder=text_encoder, transformer=transformer, vae=vae, scheduler=scheduler)
    pipe.save_pretrained(out)


def hunyuan(out, seed):
    torch.manual_seed(seed)
    tok, vocab = tokenizer()
    tok_2, _ = tokenizer()
    tok_2.model_max_length = 77
    text_encoder = LlamaModel(LlamaConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=0, hidden_size=16, intermediate_size=37, num_attention_heads=4,
        num_key_value_heads=4, num_hidden_layers=2, vocab_size=vocab, hidden_act="gelu"))
    text_encoder_2 = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=0, hidden_size=8, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, vocab_size=vocab, hidden_act="gelu", projection_dim=32, max_position_embeddings=77))
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=10, num_layers=1, num_single_layers=1,
        num_refiner_layers=1, patch_size=1, patch_size_t=1, guidance_embeds=True, text_embed_dim=16,
        pooled_projection_dim=8, rope_axes_dim=(2, 4, 4))
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3, out_channels=3, latent_channels=4, down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
        act_fn="silu", norm_num_groups=4, scaling_factor=0.476986, spatial_compression_ratio=8,
        temporal_compression_ratio=4, mid_block_add_attention=True)
    scheduler = FlowMatchEulerDiscreteScheduler(shift=7.0)
    pipe = HunyuanVideoPipeline(
        text_encoder=text_encoder, tokenizer=tok, transformer=transformer, vae=vae, scheduler=scheduler,
        text_encoder_2=text_encoder_2, tokenizer_2=tok_2)
    pipe.save_pretrained(out)


BUILDERS = {"wan": wan, "ltx": ltx, "hunyuan": hunyuan}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--kind", default="all", choices=["all", *BUILDERS])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for kind, build in BUILDERS.items():
        if args.kind in ("all", kind):
            build(os.path.join(args.out, kind), args.seed)
            print(os.path.join(args.out, kind))


if __name__ == "__main__":
    main()
