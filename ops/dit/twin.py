"""The PyTorch twin of Longshot's Swift DiT (Sources/LongshotDiT): the numerical reference and the code a
later issue trains with. Keep the two in lockstep: same names, same shapes, same arithmetic.

A latent video diffusion transformer predicting the rectified-flow velocity of a window of latents
[frames, channels, height, width] at flow time t in [0, 1], conditioned on text token states [L, text_dim]:

  3D patchify (pt x ph x pw patches, vector order c, dt, dy, dx) -> Linear -> tokens [N, D]
  timestep: sinusoidal(1000 t, freq_dim) -> Linear -> SiLU -> Linear = temb
  text:     Linear -> GELU(tanh) -> Linear on the text states = context [L, D]
  blocks (AdaLN-Zero): shift/scale/gate x 2 = Linear(SiLU(temb))
    x += gate_msa * proj(attn(RoPE3D(RMSNorm(q)), RoPE3D(RMSNorm(k)), v))  on  LN(x) * (1 + scale) + shift
    x += cross_proj(attn(q(LN_affine(x)), k(context), v(context)))
    x += gate_mlp * fc2(GELU_tanh(fc1(LN(x) * (1 + scale) + shift)))
  final: LN(x) * (1 + scale) + shift -> Linear -> unpatchify
  decoder: a linear map from each latent pixel's channels to a temporal x spatial x spatial RGB block
RoPE: interleaved pairs (2p, 2p+1); the head dimension is split into (time, height, width) sections with
frequency ladders theta^(-2i/axis_dim) driven by the token's frame, row and column in the patch grid.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, **kw):
        self.in_channels = kw["in_channels"]
        self.patch_size = tuple(kw["patch_size"])
        self.hidden_size = kw["hidden_size"]
        self.depth = kw["depth"]
        self.num_heads = kw["num_heads"]
        self.mlp_ratio = kw["mlp_ratio"]
        self.text_dim = kw["text_dim"]
        self.freq_dim = kw["freq_dim"]
        self.rope_axes = tuple(kw["rope_axes"])
        self.rope_theta = kw["rope_theta"]
        self.eps = kw["eps"]
        self.trained = kw.get("trained", False)
        # The latent decoder: each latent pixel becomes a temporal x spatial x spatial block of RGB.
        self.temporal_factor = kw.get("temporal_factor", 4)
        self.spatial_factor = kw.get("spatial_factor", 8)
        assert sum(self.rope_axes) == self.hidden_size // self.num_heads

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls(**json.load(f))

    def to_dict(self):
        return {
            "model_type": "longshot-dit", "in_channels": self.in_channels, "patch_size": list(self.patch_size),
            "hidden_size": self.hidden_size, "depth": self.depth, "num_heads": self.num_heads,
            "mlp_ratio": self.mlp_ratio, "text_dim": self.text_dim, "freq_dim": self.freq_dim,
            "rope_axes": list(self.rope_axes), "rope_theta": self.rope_theta, "eps": self.eps,
            "trained": self.trained, "temporal_factor": self.temporal_factor, "spatial_factor": self.spatial_factor,
        }

    @property
    def patch_dim(self):
        pt, ph, pw = self.patch_size
        return self.in_channels * pt * ph * pw


def timestep_embedding(t, dim):
    """[cos(1000 t f_i), sin(1000 t f_i)] with f_i = 10000^(-i / (dim/2)), computed in float64 from t as a
    float32 (the engine's flow time is a Float)."""
    t = float(torch.tensor(float(t), dtype=torch.float32))
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    args = 1000.0 * float(t) * freqs
    return torch.cat([torch.cos(args), torch.sin(args)]).float()


def rope_tables(frames, height, width, axes, theta):
    """cos, sin [N, head_dim/2] for a frames x height x width token grid (frame-major)."""
    coords = torch.stack(torch.meshgrid(
        torch.arange(frames), torch.arange(height), torch.arange(width), indexing="ij"), dim=-1).reshape(-1, 3)
    angles = []
    for axis, dim in enumerate(axes):
        inv = theta ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
        angles.append(coords[:, axis:axis + 1].double() * inv[None, :])
    angles = torch.cat(angles, dim=1)
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x, cos, sin):
    """x [N, heads, head_dim]; rotates interleaved pairs."""
    a, b = x[..., 0::2], x[..., 1::2]
    c, s = cos[:, None, :], sin[:, None, :]
    out = torch.stack([a * c - b * s, a * s + b * c], dim=-1)
    return out.flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def attention(q, k, v, heads):
    """q [N, D], k, v [M, D] -> [N, D]."""
    n, d = q.shape
    q, k, v = (t.reshape(t.shape[0], heads, d // heads).transpose(0, 1) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v)
    return out.transpose(0, 1).reshape(n, d)


class SelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.hidden_size
        self.heads = cfg.num_heads
        self.qkv = nn.Linear(d, 3 * d)
        self.norm_q = RMSNorm(d, cfg.eps)
        self.norm_k = RMSNorm(d, cfg.eps)
        self.proj = nn.Linear(d, d)

    def forward(self, x, cos, sin):
        n, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        hd = d // self.heads
        q = apply_rope(self.norm_q(q).reshape(n, self.heads, hd), cos, sin).reshape(n, d)
        k = apply_rope(self.norm_k(k).reshape(n, self.heads, hd), cos, sin).reshape(n, d)
        return self.proj(attention(q, k, v, self.heads))


class CrossAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.hidden_size
        self.heads = cfg.num_heads
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x, context):
        k, v = self.kv(context).chunk(2, dim=-1)
        return self.proj(attention(self.q(x), k, v, self.heads))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.hidden_size
        self.fc1 = nn.Linear(d, cfg.mlp_ratio * d)
        self.fc2 = nn.Linear(cfg.mlp_ratio * d, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.hidden_size
        self.eps = cfg.eps
        self.modulation = nn.Linear(d, 6 * d)
        self.attn = SelfAttention(cfg)
        self.cross_norm = nn.LayerNorm(d, eps=cfg.eps)
        self.cross = CrossAttention(cfg)
        self.mlp = MLP(cfg)

    def forward(self, x, temb, context, cos, sin):
        d = x.shape[-1]
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.modulation(F.silu(temb)).chunk(6)
        h = modulate(F.layer_norm(x, (d,), eps=self.eps), shift_msa, scale_msa)
        x = x + gate_msa * self.attn(h, cos, sin)
        if context.shape[0] > 0:  # no text tokens: the cross-attention sub-layer is skipped
            x = x + self.cross(self.cross_norm(x), context)
        h = modulate(F.layer_norm(x, (d,), eps=self.eps), shift_mlp, scale_mlp)
        return x + gate_mlp * self.mlp(h)


class DiT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.hidden_size
        self.cfg = cfg
        self.patch_embed = nn.Linear(cfg.patch_dim, d)
        self.time_embed = nn.Sequential(nn.Linear(cfg.freq_dim, d), nn.SiLU(), nn.Linear(d, d))
        self.text_embed = nn.Sequential(nn.Linear(cfg.text_dim, d), nn.GELU(approximate="tanh"), nn.Linear(d, d))
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.final_modulation = nn.Linear(d, 2 * d)
        self.final_proj = nn.Linear(d, cfg.patch_dim)
        tf, sf = cfg.temporal_factor, cfg.spatial_factor
        self.decoder = nn.Linear(cfg.in_channels, tf * sf * sf * 3)

    def decode(self, latents):
        """Latents [F, C, H, W] -> video [F * tf, H * sf, W * sf, 3] in [-1, 1] (before the byte mapping
        round(clamp((v + 1) * 127.5, 0, 255)))."""
        f, c, h, w = latents.shape
        tf, sf = self.cfg.temporal_factor, self.cfg.spatial_factor
        blocks = self.decoder(latents.permute(0, 2, 3, 1))  # [F, H, W, tf*sf*sf*3]
        blocks = blocks.reshape(f, h, w, tf, sf, sf, 3).permute(0, 3, 1, 4, 2, 5, 6)
        return blocks.reshape(f * tf, h * sf, w * sf, 3)

    def patchify(self, latents):
        f, c, h, w = latents.shape
        pt, ph, pw = self.cfg.patch_size
        x = latents.reshape(f // pt, pt, c, h // ph, ph, w // pw, pw)
        # -> [F', H', W', C, pt, ph, pw]
        return x.permute(0, 3, 5, 2, 1, 4, 6).reshape(-1, c * pt * ph * pw)

    def unpatchify(self, tokens, f, h, w):
        c = self.cfg.in_channels
        pt, ph, pw = self.cfg.patch_size
        x = tokens.reshape(f // pt, h // ph, w // pw, c, pt, ph, pw)
        return x.permute(0, 4, 3, 1, 5, 2, 6).reshape(f, c, h, w)

    def forward(self, latents, t, text_states):
        f, c, h, w = latents.shape
        pt, ph, pw = self.cfg.patch_size
        cos, sin = rope_tables(f // pt, h // ph, w // pw, self.cfg.rope_axes, self.cfg.rope_theta)
        x = self.patch_embed(self.patchify(latents))
        temb = self.time_embed(timestep_embedding(t, self.cfg.freq_dim))
        context = self.text_embed(text_states)
        for block in self.blocks:
            x = block(x, temb, context, cos, sin)
        shift, scale = self.final_modulation(F.silu(temb)).chunk(2)
        x = self.final_proj(modulate(F.layer_norm(x, (x.shape[-1],), eps=self.cfg.eps), shift, scale))
        return self.unpatchify(x, f, h, w)
