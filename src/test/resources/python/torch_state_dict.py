"""PyTorch's side of PyTorchStateDictIT (run with Debian's python3-torch).

  torch_state_dict.py save DIR  -- the quickstart's NeuralNetwork saves its state dict as
      DIR/quickstart.pth (torch.save) and DIR/quickstart.safetensors (written by hand), plus
      DIR/views.pth (strided views, shared storage, int64 and float16 tensors), the raw bytes of
      every tensor in DIR/raw/<key>.bin, an input batch DIR/x.bin and its softmax DIR/probs.bin.
  torch_state_dict.py load DIR  -- loads streamtrain's DIR/streamtrain.pth (torch.load with
      weights_only=True where this PyTorch has it) and DIR/streamtrain.safetensors (parsed by hand
      with struct/json/torch.frombuffer) into the quickstart's NeuralNetwork with load_state_dict,
      compares every tensor bit for bit with DIR/raw/<key>.bin, and the model's softmax on
      DIR/x.bin with DIR/probs.bin. Prints "ok" and exits 0, or says what differs and exits 1.
"""

import collections
import json
import os
import struct
import sys

import torch
from torch import nn

BATCH = 8


class NeuralNetwork(nn.Module):
    """The PyTorch quickstart's model, verbatim."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def raw(tensor):
    return tensor.detach().contiguous().numpy().tobytes()


def write_raw(directory, tensors):
    os.makedirs(os.path.join(directory, "raw"), exist_ok=True)
    for key, tensor in tensors.items():
        with open(os.path.join(directory, "raw", key + ".bin"), "wb") as f:
            f.write(raw(tensor))


def write_safetensors(path, tensors):
    """The safetensors layout by hand: keys sorted as the reference writer does."""
    codes = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for key in sorted(tensors):
        data = raw(tensors[key])
        header[key] = {
            "dtype": codes[tensors[key].dtype],
            "shape": list(tensors[key].shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    dtypes = {"F32": torch.float32, "I64": torch.int64, "F16": torch.float16}
    with open(path, "rb") as f:
        content = f.read()
    (length,) = struct.unpack("<Q", content[:8])
    header = json.loads(content[8 : 8 + length])
    header.pop("__metadata__", None)
    buffer = content[8 + length :]
    result = collections.OrderedDict()
    for key, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = dtypes[entry["dtype"]]
        if begin == end:
            tensor = torch.zeros(entry["shape"], dtype=dtype)
        else:
            tensor = torch.frombuffer(bytearray(buffer[begin:end]), dtype=dtype)
        result[key] = tensor.reshape(entry["shape"])
    return result


def softmax(model, x):
    model.eval()
    with torch.no_grad():
        return torch.softmax(model(x), dim=1)


def save(directory):
    torch.manual_seed(7)
    model = NeuralNetwork()
    state = model.state_dict()
    torch.save(state, os.path.join(directory, "quickstart.pth"))
    write_safetensors(os.path.join(directory, "quickstart.safetensors"), state)

    base = torch.arange(20, dtype=torch.float32).reshape(4, 5) * 0.5 - 3
    views = collections.OrderedDict()
    views["transposed"] = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    views["slice"] = base[1:, 2:]
    views["same_storage"] = base
    views["count"] = torch.tensor(5, dtype=torch.int64)
    views["half"] = torch.tensor([1.5, -2.25, 65504.0], dtype=torch.float16)
    torch.save(views, os.path.join(directory, "views.pth"))

    write_raw(directory, collections.OrderedDict(list(state.items()) + list(views.items())))
    x = torch.rand(BATCH, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    with open(os.path.join(directory, "x.bin"), "wb") as f:
        f.write(raw(x))
    with open(os.path.join(directory, "probs.bin"), "wb") as f:
        f.write(raw(softmax(model, x)))
    print("saved")


def load(directory):
    problems = []
    try:
        state = torch.load(os.path.join(directory, "streamtrain.pth"), weights_only=True)
    except TypeError:  # a PyTorch without weights_only
        state = torch.load(os.path.join(directory, "streamtrain.pth"))
    candidates = {
        "streamtrain.pth": state,
        "streamtrain.safetensors": read_safetensors(
            os.path.join(directory, "streamtrain.safetensors")
        ),
    }
    with open(os.path.join(directory, "x.bin"), "rb") as f:
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(-1, 1, 28, 28)
    with open(os.path.join(directory, "probs.bin"), "rb") as f:
        expected = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(-1, 10)
    for name, loaded in candidates.items():
        model = NeuralNetwork()
        model.load_state_dict(loaded)  # strict: every key and shape must match
        for key, tensor in model.state_dict().items():
            with open(os.path.join(directory, "raw", key + ".bin"), "rb") as f:
                if raw(tensor) != f.read():
                    problems.append(f"{name}: {key} differs from streamtrain's bytes")
        if list(loaded.keys())[:1] != ["linear_relu_stack.0.weight"] and name.endswith(".pth"):
            problems.append(f"{name}: keys out of PyTorch's order: {list(loaded.keys())}")
        difference = (softmax(model, x) - expected).abs().max().item()
        if difference > 1e-5:
            problems.append(f"{name}: softmax differs from streamtrain's by {difference}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    {"save": save, "load": load}[sys.argv[1]](sys.argv[2])
