"""PyTorch's side of PyTorchStateDictIT (run with Debian's python3-torch).

ARCH is quickstart (the quickstart's NeuralNetwork, verbatim), cnn_small (streamtrain's
cnn:small) or resnet18_cifar (streamtrain's resnet18-cifar, torchvision's key names).

  torch_state_dict.py save DIR ARCH  -- a seeded ARCH takes two training steps (so BatchNorm
      statistics move), then saves its state dict as DIR/pytorch.pth (torch.save) and
      DIR/pytorch.safetensors (written by hand), plus DIR/views.pth (strided views, shared storage,
      int64 and float16 tensors), the raw bytes of every tensor in DIR/raw/<key>.bin, its keys and
      shapes in DIR/keys.json, an input batch DIR/x.bin and its eval-mode softmax DIR/probs.bin.
  torch_state_dict.py load DIR ARCH  -- loads streamtrain's DIR/streamtrain.pth (torch.load with
      weights_only=True where this PyTorch has it) and DIR/streamtrain.safetensors (parsed by hand
      with struct/json/torch.frombuffer) into ARCH with load_state_dict (strict), compares every
      tensor bit for bit with DIR/raw/<key>.bin, and the eval-mode softmax on DIR/x.bin with
      DIR/probs.bin. Prints "ok" and exits 0, or says what differs and exits 1.
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


class SmallCnn(nn.Module):
    """streamtrain's cnn:1x28x28-c32-c64-f128-10."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class ResNet18Cifar(nn.Module):
    """torchvision's resnet18 with the CIFAR stem (3x3 conv, stride 1, no max pooling)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        inplanes = 64
        for index, planes in enumerate([64, 128, 256, 512]):
            stride = 1 if index == 0 else 2
            blocks = [BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes, 1)]
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


ARCHITECTURES = {
    "quickstart": (NeuralNetwork, (1, 28, 28)),
    "cnn_small": (SmallCnn, (1, 28, 28)),
    "resnet18_cifar": (ResNet18Cifar, (3, 32, 32)),
}


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


def save(directory, arch):
    torch.manual_seed(7)
    factory, shape = ARCHITECTURES[arch]
    model = factory()
    if arch != "quickstart":
        # Two training steps, so BatchNorm's running statistics and counters are not the defaults.
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        model.train()
        for step in range(2):
            images = torch.rand(4, *shape)
            loss = nn.functional.cross_entropy(model(images), torch.tensor([0, 1, 2, 3]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    state = model.state_dict()
    torch.save(state, os.path.join(directory, "pytorch.pth"))
    write_safetensors(os.path.join(directory, "pytorch.safetensors"), state)
    with open(os.path.join(directory, "keys.json"), "w") as f:
        json.dump([[key, list(tensor.shape)] for key, tensor in state.items()], f)

    base = torch.arange(20, dtype=torch.float32).reshape(4, 5) * 0.5 - 3
    views = collections.OrderedDict()
    views["transposed"] = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    views["slice"] = base[1:, 2:]
    views["same_storage"] = base
    views["count"] = torch.tensor(5, dtype=torch.int64)
    views["half"] = torch.tensor([1.5, -2.25, 65504.0], dtype=torch.float16)
    torch.save(views, os.path.join(directory, "views.pth"))

    write_raw(directory, collections.OrderedDict(list(state.items()) + list(views.items())))
    x = torch.rand(BATCH, *shape, generator=torch.Generator().manual_seed(3))
    with open(os.path.join(directory, "x.bin"), "wb") as f:
        f.write(raw(x))
    with open(os.path.join(directory, "probs.bin"), "wb") as f:
        f.write(raw(softmax(model, x)))
    print("saved")


def load(directory, arch):
    factory, shape = ARCHITECTURES[arch]
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
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(-1, *shape)
    with open(os.path.join(directory, "probs.bin"), "rb") as f:
        expected = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(-1, 10)
    for name, loaded in candidates.items():
        model = factory()
        model.load_state_dict(loaded)  # strict: every key and shape must match
        for key, tensor in model.state_dict().items():
            with open(os.path.join(directory, "raw", key + ".bin"), "rb") as f:
                if raw(tensor) != f.read():
                    problems.append(f"{name}: {key} differs from streamtrain's bytes")
        difference = (softmax(model, x) - expected).abs().max().item()
        if difference > (1e-5 if arch == "quickstart" else 1e-4):
            problems.append(f"{name}: softmax differs from streamtrain's by {difference}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    {"save": save, "load": load}[sys.argv[1]](sys.argv[2], sys.argv[3])
