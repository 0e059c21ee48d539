#!/usr/bin/python3
"""The exporter-made test corpus: the architectures people deploy, written
in PyTorch at a small width and input size, with fixed seeds and random
weights (batch-norm statistics included), exported with torch.onnx.export.
Nothing is downloaded; random weights give meaningless accuracy, so these
models check import, compilation and exactness, never accuracy.

    models.py NAME DIR     writes DIR/model.onnx, DIR/input.npy (the test
                           input) and DIR/calib/*.npy (calibration samples)
    models.py --list       the model names

Needs Debian's python3-torch and python3-onnx; exits 77 (skipped) with the
package to install when they are missing.
"""

import os
import sys

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("python3-torch is missing (tools/setup.sh installs it: "
          "apt-get install python3-torch)")
    sys.exit(77)


def conv_bn(c1, c2, k=1, s=1, g=1, act=nn.SiLU):
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, groups=g, bias=False),
                         nn.BatchNorm2d(c2), act() if act else nn.Identity())


# ---- YOLOv5s (v5.0: Focus stem) ----------------------------------------------

class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, e=0.5):
        super().__init__()
        c = int(c2 * e)
        self.cv1, self.cv2 = conv_bn(c1, c, 1), conv_bn(c, c2, 3)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        c = c2 // 2
        self.cv1, self.cv2 = conv_bn(c1, c), conv_bn(c1, c)
        self.cv3 = conv_bn(2 * c, c2)
        self.m = nn.Sequential(*(Bottleneck(c, c, shortcut, 1.0)
                                 for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat([self.m(self.cv1(x)), self.cv2(x)], 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c = c1 // 2
        self.cv1, self.cv2 = conv_bn(c1, c), conv_bn(4 * c, c2)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat([x, y1, y2, self.m(y2)], 1))


class Focus(nn.Module):
    def __init__(self, c1, c2, k=3):
        super().__init__()
        self.conv = conv_bn(c1 * 4, c2, k)

    def forward(self, x):
        return self.conv(torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2],
                                    x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1))


class Detect5(nn.Module):
    """YOLOv5's head as exported: sigmoid, then xy = (2 s - 0.5 + grid) *
    stride and wh = (2 s)^2 * anchor, on [N, A, H, W, 5 + C] tensors."""

    def __init__(self, nc, chs, strides, sizes):
        super().__init__()
        self.no, self.na = nc + 5, 3
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in chs)
        self.strides = strides
        anchors = torch.tensor([[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119],
                                [116, 90, 156, 198, 373, 326]], dtype=torch.float32)
        self.grids, self.anchor_grids = [], []
        for (h, w), a in zip(sizes, anchors):
            yv, xv = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
            self.grids.append(torch.stack((xv, yv), 2).view(1, 1, h, w, 2).float())
            self.anchor_grids.append(a.view(1, 3, 1, 1, 2))

    def forward(self, xs):
        z = []
        for i, x in enumerate(xs):
            x = self.m[i](x)
            bs, _, ny, nx = x.shape
            y = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            xy = (y[..., 0:2] * 2 - 0.5 + self.grids[i]) * self.strides[i]
            wh = (y[..., 2:4] * 2) ** 2 * self.anchor_grids[i]
            z.append(torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, self.no))
        return torch.cat(z, 1)


class YOLOv5s(nn.Module):
    def __init__(self, size=64, nc=4, w=(8, 16, 32, 64, 128)):
        super().__init__()
        self.b0 = Focus(3, w[0])
        self.b1, self.b2 = conv_bn(w[0], w[1], 3, 2), C3(w[1], w[1], 1)
        self.b3, self.b4 = conv_bn(w[1], w[2], 3, 2), C3(w[2], w[2], 2)
        self.b5, self.b6 = conv_bn(w[2], w[3], 3, 2), C3(w[3], w[3], 2)
        self.b7, self.b8 = conv_bn(w[3], w[4], 3, 2), C3(w[4], w[4], 1)
        self.sppf = SPPF(w[4], w[4])
        self.h10 = conv_bn(w[4], w[3])
        self.h13 = C3(2 * w[3], w[3], 1, False)
        self.h14 = conv_bn(w[3], w[2])
        self.h17 = C3(2 * w[2], w[2], 1, False)
        self.h18 = conv_bn(w[2], w[2], 3, 2)
        self.h20 = C3(2 * w[2], w[3], 1, False)
        self.h21 = conv_bn(w[3], w[3], 3, 2)
        self.h23 = C3(2 * w[3], w[4], 1, False)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        s = [size // 8, size // 16, size // 32]
        self.detect = Detect5(nc, (w[2], w[3], w[4]), (8, 16, 32),
                              [(v, v) for v in s])

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        p5 = self.sppf(self.b8(self.b7(p4)))
        h10 = self.h10(p5)
        h13 = self.h13(torch.cat([self.up(h10), p4], 1))
        h14 = self.h14(h13)
        o3 = self.h17(torch.cat([self.up(h14), p3], 1))
        o4 = self.h20(torch.cat([self.h18(o3), h14], 1))
        o5 = self.h23(torch.cat([self.h21(o4), h10], 1))
        return self.detect([o3, o4, o5])


# ---- YOLOv8n: C2f, SPPF, decoupled head with DFL ------------------------------

class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = conv_bn(c1, 2 * self.c)
        self.cv2 = conv_bn((2 + n) * self.c, c2)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, 1.0)
                               for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class Detect8(nn.Module):
    """YOLOv8's head as exported: per level a box branch (4 x 16 distance
    bins) and a class branch; DFL (softmax over the bins, a 1x1 conv with
    weights 0..15), dist2bbox against the anchor points, times the stride."""

    def __init__(self, nc, chs, strides, sizes, reg_max=16):
        super().__init__()
        self.nc, self.reg_max = nc, reg_max
        c2, c3 = max(16, chs[0] // 4, reg_max * 4), max(chs[0], nc)
        self.cv2 = nn.ModuleList(nn.Sequential(conv_bn(c, c2, 3), conv_bn(c2, c2, 3),
                                               nn.Conv2d(c2, 4 * reg_max, 1)) for c in chs)
        self.cv3 = nn.ModuleList(nn.Sequential(conv_bn(c, c3, 3), conv_bn(c3, c3, 3),
                                               nn.Conv2d(c3, nc, 1)) for c in chs)
        self.dfl = nn.Conv2d(reg_max, 1, 1, bias=False)
        self.dfl.weight.data[:] = torch.arange(reg_max, dtype=torch.float32).view(1, reg_max, 1, 1)
        anchors, stride_t = [], []
        for (h, w), s in zip(sizes, strides):
            sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
            anchors.append(torch.stack((sx, sy), -1).view(-1, 2))
            stride_t.append(torch.full((h * w, 1), float(s)))
        self.anchors = torch.cat(anchors).transpose(0, 1).unsqueeze(0)
        self.stride_t = torch.cat(stride_t).transpose(0, 1).unsqueeze(0)

    def forward(self, xs):
        b = xs[0].shape[0]
        box = torch.cat([self.cv2[i](x).view(b, 4 * self.reg_max, -1) for i, x in enumerate(xs)], 2)
        cls = torch.cat([self.cv3[i](x).view(b, self.nc, -1) for i, x in enumerate(xs)], 2)
        a = box.shape[2]
        d = self.dfl(box.view(b, 4, self.reg_max, a).transpose(2, 1).softmax(1)).view(b, 4, a)
        lt, rb = d.chunk(2, 1)
        x1y1, x2y2 = self.anchors - lt, self.anchors + rb
        bbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.stride_t
        return torch.cat((bbox, cls.sigmoid()), 1)


class YOLOv8n(nn.Module):
    def __init__(self, size=64, nc=4, w=(8, 16, 32, 64, 128)):
        super().__init__()
        self.b0, self.b1 = conv_bn(3, w[0], 3, 2), conv_bn(w[0], w[1], 3, 2)
        self.b2 = C2f(w[1], w[1], 1, True)
        self.b3, self.b4 = conv_bn(w[1], w[2], 3, 2), C2f(w[2], w[2], 2, True)
        self.b5, self.b6 = conv_bn(w[2], w[3], 3, 2), C2f(w[3], w[3], 2, True)
        self.b7, self.b8 = conv_bn(w[3], w[4], 3, 2), C2f(w[4], w[4], 1, True)
        self.sppf = SPPF(w[4], w[4])
        self.h12 = C2f(w[4] + w[3], w[3])
        self.h15 = C2f(w[3] + w[2], w[2])
        self.h16 = conv_bn(w[2], w[2], 3, 2)
        self.h18 = C2f(w[2] + w[3], w[3])
        self.h19 = conv_bn(w[3], w[3], 3, 2)
        self.h21 = C2f(w[3] + w[4], w[4])
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        s = [size // 8, size // 16, size // 32]
        self.detect = Detect8(nc, (w[2], w[3], w[4]), (8, 16, 32), [(v, v) for v in s])

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        p5 = self.sppf(self.b8(self.b7(p4)))
        h12 = self.h12(torch.cat([self.up(p5), p4], 1))
        o3 = self.h15(torch.cat([self.up(h12), p3], 1))
        o4 = self.h18(torch.cat([self.h16(o3), h12], 1))
        o5 = self.h21(torch.cat([self.h19(o4), p5], 1))
        return self.detect([o3, o4, o5])


# ---- MobileNetV2 ------------------------------------------------------------------

class InvertedResidual(nn.Module):
    def __init__(self, c1, c2, s, t, act=nn.ReLU6, se=False, k=3):
        super().__init__()
        c = c1 * t
        layers = [conv_bn(c1, c, 1, act=act)] if t != 1 else []
        layers += [conv_bn(c, c, k, s, g=c, act=act)]
        if se:
            layers.append(SqueezeExcite(c))
        layers += [conv_bn(c, c2, 1, act=None)]
        self.conv = nn.Sequential(*layers)
        self.res = s == 1 and c1 == c2

    def forward(self, x):
        return x + self.conv(x) if self.res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        cfg = [(1, 8, 1, 1), (6, 12, 2, 2), (6, 16, 3, 2), (6, 24, 2, 2),
               (6, 32, 2, 1), (6, 48, 2, 2), (6, 64, 1, 1)]
        layers, c1 = [conv_bn(3, 16, 3, 2, act=nn.ReLU6)], 16
        for t, c, n, s in cfg:
            for i in range(n):
                layers.append(InvertedResidual(c1, c, s if i == 0 else 1, t))
                c1 = c
        layers.append(conv_bn(c1, 160, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(160, classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.fc(torch.flatten(x, 1))


# ---- MobileNetV3-small: hard-swish, squeeze-excite ----------------------------------

class SqueezeExcite(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, max(8, c // r), 1), nn.Conv2d(max(8, c // r), c, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))


class MobileNetV3Small(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        hs, re = nn.Hardswish, nn.ReLU
        # (kernel, expansion, out, se, act, stride), widths scaled down
        cfg = [(3, 1, 8, True, re, 2), (3, 4, 12, False, re, 2), (3, 3, 12, False, re, 1),
               (5, 4, 20, True, hs, 2), (5, 6, 20, True, hs, 1), (5, 3, 24, True, hs, 1),
               (5, 6, 48, True, hs, 2), (5, 6, 48, True, hs, 1)]
        layers, c1 = [conv_bn(3, 8, 3, 2, act=hs)], 8
        for k, t, c, se, act, s in cfg:
            layers.append(InvertedResidual(c1, c, s, t, act=act, se=se, k=k))
            c1 = c
        layers.append(conv_bn(c1, 96, 1, act=hs))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(96, 128), nn.Hardswish(),
                                        nn.Linear(128, classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


# ---- ResNet-18 ---------------------------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, c1, c2, s):
        super().__init__()
        self.c1 = conv_bn(c1, c2, 3, s, act=nn.ReLU)
        self.c2 = conv_bn(c2, c2, 3, act=None)
        self.down = conv_bn(c1, c2, 1, s, act=None) if s != 1 or c1 != c2 else None

    def forward(self, x):
        idt = self.down(x) if self.down is not None else x
        return F.relu(self.c2(self.c1(x)) + idt)


class ResNet18(nn.Module):
    def __init__(self, classes=10, w=(16, 32, 64, 128)):
        super().__init__()
        self.stem = conv_bn(3, w[0], 7, 2, act=nn.ReLU)
        self.pool = nn.MaxPool2d(3, 2, 1)
        blocks, c1 = [], w[0]
        for i, c in enumerate(w):
            blocks += [BasicBlock(c1, c, 1 if i == 0 else 2), BasicBlock(c, c, 1)]
            c1 = c
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(w[-1], classes)

    def forward(self, x):
        x = self.layers(self.pool(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ---- UNet: ConvTranspose upsampling ------------------------------------------------------

def double_conv(c1, c2):
    return nn.Sequential(conv_bn(c1, c2, 3, act=nn.ReLU), conv_bn(c2, c2, 3, act=nn.ReLU))


class UNet(nn.Module):
    def __init__(self, classes=3, w=(8, 16, 32, 64)):
        super().__init__()
        self.enc = nn.ModuleList([double_conv(3, w[0])] +
                                 [double_conv(w[i], w[i + 1]) for i in range(3)])
        self.ups = nn.ModuleList(nn.ConvTranspose2d(w[i + 1], w[i], 2, 2) for i in range(3))
        self.dec = nn.ModuleList(double_conv(2 * w[i], w[i]) for i in range(3))
        self.out = nn.Conv2d(w[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, e in enumerate(self.enc):
            x = e(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for i in (2, 1, 0):
            x = self.dec[i](torch.cat([self.ups[i](x), skips[i]], 1))
        return self.out(x)


# ---- DB-style text detector: FPN neck, ConvTranspose probability head ----------------

class DBNet(nn.Module):
    def __init__(self, w=(16, 24, 32, 48), inner=24):
        super().__init__()
        self.stem = conv_bn(3, w[0], 3, 2, act=nn.ReLU)
        self.stages = nn.ModuleList()
        c1 = w[0]
        for i, c in enumerate(w):
            self.stages.append(nn.Sequential(BasicBlock(c1, c, 2 if i else 2)))
            c1 = c
        self.lat = nn.ModuleList(nn.Conv2d(c, inner, 1, bias=False) for c in w)
        self.smooth = nn.ModuleList(nn.Conv2d(inner, inner // 4, 3, padding=1, bias=False)
                                    for _ in w)
        c = inner
        self.head = nn.Sequential(
            conv_bn(c, c // 4, 3, act=nn.ReLU),
            nn.ConvTranspose2d(c // 4, c // 4, 2, 2), nn.BatchNorm2d(c // 4), nn.ReLU(),
            nn.ConvTranspose2d(c // 4, 1, 2, 2), nn.Sigmoid())

    def forward(self, x):
        x = self.stem(x)
        feats = []
        for s in self.stages:
            x = s(x)
            feats.append(x)
        lat = [l(f) for l, f in zip(self.lat, feats)]
        for i in (2, 1, 0):
            lat[i] = lat[i] + F.interpolate(lat[i + 1], scale_factor=2, mode="nearest")
        outs = [F.interpolate(s(l), scale_factor=2 ** i, mode="nearest") if i else s(l)
                for i, (s, l) in enumerate(zip(self.smooth, lat))]
        return self.head(torch.cat(outs, 1))


MODELS = {
    "yolov5s": (YOLOv5s, 64), "yolov8n": (YOLOv8n, 64),
    "mobilenet_v2": (MobileNetV2, 64), "mobilenet_v3_small": (MobileNetV3Small, 64),
    "resnet18": (ResNet18, 64), "unet": (UNet, 32), "dbnet": (DBNet, 64),
}


def randomize_bn(model, gen):
    """Batch-norm statistics and affine parameters drawn at random, so that
    folding them is exercised (fresh ones are the identity)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


def export(name, out_dir, samples=4):
    cls, size = MODELS[name]
    torch.manual_seed(20261206)
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        model = cls().eval()
        randomize_bn(model, gen)
        x = torch.rand(1, 3, size, size, generator=gen)
        os.makedirs(os.path.join(out_dir, "calib"), exist_ok=True)
        path = os.path.join(out_dir, "model.onnx")
        torch.onnx.export(model, x, path, opset_version=13,
                          input_names=["images"], output_names=["output"])
        np.save(os.path.join(out_dir, "input.npy"), x.numpy())
        for i in range(samples):
            c = torch.rand(1, 3, size, size, generator=gen)
            np.save(os.path.join(out_dir, "calib", "c%d.npy" % i), c.numpy())


def main(argv):
    if argv[1:] == ["--list"]:
        print("\n".join(MODELS))
        return 0
    import warnings
    warnings.simplefilter("ignore")
    export(argv[1], argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
