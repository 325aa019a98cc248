"""Writes nn/src/test/resources/safetensors/: a PyTorch model's state_dict in the safetensors format,
once as float32 (PyTorch's default) and once as float64, with the model's outputs on fixed inputs,
for SafeTensorsTest to load into the equivalent Adjoint Sequential.

The safetensors package is not in Debian; the file is written here by the format's definition
(8-byte little-endian header length, JSON header, raw little-endian data), which is all
safetensors.torch.save_file does for contiguous CPU tensors.

Run with Debian's PyTorch:  /usr/bin/python3 nn/src/test/python/generate_safetensors_fixture.py
"""
import json
import os
import struct

import torch


def save_file(tensors, path):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        t = t.detach().contiguous()
        data = t.numpy().tobytes()  # little-endian on every machine PyTorch runs on here
        dtype = {torch.float32: "F32", torch.float64: "F64"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "safetensors")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(20261204)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    x = torch.randn(5, 3, dtype=torch.float64)
    save_file(model.state_dict(), os.path.join(out, "mlp-f32.safetensors"))
    model64 = model.double()
    save_file(model64.state_dict(), os.path.join(out, "mlp-f64.safetensors"))
    y = model64(x)
    with open(os.path.join(out, "mlp-io.txt"), "w") as f:
        f.write("# Sequential(Linear(3, 4), Tanh(), Linear(4, 2)) in PyTorch " + torch.__version__ + ", float64\n")
        f.write("input " + " ".join(repr(v) for v in x.reshape(-1).tolist()) + "\n")
        f.write("output " + " ".join(repr(v) for v in y.detach().reshape(-1).tolist()) + "\n")


if __name__ == "__main__":
    main()
