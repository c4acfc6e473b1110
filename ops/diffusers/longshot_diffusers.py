"""The `diffusers` engine: a diffusers pipeline folder served over the Longshot external engine protocol.

    python ops/diffusers/longshot_diffusers.py MODEL_DIR [--device cpu|cuda] [--dtype fp32|bf16|fp16]

MODEL_DIR is a pipeline saved with `save_pretrained` (a `model_index.json` and one folder per component),
for the flow-matching text-to-video models: Wan 2.1 / 2.2 (`WanPipeline`), LTX-Video (`LTXPipeline`) and
HunyuanVideo (`HunyuanVideoPipeline`, whose guidance is embedded in the model: one pass per step).
Longshot's sampler runs the steps; this engine answers for one window at a time:
- `prepare` encodes each shot's prompt once (cached per text) and the negative prompt, and blends the
  shots' embeddings by the window's mean shot weights (prompt travel);
- `velocity` runs the transformer at timestep 1000 t, twice (batched) with classifier-free guidance
  `uncond + g (cond - uncond)` when g > 1, as the pipeline's own loop does, and returns the velocity;
- `decode` un-normalises the latents (the VAE's mean and std) and decodes them with the VAE.
Latents are the pipeline's own (normalised) latents, in Longshot's [frames, C, H, W] order. Layouts are
causal: the first latent frame stands for one video frame, each later one for `temporal_factor` frames.

Floats: fp32 on CPU (the default there), bf16 on CUDA (the default there); velocities travel as f32.
The process loads the model once (in `hello`) and serves every window and job it is given.
"""
import argparse
import hashlib
import inspect
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "external"))
from longshot_engine import serve  # noqa: E402

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def weights_digest(folder):
    """SHA-256 over every file of the folder (relative path and bytes), in path order: the model's identity."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, folder).encode() + b"\0")
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


class ModelFamily:
    """What differs between pipelines: text encoding, the transformer call, decoding, the layout."""

    default_guidance = 5.0
    trained_frames = 81  # video frames the model was trained on; windows default to that many latents

    def __init__(self, pipe, torch, device):
        self.pipe, self.torch, self.device = pipe, torch, device
        self.dtype = pipe.transformer.dtype

    def max_sequence_length(self):
        return inspect.signature(type(self.pipe).__call__).parameters["max_sequence_length"].default

    def default_shift(self, latent_tokens):
        config = self.pipe.scheduler.config
        if config.get("use_dynamic_shifting"):
            # The pipeline's `calculate_shift` line, then exp(mu): the same time map as a fixed shift.
            base_len, max_len = config.get("base_image_seq_len", 256), config.get("max_image_seq_len", 4096)
            base, top = config.get("base_shift", 0.5), config.get("max_shift", 1.15)
            m = (top - base) / (max_len - base_len)
            return math.exp(latent_tokens * m + base - m * base_len)
        return float(config.get("shift", config.get("flow_shift", 1.0)))


class WanFamily(ModelFamily):
    default_guidance = 5.0
    trained_frames = 81

    def __init__(self, pipe, torch, device):
        super().__init__(pipe, torch, device)
        model = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
        self.model = model
        self.channels = model.config.in_channels
        self.patch = tuple(model.config.patch_size)
        self.spatial = pipe.vae_scale_factor_spatial
        self.temporal = pipe.vae_scale_factor_temporal
        self.boundary = None
        if pipe.config.get("boundary_ratio") is not None:
            self.boundary = pipe.config.boundary_ratio * pipe.scheduler.config.num_train_timesteps

    def check_size(self, width, height):
        multiple = self.spatial * self.patch[1]
        if width % multiple or height % multiple:
            raise ValueError(f"this Wan model needs width and height in multiples of {multiple}; got {width}x{height}")

    def encode(self, text):
        embeds, _ = self.pipe.encode_prompt(
            prompt=text, do_classifier_free_guidance=False, max_sequence_length=self.max_sequence_length(),
            device=self.device)
        return {"embeds": embeds.to(self.dtype)}

    def blend(self, parts):
        return {"embeds": sum(w * p["embeds"] for w, p in parts).to(self.dtype)}

    def velocity(self, x, t, cond, uncond, guidance):
        torch = self.torch
        timestep = torch.tensor([t * 1000.0], dtype=torch.float32, device=self.device)
        model = self.pipe.transformer
        if self.boundary is not None and float(timestep) < self.boundary:
            model = self.pipe.transformer_2
        if self.pipe.config.get("expand_timesteps"):
            tokens = x.shape[2] * (x.shape[3] // self.patch[1]) * (x.shape[4] // self.patch[2])
            timestep = timestep.expand(1, tokens)
        hidden = x.to(self.dtype)
        pred = model(hidden_states=hidden, timestep=timestep, encoder_hidden_states=cond["embeds"], return_dict=False)[0]
        if uncond is not None:
            unc = model(hidden_states=hidden, timestep=timestep, encoder_hidden_states=uncond["embeds"], return_dict=False)[0]
            pred = unc + guidance * (pred - unc)
        return pred.float()

    def decode(self, latents):
        vae, torch = self.pipe.vae, self.torch
        z = latents.to(vae.dtype)
        mean = torch.tensor(vae.config.latents_mean).view(1, vae.config.z_dim, 1, 1, 1).to(z.device, z.dtype)
        std = 1.0 / torch.tensor(vae.config.latents_std).view(1, vae.config.z_dim, 1, 1, 1).to(z.device, z.dtype)
        return vae.decode(z / std + mean, return_dict=False)[0]


class LTXFamily(ModelFamily):
    default_guidance = 3.0
    trained_frames = 161

    def __init__(self, pipe, torch, device):
        super().__init__(pipe, torch, device)
        self.model = pipe.transformer
        self.channels = pipe.transformer.config.in_channels
        self.spatial = pipe.vae_spatial_compression_ratio
        self.temporal = pipe.vae_temporal_compression_ratio
        self.patch = (pipe.transformer_temporal_patch_size, pipe.transformer_spatial_patch_size)
        self.fps = 25.0

    def check_size(self, width, height):
        multiple = self.spatial * self.patch[1]
        if width % multiple or height % multiple:
            raise ValueError(f"this LTX-Video model needs width and height in multiples of {multiple}; got {width}x{height}")

    def encode(self, text):
        embeds, mask, _, _ = self.pipe.encode_prompt(
            prompt=text, do_classifier_free_guidance=False, max_sequence_length=self.max_sequence_length(),
            device=self.device)
        return {"embeds": embeds.to(self.dtype), "mask": mask}

    def blend(self, parts):
        mask = parts[0][1]["mask"]
        for _, p in parts[1:]:
            mask = self.torch.maximum(mask, p["mask"])
        return {"embeds": sum(w * p["embeds"] for w, p in parts).to(self.dtype), "mask": mask}

    def velocity(self, x, t, cond, uncond, guidance):
        torch, pipe = self.torch, self.pipe
        _, _, frames, height, width = x.shape
        pt, p = self.patch
        packed = pipe._pack_latents(x, p, pt)
        if uncond is not None:
            hidden = torch.cat([packed, packed]).to(self.dtype)
            embeds = torch.cat([uncond["embeds"], cond["embeds"]])
            mask = torch.cat([uncond["mask"], cond["mask"]])
        else:
            hidden, embeds, mask = packed.to(self.dtype), cond["embeds"], cond["mask"]
        timestep = torch.tensor([t * 1000.0], dtype=torch.float32, device=self.device).expand(hidden.shape[0])
        scale = (self.temporal / self.fps, self.spatial, self.spatial)
        pred = self.model(
            hidden_states=hidden, encoder_hidden_states=embeds, timestep=timestep, encoder_attention_mask=mask,
            num_frames=frames // pt, height=height // p, width=width // p, rope_interpolation_scale=scale,
            return_dict=False)[0].float()
        if uncond is not None:
            unc, con = pred.chunk(2)
            pred = unc + guidance * (con - unc)
        return pipe._unpack_latents(pred, frames // pt, height // p, width // p, p, pt)

    def decode(self, latents):
        pipe, torch = self.pipe, self.torch
        vae = pipe.vae
        z = pipe._denormalize_latents(latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor).to(vae.dtype)
        timestep = None
        if vae.config.timestep_conditioning:
            timestep = torch.zeros(1, device=z.device, dtype=z.dtype)  # decode_timestep 0: no decode noise
        return vae.decode(z, timestep, return_dict=False)[0]


class HunyuanFamily(ModelFamily):
    """HunyuanVideo is guidance-distilled: the guidance scale is embedded in the transformer (x 1000, as the
    pipeline's `guidance_scale`), one pass per step; negative prompts are not used (its true CFG is off)."""

    default_guidance = 6.0
    trained_frames = 129
    embedded_guidance = True

    def __init__(self, pipe, torch, device):
        super().__init__(pipe, torch, device)
        self.model = pipe.transformer
        self.channels = pipe.transformer.config.in_channels
        self.spatial = pipe.vae_scale_factor_spatial
        self.temporal = pipe.vae_scale_factor_temporal
        self.patch = (pipe.transformer.config.patch_size_t, pipe.transformer.config.patch_size)

    def check_size(self, width, height):
        multiple = self.spatial * self.patch[1]
        if width % multiple or height % multiple:
            raise ValueError(f"this HunyuanVideo model needs width and height in multiples of {multiple}; got {width}x{height}")

    def encode(self, text):
        embeds, pooled, mask = self.pipe.encode_prompt(
            prompt=text, prompt_2=None, device=self.device, max_sequence_length=self.max_sequence_length())
        return {"embeds": embeds.to(self.dtype), "pooled": pooled.to(self.dtype), "mask": mask}

    def blend(self, parts):
        mask = parts[0][1]["mask"]
        for _, p in parts[1:]:
            mask = self.torch.maximum(mask, p["mask"])
        return {"embeds": sum(w * p["embeds"] for w, p in parts).to(self.dtype),
                "pooled": sum(w * p["pooled"] for w, p in parts).to(self.dtype), "mask": mask}

    def velocity(self, x, t, cond, uncond, guidance):
        torch = self.torch
        timestep = torch.tensor([t * 1000.0], dtype=torch.float32, device=self.device).to(x.dtype)
        embedded = torch.tensor([guidance], dtype=self.dtype, device=self.device) * 1000.0
        pred = self.model(
            hidden_states=x.to(self.dtype), timestep=timestep, encoder_hidden_states=cond["embeds"],
            encoder_attention_mask=cond["mask"], pooled_projections=cond["pooled"], guidance=embedded,
            return_dict=False)[0]
        return pred.float()

    def decode(self, latents):
        vae = self.pipe.vae
        return vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]


FAMILIES = {"WanPipeline": WanFamily, "LTXPipeline": LTXFamily, "HunyuanVideoPipeline": HunyuanFamily}


class DiffusersEngine:
    def __init__(self, folder, device=None, dtype=None, decode_context=None):
        self.folder = os.path.abspath(folder)
        self.device_name = device
        self.dtype_name = dtype
        self.decode_context = decode_context
        self.family = None
        self.windows = {}
        self.next_window = 1
        self.texts = {}

    # -- protocol calls

    def hello(self, header):
        started = time.time()
        self.load()
        width, height = header["width"], header["height"]
        self.family.check_size(width, height)
        f = self.family
        print(f"longshot-diffusers: loaded {self.model_name} ({type(self.pipe).__name__}) on {self.device} "
              f"{self.dtype_name} in {time.time() - started:.2f} s", file=sys.stderr, flush=True)
        window = f.trained_frames // f.temporal + 1 if f.trained_frames % f.temporal == 1 else f.trained_frames // f.temporal
        tokens = window * (height // f.spatial) * (width // f.spatial)
        return {
            "model": self.model_name,
            "layout": self.layout_for(width, height),
            "weights_sha256": self.digest,
            "defaults": {
                "guidance": f.default_guidance,
                "shift": round(f.default_shift(tokens), 6),
                "window": window,
                "overlap": max(1, window // 3),
            },
            "memory": self.memory(),
        }

    def layout(self, header, payload):
        self.family.check_size(header["width"], header["height"])
        return {"layout": self.layout_for(header["width"], header["height"])}

    def prepare(self, header, payload):
        f = self.family
        shots = header["shots"]
        weights = np.asarray(header["shot_weights"], dtype=np.float64).mean(axis=0)
        parts = [(float(w), self.text(shots[i]["prompt"])) for i, w in enumerate(weights) if w > 1e-6]
        total = sum(w for w, _ in parts)
        parts = [(w / total, p) for w, p in parts]
        cond = parts[0][1] if len(parts) == 1 else f.blend(parts)
        guidance = header.get("guidance")
        guidance = f.default_guidance if guidance is None else float(guidance)
        embedded = getattr(f, "embedded_guidance", False)
        uncond = self.text(header.get("negative_prompt") or "") if guidance > 1.0 and not embedded else None
        if isinstance(f, LTXFamily):
            f.fps = float(header.get("fps") or 25.0)
        handle = self.next_window
        self.next_window += 1
        self.windows[handle] = (cond, uncond, guidance, float(header.get("fps") or 25.0))
        return {"window": handle}

    def velocity(self, header, payload):
        cond, uncond, guidance, fps = self.windows[header["window"]]
        x = self.tensor(header, payload)
        if isinstance(self.family, LTXFamily):
            self.family.fps = fps
        with self.torch.no_grad():
            v = self.family.velocity(x, float(header["t"]), cond, uncond, guidance)
        return {"shape": header["shape"], "dtype": "f32"}, self.to_bytes(v)

    def decode(self, header, payload):
        f = self.family
        x = self.tensor(header, payload)
        first, (start, end) = header["first_frame"], header["video_frames"]
        with self.torch.no_grad():
            video = f.decode(x)  # [1, 3, T, H, W] in [-1, 1]
        offset = first * f.temporal  # decoded frame c is video frame first * temporal + c
        lo, hi = start - offset, end - offset
        if lo < 0 or hi > video.shape[2]:
            raise ValueError(f"latent frames from {first} decode video frames {offset}..<{offset + video.shape[2]}, "
                             f"not {start}..<{end}")
        frames = video[0, :, lo:hi].permute(1, 2, 3, 0).float()
        rgb = ((frames / 2 + 0.5).clamp(0, 1) * 255).round().to(self.torch.uint8).cpu().numpy()
        height, width = rgb.shape[1], rgb.shape[2]
        if (width, height) != (header["width"], header["height"]):
            raise ValueError(f"decoded {width}x{height}, the job wants {header['width']}x{header['height']}")
        return {"shape": [hi - lo, height, width, 3], "dtype": "u8"}, rgb.tobytes()

    def release(self, header, payload):
        self.windows.pop(header["window"], None)
        return {}

    # -- helpers

    def load(self):
        if self.family is not None:
            return
        index = os.path.join(self.folder, "model_index.json")
        if not os.path.isfile(index):
            raise ValueError(f"{self.folder} is not a diffusers pipeline folder (no model_index.json)")
        with open(index) as f:
            class_name = json.load(f).get("_class_name")
        if class_name not in FAMILIES:
            raise ValueError(f"{self.folder}: pipeline {class_name} is not supported; supported: {', '.join(FAMILIES)}")
        import torch
        import diffusers

        self.torch = torch
        self.device = self.device_name or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.dtype_name is None:
            self.dtype_name = "bf16" if self.device.startswith("cuda") else "fp32"
        dtype = getattr(torch, DTYPES[self.dtype_name])
        threads = os.environ.get("LONGSHOT_TORCH_THREADS")
        if threads:
            torch.set_num_threads(int(threads))
        try:
            pipe = getattr(diffusers, class_name).from_pretrained(self.folder, torch_dtype=dtype)
        except Exception as error:
            raise ValueError(f"cannot load {self.folder}: {type(error).__name__}: {error}".splitlines()[0]) from error
        pipe.set_progress_bar_config(disable=True)
        self.pipe = pipe.to(self.device)
        if hasattr(self.pipe.vae, "use_framewise_decoding"):
            self.pipe.vae.use_framewise_decoding = False
        self.family = FAMILIES[class_name](self.pipe, torch, self.device)
        self.digest = weights_digest(self.folder)
        self.model_name = f"{os.path.basename(self.folder.rstrip('/'))}@{self.digest[:12]}"

    def layout_for(self, width, height):
        f = self.family
        context = self.decode_context if self.decode_context is not None else 2
        return {"channels": f.channels, "height": height // f.spatial, "width": width // f.spatial,
                "temporal_factor": f.temporal, "spatial_factor": f.spatial, "causal": True,
                "decode_context": context}

    def text(self, prompt):
        if prompt not in self.texts:
            with self.torch.no_grad():
                self.texts[prompt] = self.family.encode(prompt)
        return self.texts[prompt]

    def tensor(self, header, payload):
        shape = header["shape"]
        array = np.frombuffer(payload, dtype="<f4").reshape(shape)
        x = self.torch.from_numpy(array.copy()).to(self.device)
        return x.permute(1, 0, 2, 3).unsqueeze(0)  # [frames, C, H, W] -> [1, C, frames, H, W]

    def to_bytes(self, v):
        return v[0].permute(1, 0, 2, 3).contiguous().float().cpu().numpy().astype("<f4").tobytes()

    def memory(self):
        info = {}
        try:
            import resource

            info["rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        except Exception:
            pass
        if self.device.startswith("cuda"):
            info["gpu_bytes"] = int(self.torch.cuda.memory_allocated())
        return info


def main():
    parser = argparse.ArgumentParser(description="Longshot's diffusers engine (external engine protocol 1)")
    parser.add_argument("model", help="a diffusers pipeline folder (save_pretrained layout)")
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available)")
    parser.add_argument("--dtype", default=None, choices=sorted(DTYPES), help="default fp32 on CPU, bf16 on CUDA")
    parser.add_argument("--decode-context", type=int, default=None,
                        help="latent frames of context a decode segment takes on each side (default 2)")
    args = parser.parse_args()
    serve(DiffusersEngine(args.model, args.device, args.dtype, args.decode_context))


if __name__ == "__main__":
    main()
