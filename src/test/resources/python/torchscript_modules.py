"""PyTorch's side of the torchscript: tests (run with Debian's python3-torch).

  torchscript_modules.py make DIR NAME  -- scripts module NAME after torch.manual_seed(0) and saves
      it as DIR/NAME.pt; also writes its state dict's keys, shapes and dtypes to DIR/NAME.keys.json.
      NAME: quickstart (the quickstart's NeuralNetwork, verbatim), cnn_bn (a small CNN with
      BatchNorm and Dropout), frozen (no parameter), wide_output (returns [batch, 10, 2]),
      resnet18 and mobilenet_v3_small (torchvision's, 10 classes).
  torchscript_modules.py check DIR NAME PTH DATA [MEAN STD [SIDE]]  -- loads streamtrain's
      exported state dict PTH into a fresh NAME with load_state_dict(strict=True), evaluates it in
      eval mode on the Fashion-MNIST test set in DATA (IDX .gz files) as the quickstart's test()
      does and prints "accuracy=<fraction>". The images go through what --transforms
      resize:SIDExSIDE,rgb,normalize:MEAN:STD does: a bilinear resize of the uint8 pixels rounded
      back to uint8 (SIDE given), scaling to [0,1], three equal channels (SIDE given),
      normalisation (MEAN and STD given).
  torchscript_modules.py state DIR NAME PTH  -- loads PTH (strict) and prints the buffers' sums as
      JSON (so a test sees BatchNorm statistics that moved).
"""

import gzip
import json
import os
import struct
import sys

import torch
from torch import nn

# The quickstart's model, as the state-dict checks define it (copied beside this script).
from torch_state_dict import NeuralNetwork


class CnnBn(nn.Module):
    """Two conv blocks with BatchNorm, a hidden Linear with Dropout."""

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
            nn.Linear(64 * 7 * 7, 256),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(256, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class Frozen(nn.Module):
    def forward(self, x):
        return torch.flatten(x, 1)[:, :10]


class WideOutput(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(28 * 28, 20)

    def forward(self, x):
        return self.linear(torch.flatten(x, 1)).reshape(-1, 10, 2)


def resnet18():
    import torchvision

    return torchvision.models.resnet18(num_classes=10)


def mobilenet_v3_small():
    import torchvision

    return torchvision.models.mobilenet_v3_small(num_classes=10)


MODULES = {
    "quickstart": NeuralNetwork,
    "cnn_bn": CnnBn,
    "frozen": Frozen,
    "wide_output": WideOutput,
    "resnet18": resnet18,
    "mobilenet_v3_small": mobilenet_v3_small,
}


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def main():
    mode, directory, name = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "make":
        torch.manual_seed(0)
        model = MODULES[name]()
        torch.jit.script(model).save(os.path.join(directory, name + ".pt"))
        keys = [[k, list(v.shape), str(v.dtype)] for k, v in model.state_dict().items()]
        with open(os.path.join(directory, name + ".keys.json"), "w") as f:
            json.dump(keys, f)
        print("saved")
        return
    model = MODULES[name]()
    state = torch.load(sys.argv[4])
    model.load_state_dict(state, strict=True)
    model.eval()
    if mode == "state":
        print(json.dumps({k: float(v.double().sum()) for k, v in model.named_buffers()}))
        return
    data = sys.argv[5]
    images = idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).float().div(255)
    labels = idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).long()
    images = images.unsqueeze(1)
    if len(sys.argv) > 8:
        side = int(sys.argv[8])
        raw = idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).float().unsqueeze(1)
        resized = torch.nn.functional.interpolate(
            raw, size=(side, side), mode="bilinear", align_corners=False
        )
        images = resized.round().clamp(0, 255).div(255).repeat(1, 3, 1, 1)
    if len(sys.argv) > 7:
        images = (images - float(sys.argv[6])) / float(sys.argv[7])
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 64):
            x = images[start : start + 64]
            pred = model(x)
            correct += (pred.argmax(1) == labels[start : start + 64]).type(torch.float).sum().item()
    print("accuracy=%.6f" % (correct / len(labels)))


if __name__ == "__main__":
    main()
