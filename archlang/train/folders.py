"""Image folders, the way most people keep their images (torchvision's ImageFolder, Keras'
image_dataset_from_directory): one subfolder per class, JPEG/PNG/... files in it, and
optionally `train/`, `val/` and `test/` folders above the class folders.

Only the file list and the class numbers are read up front; every image is decoded (Pillow),
converted to the spec's channels and resized to its W×H when a batch needs it, in the
DataLoader's worker processes, so a folder larger than memory trains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .dataset import Streamed
from .errors import TrainError
from .layout import format_shape

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SPLITS = ("train", "val", "test")


def decode(path: Path, input_shape) -> np.ndarray:
    """An image resized to the spec's W×H with its C channels (greyscale L, RGB, RGBA),
    values in [0, 1], as rows × columns × channels (H×W×C): Pillow when installed, else
    matplotlib (PNG, no resizing). TrainError for an unreadable file or a spec input that
    is not an image."""
    a = pixels(path, input_shape)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a


def pixels(path: Path, input_shape) -> np.ndarray:
    """`decode` before scaling: uint8 H×W×C from Pillow (float in [0, 1] from matplotlib)."""
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[2] not in (1, 3, 4):
        raise TrainError(f"{path}: images need a W×H×C input with 1, 3 or 4 channels; the spec's "
                         f"input is {format_shape(shape)}", "give arrays (.npy, .npz, CSV) instead")
    width, height, channels = shape
    Image = _pillow()
    try:
        if Image is not None:
            with Image.open(path) as im:
                im = im.convert({1: "L", 3: "RGB", 4: "RGBA"}[channels]).resize((width, height))
                a = np.array(im)              # writable: torch.from_numpy takes it
        else:
            import matplotlib.image as mpimg
            a = np.asarray(mpimg.imread(path), dtype=np.float32)
            a = a / 255.0 if a.max() > 1 else a
            if a.shape[:2] != (height, width):
                raise TrainError(f"{path} is {a.shape[1]}×{a.shape[0]}, the spec wants "
                                 f"{width}×{height}", "install Pillow to resize images")
            a = a[..., :3].mean(-1) if channels == 1 and a.ndim == 3 else a
    except TrainError:
        raise
    except Exception as err:  # noqa: BLE001  (Pillow raises several kinds for a bad file)
        raise TrainError(f"cannot read the image {path}: {err}") from None
    return a.reshape(height, width, channels)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file: its header with Pillow, else matplotlib's pixels."""
    Image = _pillow()
    try:
        if Image is not None:
            with Image.open(path) as im:
                return im.size
        import matplotlib.image as mpimg
        a = mpimg.imread(path)
        return a.shape[1], a.shape[0]
    except Exception as err:  # noqa: BLE001  (Pillow raises several kinds for a bad file)
        raise TrainError(f"cannot read the image {path}: {err}") from None


def _pillow():
    """Pillow's Image module, or None where Pillow is not installed (matplotlib reads PNG)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


class ImageFiles(torch.utils.data.Dataset):
    """(C×H×W float32 image, class number) for each file; picklable for worker processes."""

    def __init__(self, paths: list[Path], labels: list[int], input_shape):
        self.paths, self.labels, self.input_shape = paths, labels, tuple(input_shape)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        x, y = self.raw(i)
        return scaled(x), y

    def raw(self, i: int):
        """(the image as Pillow gives it, a C×H×W uint8 view, or floats, class number):
        transforms that only move pixels (crop, flip) run on these bytes, a quarter of the
        floats' memory, before `scaled` (transforms.Pipeline.train_one)."""
        a = pixels(self.paths[i], self.input_shape)
        return torch.from_numpy(a).permute(2, 0, 1), self.labels[i]


def scaled(x: torch.Tensor) -> torch.Tensor:
    """uint8 pixels → float32 in [0, 1], contiguous (floats pass through): one pass into C×H×W
    floats, then the division in place, the same numbers as `decode`'s."""
    if x.dtype != torch.uint8:
        return x
    return x.to(torch.float32, memory_format=torch.contiguous_format).div_(255.0)


def is_split_folder(root: Path) -> bool:
    """A folder with train/ (and maybe val/, test/) above its class folders."""
    return (root / "train").is_dir()


def image_folder(root, input_shape, split: str | None = None) -> Streamed:
    """The images of `root` (one subfolder per class) or of its `split` subfolder (train,
    val, test). Classes are the train part's subfolder names, sorted (class 0 first); every
    part numbers them alike. TrainError for a missing or empty folder, a class of val/ or
    test/ that train/ lacks, or a spec input that is not W×H×C."""
    root = Path(root)
    if not root.is_dir():
        raise TrainError(f"no such data folder: {root}")
    if split is not None and split not in SPLITS:
        raise TrainError(f"unknown split `{split}` of {root}", "use train, val or test")
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    if len(shape) != 3 or shape[2] not in (1, 3, 4):
        raise TrainError(f"{root} holds images but the spec's input is {format_shape(shape)}",
                         "an image folder trains a model whose input is W×H×C with 1 "
                         "(greyscale), 3 (RGB) or 4 (RGBA) channels, e.g. (32, 32, 3)")
    split_folder = is_split_folder(root)
    if not split_folder and split not in (None, "train"):
        raise TrainError(f"{root} has no {split}/ folder")
    classes = _classes(root / "train" if split_folder else root)
    part = root / (split or "train") if split_folder else root
    if split_folder and split != "train" and split is not None and not part.is_dir():
        raise TrainError(f"{root} has no {split}/ folder")
    extra = [c for c in _classes(part, empty_ok=True) if c not in classes]
    if extra:
        raise TrainError(f"{part} has the class folder `{extra[0]}` that {root / 'train'} lacks",
                         "every part names the same classes: " + ", ".join(classes))
    paths, labels = [], []
    for k, name in enumerate(classes):
        files = sorted(p for p in (part / name).glob("*") if p.is_file()
                       and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        paths += files
        labels += [k] * len(files)
    if not paths:
        raise TrainError(f"{part} holds no images",
                         "put the images in one subfolder per class (png, jpg, ...)")
    label = f"{root.name}/{split}" if split_folder and split else root.name
    return Streamed(ImageFiles(paths, labels, shape), label,
                    torch.tensor(labels, dtype=torch.int64), classes=classes)


def _classes(folder: Path, empty_ok: bool = False) -> list[str]:
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names and not empty_ok:
        loose = any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir())
        raise TrainError(f"{folder} has no class folders",
                         ("its images need one subfolder per class: " if loose else
                          "put the images in one subfolder per class: ") +
                         f"{folder}/cat/1.jpg, {folder}/dog/2.jpg, ...")
    return names
