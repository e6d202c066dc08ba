"""Hand-written PyTorch modules that tests convert (torchvision is not importable here)."""
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
