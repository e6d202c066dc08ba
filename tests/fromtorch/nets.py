"""Hand-written PyTorch modules that tests convert (torchvision is not importable here)."""
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class LeNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock."""

    def __init__(self, cin, c, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class SmallResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Dropout(0.2), nn.Linear(200, 100),
                                    nn.Tanh(), nn.Linear(100, 10))

    def forward(self, x):
        return self.layers(x)


class Concat(nn.Module):
    """Two branches joined with torch.cat, then a mean over the pixels."""

    def __init__(self):
        super().__init__()
        self.left = nn.Conv2d(3, 4, 1)
        self.right = nn.Conv2d(3, 6, 3, padding=1)
        self.norm = nn.BatchNorm2d(10)
        self.head = nn.Linear(10, 5)

    def forward(self, x):
        x = torch.cat([self.left(x), F.relu(self.right(x))], dim=1)
        x = self.norm(x).mean((2, 3))
        return self.head(x)


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.cumsum(self.conv(x), dim=1)


class ConvNormActivation(nn.Sequential):
    """torchvision's Conv2dNormActivation: a Sequential subclass that keeps its forward."""

    def __init__(self, cin, cout, stride=1, groups=1):
        super().__init__(nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, c, t):
        super().__init__()
        self.conv = nn.Sequential(ConvNormActivation(c, c * t, groups=1), nn.Conv2d(c * t, c, 1, bias=False),
                                  nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.conv(x)


class MobileLike(nn.Module):
    """Nested and mixed nn.Sequentials, as torchvision's MobileNetV2 `features`."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(ConvNormActivation(3, 8, stride=2), InvertedResidual(8, 2),
                                      InvertedResidual(8, 3), nn.Dropout(0.1))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(8, 4))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class ReadsItsWeights(nn.Module):
    """A constructor that reads a weight's value: it cannot be built on the meta device, so
    from-torch builds it again on the CPU."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        nn.init.constant_(self.fc.bias, 1.0)
        self.width = int(self.fc.bias.sum().item())

    def forward(self, x):
        return self.fc(x)


# ---- patterns of torchvision's convolutional families, written out (torchvision is not a
# dependency): RegNet's and DenseNet's named nn.Sequentials, DenseNet's dense block,
# ShuffleNet v2's channel shuffle and split, ConvNeXt's permutes and layer scale.
class ResBottleneck(nn.Module):
    """RegNet's ResBottleneckBlock: x (or its projection) + f(x), f a Sequential named a, b, c."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.proj = None
        if cin != cout or stride != 1:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.f = nn.Sequential(OrderedDict(
            a=nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)),
            b=nn.Sequential(nn.Conv2d(cout, cout, 3, stride, 1, groups=2, bias=False), nn.BatchNorm2d(cout),
                            nn.ReLU(inplace=True)),
            c=nn.Sequential(nn.Conv2d(cout, cout, 1, bias=False), nn.BatchNorm2d(cout))))
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class Stage(nn.Sequential):
    """RegNet's AnyStage: children named `block1-0`, `block1-1` (no identifiers)."""

    def __init__(self, cin, cout, stride, depth, index):
        super().__init__()
        for i in range(depth):
            self.add_module(f"block{index}-{i}", ResBottleneck(cin if i == 0 else cout, cout, stride if i == 0 else 1))


class RegNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.trunk_output = nn.Sequential(OrderedDict(block1=Stage(8, 8, 1, 2, 1), block2=Stage(8, 16, 2, 1, 2)))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.trunk_output(self.stem(x))
        return self.fc(self.avgpool(x).flatten(start_dim=1))


class DenseLayer(nn.Module):
    """torchvision's _DenseLayer: concatenates the list of earlier features it is given."""

    def __init__(self, cin, growth):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, 2 * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(2 * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(2 * growth, growth, 3, padding=1, bias=False)

    def forward(self, features):
        x = torch.cat(features, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))


class DenseBlock(nn.ModuleDict):
    """torchvision's _DenseBlock: each layer reads every earlier output; all are concatenated."""

    def __init__(self, layers, cin, growth):
        super().__init__()
        for i in range(layers):
            self.add_module(f"denselayer{i + 1}", DenseLayer(cin + i * growth, growth))

    def forward(self, x):
        features = [x]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.pool = nn.AvgPool2d(2, 2)


class DenseNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(OrderedDict(
            conv0=nn.Conv2d(3, 8, 3, padding=1, bias=False), norm0=nn.BatchNorm2d(8),
            relu0=nn.ReLU(inplace=True), pool0=nn.MaxPool2d(2)))
        self.features.add_module("denseblock1", DenseBlock(3, 8, 4))        # 8 + 3·4 = 20
        self.features.add_module("transition1", Transition(20, 10))
        self.features.add_module("denseblock2", DenseBlock(2, 10, 4))       # 10 + 2·4 = 18
        self.features.add_module("norm5", nn.BatchNorm2d(18))
        self.classifier = nn.Linear(18, 3)

    def forward(self, x):
        x = F.relu(self.features(x))
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


def channel_shuffle(x, groups: int):
    """torchvision's shufflenetv2.channel_shuffle, as written there."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


class ShuffleUnit(nn.Module):
    """ShuffleNet v2's InvertedResidual: split in halves (stride 1) or two branches (stride 2),
    concatenated, then the channels shuffled in 2 groups."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
                                         nn.BatchNorm2d(cin), nn.Conv2d(cin, half, 1, bias=False),
                                         nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(nn.Conv2d(cin if stride > 1 else half, half, 1, bias=False),
                                     nn.BatchNorm2d(half), nn.ReLU(inplace=True),
                                     nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False),
                                     nn.BatchNorm2d(half))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.stage2 = nn.Sequential(ShuffleUnit(8, 16, 2), ShuffleUnit(16, 16, 1), ShuffleUnit(16, 16, 1))
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = self.stage2(self.conv1(x))
        return self.fc(x.mean([2, 3]))


class Permute(nn.Module):
    """torchvision.ops.Permute."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)


class LayerNorm2d(nn.LayerNorm):
    """torchvision's ConvNeXt LayerNorm2d: over the channels of N×C×H×W."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    """torchvision.ops.stochastic_depth: the identity unless training."""
    if not training or p == 0.0:
        return input
    keep = torch.empty([input.shape[0]] + [1] * (input.ndim - 1)).bernoulli_(1 - p)
    return input * keep / (1 - p)


torch.fx.wrap("stochastic_depth")


class StochasticDepth(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return stochastic_depth(x, self.p, "row", self.training)


class CNBlock(nn.Module):
    """ConvNeXt's block: depthwise 7×7, then LayerNorm and two Linear layers on channels-last
    values between two Permutes, times a C×1×1 layer scale, plus the input."""

    def __init__(self, c):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(c, c, 7, padding=3, groups=c), Permute([0, 2, 3, 1]),
                                   nn.LayerNorm(c, eps=1e-6), nn.Linear(c, 4 * c), nn.GELU(),
                                   nn.Linear(4 * c, c), Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(torch.ones(c, 1, 1) * 1e-6)
        self.stochastic_depth = StochasticDepth(0.1)

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        result += input
        return result


class ConvNeXtLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 2, 2), LayerNorm2d(8, eps=1e-6)),
            nn.Sequential(CNBlock(8), CNBlock(8)),
            nn.Sequential(LayerNorm2d(8, eps=1e-6), nn.Conv2d(8, 16, 2, 2)),
            nn.Sequential(CNBlock(16)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Flatten(1), nn.Linear(16, 3))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))
