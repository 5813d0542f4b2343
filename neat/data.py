"""Datasets for the NEAT pipeline: Fashion-MNIST (built-in default), CIFAR-10, CIFAR-100, synthetic.

All data is loaded into memory as tensors (images float32, NCHW, normalised
per channel with the training set's mean and standard deviation; labels
int64).  Batches are drawn by :class:`BatchIterator`, whose shuffling and
augmentation are a pure function of ``(seed, epoch key)``: a run resumed from
a checkpoint sees exactly the batches it would have seen uninterrupted.

Sources
-------
``fashion_mnist``
    The original IDX ``.gz`` files (``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) in ``data_dir`` (default
    :data:`FASHION_MNIST_DIR`, where Debian's ``dataset-fashion-mnist``
    package installs them).  28×28×1, 10 classes, 60 000 / 10 000 images.
``cifar10`` / ``cifar100``
    The standard python pickles: ``data_dir`` is (or contains)
    ``cifar-10-batches-py`` (``data_batch_1..5``, ``test_batch``) or
    ``cifar-100-python`` (``train``, ``test``; fine labels).  32×32×3.
``synthetic``
    A tiny deterministic 10-class problem (class-dependent blobs), for tests.

Augmentation (``augment=True``, training split only): random crop after
zero-padding by 2 (28×28) or 4 (32×32) pixels, and a random horizontal flip.
"""
from __future__ import annotations

import gzip
import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = ["DATASETS", "FASHION_MNIST_DIR", "DatasetMissingError", "Dataset", "read_idx", "load_fashion_mnist",
           "load_cifar", "load_synthetic", "load_dataset", "BatchIterator", "derive_seed"]

DATASETS = ("fashion_mnist", "cifar10", "cifar100", "synthetic")
#: Where Debian's ``dataset-fashion-mnist`` package puts the IDX files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
_FMNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                 "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


class DatasetMissingError(FileNotFoundError):
    """A dataset's files are not where they were looked for; the message says how to get them."""


@dataclass
class Dataset:
    """An in-memory dataset split pair.

    x_train, x_test : float32 tensors (N, C, H, W), normalised.
    y_train, y_test : int64 tensors (N,).
    num_classes : int; name : str; mean, std : per-channel statistics (of the raw [0, 1] pixels) used.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    mean: tuple
    std: tuple

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.x_train.shape[-1])

    def describe(self) -> dict:
        return {"name": self.name, "train": int(self.x_train.shape[0]), "test": int(self.x_test.shape[0]),
                "shape": list(self.x_train.shape[1:]), "num_classes": self.num_classes,
                "mean": list(self.mean), "std": list(self.std)}


def derive_seed(*parts) -> int:
    """A 63-bit seed from any printable parts (stable across processes, unlike ``hash``)."""
    h = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "little") & ((1 << 63) - 1)


# ------------------------------------------------------------------------------ readers
def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally ``.gz``) into a numpy array of its declared dtype and shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{data[2]:02x}")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(dtypes[data[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - offset != expected:
        raise ValueError(f"{path}: IDX header declares shape {shape} ({expected} bytes) but the file holds "
                         f"{len(data) - offset} bytes of data")
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def _missing(name: str, where: Path, files, hint: str) -> DatasetMissingError:
    return DatasetMissingError(f"{name} not found: looked for {', '.join(files)} in {where}. {hint}")


def load_fashion_mnist(data_dir=None):
    """Raw Fashion-MNIST: ``(x_train uint8 (60000, 1, 28, 28), y_train, x_test, y_test, 10)``.

    ``data_dir`` defaults to :data:`FASHION_MNIST_DIR`.  Raises
    :class:`DatasetMissingError` saying how to install it if files are missing.
    """
    d = FASHION_MNIST_DIR if data_dir is None else Path(data_dir)
    needed = [f for pair in _FMNIST_FILES.values() for f in pair]
    if not all((d / f).is_file() for f in needed):
        raise _missing("Fashion-MNIST", d, needed,
                       "Install it with `apt-get install dataset-fashion-mnist` (Debian; files go to "
                       f"{FASHION_MNIST_DIR}) or pass --data-dir pointing at a folder holding the four IDX .gz files.")
    out = []
    for split in ("train", "test"):
        xi, yi = _FMNIST_FILES[split]
        x = read_idx(d / xi)
        y = read_idx(d / yi)
        if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise ValueError(f"Fashion-MNIST {split}: images {x.shape} and labels {y.shape} do not match")
        out += [x[:, None], y.astype(np.int64)]
    return out[0], out[1], out[2], out[3], 10


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def _get(d: dict, key: str):
    return d[key.encode()] if key.encode() in d else d[key]


def load_cifar(data_dir, classes: int = 10):
    """Raw CIFAR-10/100 from the python pickles: ``(x_train uint8 (N, 3, 32, 32), y_train, x_test, y_test, classes)``.

    ``data_dir`` is the ``cifar-10-batches-py`` / ``cifar-100-python`` folder
    itself or a folder containing it.  CIFAR-100 uses the 100 fine labels.
    """
    if classes not in (10, 100):
        raise ValueError(f"classes must be 10 or 100, got {classes!r}")
    if data_dir is None:
        raise DatasetMissingError(f"CIFAR-{classes} needs --data-dir: the folder holding (or containing) "
                                  f"{'cifar-10-batches-py' if classes == 10 else 'cifar-100-python'} "
                                  f"(the standard python version from https://www.cs.toronto.edu/~kriz/cifar.html)")
    base = Path(data_dir)
    sub = "cifar-10-batches-py" if classes == 10 else "cifar-100-python"
    d = base / sub if (base / sub).is_dir() else base
    if classes == 10:
        train_files, test_files, label_key = [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"], "labels"
    else:
        train_files, test_files, label_key = ["train"], ["test"], "fine_labels"
    needed = train_files + test_files
    if not all((d / f).is_file() for f in needed):
        raise _missing(f"CIFAR-{classes}", d, needed,
                       f"Download the python version from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and "
                       f"pass --data-dir pointing at the folder that contains '{sub}'.")

    def read(files):
        xs, ys = [], []
        for f in files:
            b = _unpickle(d / f)
            x = np.asarray(_get(b, "data"), dtype=np.uint8)
            y = np.asarray(_get(b, label_key), dtype=np.int64)
            if x.ndim != 2 or x.shape[1] != 3072 or x.shape[0] != y.shape[0]:
                raise ValueError(f"{d / f}: expected data (N, 3072) and N labels, got {x.shape}, {y.shape}")
            xs.append(x.reshape(-1, 3, 32, 32))
            ys.append(y)
        return np.concatenate(xs), np.concatenate(ys)

    xtr, ytr = read(train_files)
    xte, yte = read(test_files)
    return xtr, ytr, xte, yte, classes


def load_synthetic(n_train: int = 512, n_test: int = 256, size: int = 12, channels: int = 1, classes: int = 10,
                   seed: int = 0):
    """A tiny learnable problem: each class is a fixed random template plus noise (uint8 images)."""
    rng = np.random.default_rng(seed)
    templates = rng.uniform(0, 255, size=(classes, channels, size, size))

    def make(n):
        y = rng.integers(0, classes, size=n)
        x = templates[y] * 0.7 + rng.uniform(0, 255 * 0.3, size=(n, channels, size, size))
        return np.clip(x, 0, 255).astype(np.uint8), y.astype(np.int64)

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    return xtr, ytr, xte, yte, classes


def _subset(n: int, k: int | None, seed: int, tag: str) -> np.ndarray | None:
    if k is None or k >= n:
        return None
    if k < 1:
        raise ValueError(f"subset size must be >= 1, got {k}")
    rng = np.random.default_rng(derive_seed(seed, "subset", tag))
    return np.sort(rng.choice(n, size=k, replace=False))


def load_dataset(name: str = "fashion_mnist", data_dir=None, *, train_subset: int | None = None,
                 test_subset: int | None = None, subset_seed: int = 0) -> Dataset:
    """Load, subset (deterministically: the same ``subset_seed`` always picks the same images) and normalise.

    ``train_subset`` / ``test_subset``: number of images kept (None: all).
    Normalisation uses the per-channel mean/std of the (subset) training images.
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")
    if name == "fashion_mnist":
        raw = load_fashion_mnist(data_dir)
    elif name == "cifar10":
        raw = load_cifar(data_dir, 10)
    elif name == "cifar100":
        raw = load_cifar(data_dir, 100)
    else:
        raw = load_synthetic()
    xtr, ytr, xte, yte, classes = raw
    for tag, k, arrs in (("train", train_subset, (xtr, ytr)), ("test", test_subset, (xte, yte))):
        idx = _subset(arrs[0].shape[0], k, subset_seed, tag)
        if idx is not None:
            if tag == "train":
                xtr, ytr = xtr[idx], ytr[idx]
            else:
                xte, yte = xte[idx], yte[idx]
    xtr_f = torch.from_numpy(np.ascontiguousarray(xtr)).float().div_(255.0)
    xte_f = torch.from_numpy(np.ascontiguousarray(xte)).float().div_(255.0)
    mean = xtr_f.mean(dim=(0, 2, 3))
    std = xtr_f.std(dim=(0, 2, 3)).clamp_min(1e-6)
    norm = lambda x: (x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)  # noqa: E731
    # Canonical NCHW strides: with one channel, the broadcast arithmetic leaves the channel stride at 1,
    # which torch reads as channels-last and hands to oneDNN's channels-last convolutions; their 1x1
    # stride-2 backward (ResNet's shortcut) corrupts the heap in torch 2.13 with 4 channels.
    return Dataset(name=name, x_train=norm(xtr_f).clone(memory_format=torch.contiguous_format),
                   y_train=torch.from_numpy(np.asarray(ytr)).long(),
                   x_test=norm(xte_f).clone(memory_format=torch.contiguous_format),
                   y_test=torch.from_numpy(np.asarray(yte)).long(),
                   num_classes=int(classes), mean=tuple(float(m) for m in mean), std=tuple(float(s) for s in std))


class BatchIterator:
    """Deterministic mini-batches of ``(x, y)``.

    ``shuffle``/``augment`` randomness comes from a generator seeded with
    ``derive_seed(seed, key)``, so the same ``key`` (e.g. ``"baseline/epoch3"``)
    gives the same batches in any process.  ``limit`` keeps the first
    ``limit`` samples of the (shuffled) order.

    ``rank``/``world_size`` (data-parallel training, :mod:`neat.ddp`): every
    process draws the same global order and keeps its ``DistributedSampler``
    shard of it (every ``world_size``-th sample starting at ``rank``, padded by
    wrapping around so that every rank has as many batches), so together the
    ranks see each sample of the epoch.  The defaults (0, 1) keep everything.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, *, shuffle: bool = False,
                 augment: bool = False, seed: int = 0, key: str = "", limit: int | None = None,
                 rank: int = 0, world_size: int = 1):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not (isinstance(world_size, int) and world_size >= 1 and isinstance(rank, int) and 0 <= rank < world_size):
            raise ValueError(f"need integers 0 <= rank < world_size, got rank={rank!r}, world_size={world_size!r}")
        self.x, self.y, self.batch_size = x, y, int(batch_size)
        self.shuffle, self.augment = shuffle, augment
        self.gen = torch.Generator().manual_seed(derive_seed(seed, key))
        n = x.shape[0]
        order = torch.randperm(n, generator=self.gen) if shuffle else torch.arange(n)
        order = order[:limit] if limit is not None else order
        from .ddp import shard_positions
        self.order = order[shard_positions(len(order), rank, world_size)]

    def __len__(self) -> int:
        return (len(self.order) + self.batch_size - 1) // self.batch_size

    def _augment(self, xb: torch.Tensor) -> torch.Tensor:
        n, _, h, w = xb.shape
        pad = 4 if h >= 32 else 2
        flip = torch.rand(n, generator=self.gen) < 0.5
        xb = torch.where(flip.view(-1, 1, 1, 1), xb.flip(-1), xb)
        padded = torch.nn.functional.pad(xb, (pad, pad, pad, pad))
        dx = torch.randint(0, 2 * pad + 1, (n,), generator=self.gen)
        dy = torch.randint(0, 2 * pad + 1, (n,), generator=self.gen)
        rows = (dy.view(-1, 1) + torch.arange(h).view(1, -1))  # (n, h)
        cols = (dx.view(-1, 1) + torch.arange(w).view(1, -1))  # (n, w)
        idx_n = torch.arange(n).view(-1, 1, 1, 1)
        idx_c = torch.arange(xb.shape[1]).view(1, -1, 1, 1)
        return padded[idx_n, idx_c, rows.view(n, 1, h, 1), cols.view(n, 1, 1, w)]

    def __iter__(self):
        for s in range(0, len(self.order), self.batch_size):
            idx = self.order[s:s + self.batch_size]
            xb, yb = self.x[idx], self.y[idx]
            if self.augment:
                xb = self._augment(xb)
            yield xb, yb
