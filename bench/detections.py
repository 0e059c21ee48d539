"""Box decoding, NMS and matching for the two real detectors, in NumPy.

Written from ../shared/models/README.md, independently of the C apps in
examples/ (tests/e2e compare the two). Boxes are (x0, y0, x1, y1) in the
model's input pixels (416 x 416); scores in 0..1.
"""
import numpy as np

TINY_FACE_ANCHORS = np.array([(1.603, 2.094), (6.041, 7.080), (2.882, 3.518),
                              (4.267, 5.179), (9.042, 10.663)])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def iou(a, b):
    """IoU of one box a against boxes b ([N, 4])."""
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])
    return inter / np.maximum(area(a) + area(b) - inter, 1e-12)


def nms(boxes, scores, classes, iou_max):
    """Greedy per-class NMS; returns kept indices, best score first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    for i in order:
        if all(classes[j] != classes[i] or iou(boxes[i], boxes[j:j + 1])[0] <= iou_max
               for j in keep):
            keep.append(i)
    return keep


def decode_tiny_face(out, size=416, threshold=0.5):
    """out: [1, 25, 13, 13]. Returns a list of (class 0, score, box)."""
    grid = out.shape[-1]
    t = out[0].reshape(5, 5, grid, grid).astype(np.float64)  # anchor, k, y, x
    ys, xs = np.mgrid[0:grid, 0:grid]
    cx = (xs[None] + sigmoid(t[:, 0])) / grid
    cy = (ys[None] + sigmoid(t[:, 1])) / grid
    w = np.exp(t[:, 2]) * TINY_FACE_ANCHORS[:, 0, None, None] / grid
    h = np.exp(t[:, 3]) * TINY_FACE_ANCHORS[:, 1, None, None] / grid
    score = sigmoid(t[:, 4])
    m = score > threshold
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)[m] * size
    scores = score[m]
    classes = np.zeros(len(scores), int)
    keep = nms(boxes, scores, classes, 0.4)
    return [(0, float(scores[i]), boxes[i]) for i in keep]


def decode_nanodet(outs, size=416, threshold=0.35, nms_iou=0.5, bins=11):
    """outs: the six outputs in order Identity..Identity_5. Returns a list
    of (class, score, box)."""
    all_boxes, all_scores, all_classes = [], [], []
    for level, stride in enumerate((8, 16, 32)):
        cls = outs[level][0].astype(np.float64)       # [N, 80], sigmoid done
        dist = outs[level + 3][0].astype(np.float64)  # [N, 44]
        grid = size // stride
        c = cls.argmax(1)
        s = cls.max(1)
        m = s > threshold
        if not m.any():
            continue
        idx = np.nonzero(m)[0]
        d = dist[idx].reshape(-1, 4, bins)
        d = np.exp(d - d.max(-1, keepdims=True))
        d /= d.sum(-1, keepdims=True)
        side = (d * np.arange(bins)).sum(-1) * stride  # left, top, right, bottom
        cx = (idx % grid + 0.5) * stride
        cy = (idx // grid + 0.5) * stride
        b = np.stack([cx - side[:, 0], cy - side[:, 1], cx + side[:, 2], cy + side[:, 3]], -1)
        all_boxes.append(np.clip(b, 0, size))
        all_scores.append(s[idx])
        all_classes.append(c[idx])
    if not all_boxes:
        return []
    boxes = np.concatenate(all_boxes)
    scores = np.concatenate(all_scores)
    classes = np.concatenate(all_classes)
    keep = nms(boxes, scores, classes, nms_iou)
    return [(int(classes[i]), float(scores[i]), boxes[i]) for i in keep]


def match(reference, candidate, min_iou=0.5):
    """Greedy matching of candidate detections to reference ones (same
    class, IoU >= min_iou, best score first). Returns (pairs, unmatched
    reference, unmatched candidate) with pairs = [(ref, cand, iou)]."""
    used = set()
    pairs, missed = [], []
    for r in sorted(reference, key=lambda d: -d[1]):
        best, best_iou = None, min_iou
        for j, c in enumerate(candidate):
            if j in used or c[0] != r[0]:
                continue
            v = iou(r[2], c[2][None])[0]
            if v >= best_iou:
                best, best_iou = j, v
        if best is None:
            missed.append(r)
        else:
            used.add(best)
            pairs.append((r, candidate[best], best_iou))
    extra = [c for j, c in enumerate(candidate) if j not in used]
    return pairs, missed, extra


def sqnr_db(reference, candidate):
    ref = np.concatenate([np.ravel(r).astype(np.float64) for r in reference])
    cand = np.concatenate([np.ravel(c).astype(np.float64) for c in candidate])
    noise = np.sum((ref - cand) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(ref ** 2) / noise))
