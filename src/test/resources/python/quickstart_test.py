"""The PyTorch quickstart's test loop on a state dict streamtrain saved (run by QuickstartModelFileIT
with Debian's python3-torch and python3-torchvision).

  quickstart_test.py MODEL.pth FASHION_MNIST_DIR WORK_DIR

Loads MODEL.pth into the quickstart's NeuralNetwork, verbatim, with
torch.load(..., weights_only=True) (PyTorch 1.13 has weights_only: it refuses anything but tensors
and plain containers), and prints the quickstart's "Test Error:" lines for torchvision's
FashionMNIST test split, read from the IDX .gz files of FASHION_MNIST_DIR, unpacked under WORK_DIR
where torchvision looks for them (no download).
"""
import gzip
import os
import shutil
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


def unpack(source, root):
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    # torchvision checks that both splits are there before it reads one.
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        target = os.path.join(raw, name)
        if os.path.exists(os.path.join(source, name)):
            shutil.copyfile(os.path.join(source, name), target)
        else:
            with gzip.open(os.path.join(source, name + ".gz"), "rb") as f, open(target, "wb") as out:
                shutil.copyfileobj(f, out)


def main():
    model_file, data_dir, work_dir = sys.argv[1:4]
    unpack(data_dir, work_dir)
    test_data = datasets.FashionMNIST(root=work_dir, train=False, download=False,
                                      transform=ToTensor())
    test_dataloader = DataLoader(test_data, batch_size=64)
    model = NeuralNetwork()
    model.load_state_dict(torch.load(model_file, weights_only=True))
    test(test_dataloader, model, nn.CrossEntropyLoss())


if __name__ == "__main__":
    main()
