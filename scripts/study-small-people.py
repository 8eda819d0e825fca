#!/usr/bin/env python3
"""How the pose model's keypoints degrade as people get smaller (issue 21, item 3).

Shrinks the COCO images in ../shared/data/coco (ffmpeg, area filter) and their annotations to several scales, runs
`posetrack eval coco --gt-boxes` on each (the pose model on every annotated person's own box, so only the pose model is
measured), and prints each person's best OKS against the ground truth binned by box height in pixels. OKS is
normalised by the person's area, so a model that is equally good at every size gives the same OKS at every height.

Usage (from the repository root, after a Release build):
    python3 scripts/study-small-people.py [WORKDIR]
"""
import copy, json, math, os, subprocess, sys

SHARED = os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data', 'coco')
CLI = ['dotnet', 'src/PoseTrack.Cli/bin/Release/net10.0/PoseTrack.Cli.dll']
SCALES = (1.0, 0.5, 0.35, 0.25, 0.18, 0.12)
SIGMAS = [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]   # COCO's per-joint sigmas × 10
BINS = [(0, 24), (24, 32), (32, 48), (48, 64), (64, 96), (96, 128), (128, None)]


def scaled_set(work, s):
    """The COCO set shrunk by s: images and annotations (boxes, keypoints, areas)."""
    gt = json.load(open(os.path.join(SHARED, 'test_coco.json')))
    if s == 1.0:
        return SHARED, gt
    d = os.path.join(work, f'coco-{s}')
    os.makedirs(d, exist_ok=True)
    gt = copy.deepcopy(gt)
    for im in gt['images']:
        w, h = max(2, round(im['width'] * s)), max(2, round(im['height'] * s))
        subprocess.run(['ffmpeg', '-v', 'error', '-y', '-i', os.path.join(SHARED, im['file_name']), '-vf', f'scale={w}:{h}:flags=area',
                        '-q:v', '2', os.path.join(d, im['file_name'])], check=True)
        im['width'], im['height'] = w, h
    for a in gt['annotations']:
        a['bbox'] = [v * s for v in a['bbox']]
        a['area'] *= s * s
        a['keypoints'] = [v * s if i % 3 != 2 else v for i, v in enumerate(a['keypoints'])]
        if isinstance(a.get('segmentation'), list):
            a['segmentation'] = [[v * s for v in poly] for poly in a['segmentation']]
    json.dump(gt, open(os.path.join(d, 'test_coco.json'), 'w'))
    return d, gt


def oks(g, d):
    gk, dk, area, total, n = g['keypoints'], d['keypoints'], g['area'], 0.0, 0
    for i, sigma in enumerate(SIGMAS):
        if gk[3 * i + 2] > 0:
            dx, dy = dk[3 * i] - gk[3 * i], dk[3 * i + 1] - gk[3 * i + 1]
            total += math.exp(-(dx * dx + dy * dy) / (2 * area * (2 * sigma / 10) ** 2 + 1e-9))   # cocoeval: e = d² / (2σ)² / area / 2
            n += 1
    return total / n if n else None


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else '/tmp/posetrack-small-people'
    os.makedirs(work, exist_ok=True)
    rows = []
    for s in SCALES:
        images, gt = scaled_set(work, s)
        ann = os.path.join(images, 'test_coco.json') if s != 1.0 else os.path.join(SHARED, 'test_coco.json')
        results = os.path.join(work, f'results-{s}.json')
        subprocess.run(CLI + ['eval', 'coco', '--annotations', ann, '--images', images, '--results', results, '--gt-boxes', '-q'],
                       check=True, stdout=subprocess.DEVNULL)
        res = json.load(open(results))
        for g in gt['annotations']:
            if g['num_keypoints'] == 0 or g.get('iscrowd'):
                continue
            rows.append((g['bbox'][3], max(oks(g, d) for d in res if d['image_id'] == g['image_id'])))
    for lo, hi in BINS:
        v = sorted(o for h, o in rows if h >= lo and (hi is None or h < hi))
        if v:
            print(f"height {lo}-{hi or 'up'} px: people={len(v)} mean_oks={sum(v) / len(v):.3f} median_oks={v[len(v) // 2]:.3f} "
                  f"below_0.5={sum(o < 0.5 for o in v) / len(v):.2f}")


if __name__ == '__main__':
    main()
