#!/usr/bin/env bash
# MoveNet decoding study (issue 6): does decoding MoveNet's heads with our own prior (--centre-prior box or
# joints-in-box) do better than MoveNet's own choice (model) on crowded and occluded crops?
# Runs the shipped MoveNet models on ../shared/data (COCO val images, PoseTrack18 val frames, TUD-Campus) and prints one
# table row per model and prior. Needs python3 (standard library only) for the PoseTrack18 conversion and per-person OKS.
# Usage: scripts/study-movenet-prior.sh [posetrack binary]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${POSETRACK_SHARED:-$(cd .. && pwd)/shared}
if [ $# -ge 1 ]; then P=$1; else
  dotnet build src/PoseTrack.Cli -c Release -v q -nologo >/dev/null
  P=src/PoseTrack.Cli/bin/Release/net10.0/posetrack
fi
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
COCO=$SHARED/data/coco PT=$SHARED/data/posetrack18 TUD=$SHARED/data/tracking/TUD-Campus

# PoseTrack18 in COCO form: slots 1-2 are head_bottom/head_top there (eyes in COCO) and 3-4 (ears) are unlabelled, so
# they are dropped; 13 joints remain. PoseTrack has no segment area: the box area sets the OKS scale.
python3 - "$PT/annotations/test_posetrack18_val.json" "$W/pt18.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
anns = []
for a in d["annotations"]:
    k = list(a["keypoints"])
    for j in (1, 2, 3, 4): k[3*j:3*j+3] = [0, 0, 0]
    x, y, w, h = a["bbox"]
    anns.append({"id": a["id"], "image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"], "area": w*h, "iscrowd": 0,
                 "num_keypoints": sum(1 for j in range(17) if k[3*j+2] > 0), "keypoints": k})
imgs = [{"id": i["id"], "file_name": i["file_name"], "width": i["width"], "height": i["height"]} for i in d["images"]]
json.dump({"images": imgs, "annotations": anns, "categories": d["categories"]}, open(sys.argv[2], "w"))
EOF

# Mean and lowest OKS over the annotated persons (each person's best-matching pose in its image; GT boxes).
oks() {
python3 - "$1" "$2" <<'EOF'
import json, math, sys
gt = json.load(open(sys.argv[1])); res = json.load(open(sys.argv[2]))
# COCO keypoint sigmas ×10, as in the COCO paper
sig = [.26,.25,.25,.35,.35,.79,.79,.72,.72,.62,.62,1.07,1.07,.87,.87,.89,.89]
def oks(g, r):
    k, p, s, n = g["keypoints"], r["keypoints"], 0.0, 0
    for j in range(17):
        if k[3*j+2] <= 0: continue
        d2 = (p[3*j]-k[3*j])**2 + (p[3*j+1]-k[3*j+1])**2
        s += math.exp(-d2 / (2 * g["area"] * (2*sig[j]/10)**2)); n += 1
    return s / n if n else 0.0
v = [max([oks(g, r) for r in res if r["image_id"] == g["image_id"]] or [0]) for g in gt["annotations"] if g["num_keypoints"] > 0]
print(f"{sum(v)/len(v):.3f} / {min(v):.2f}")
EOF
}

ap() { "$P" eval coco "$@" --results "$W/r.json" -q 2>/dev/null | sed -n 's/^AP=//p'; }

echo "| model | --centre-prior | COCO AP GT / RTMDet / YOLOX | COCO OKS mean / lowest | PT18 AP (GT) | PT18 OKS mean / lowest | TUD-Campus MOTA / IDF1 / IDSW |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for m in movenet-lightning movenet-thunder; do
  for pr in model box joints-in-box; do
    a=(--pose-model "$m" --centre-prior "$pr")
    g=$(ap --annotations "$COCO/test_coco.json" --images "$COCO" --gt-boxes "${a[@]}"); o1=$(oks "$COCO/test_coco.json" "$W/r.json")
    d1=$(ap --annotations "$COCO/test_coco.json" --images "$COCO" --detector rtmdet "${a[@]}")
    d2=$(ap --annotations "$COCO/test_coco.json" --images "$COCO" --detector yolox "${a[@]}")
    p=$(ap --annotations "$W/pt18.json" --images "$PT" --gt-boxes "${a[@]}"); o2=$(oks "$W/pt18.json" "$W/r.json")
    "$P" --input "$TUD/TUD-Campus.mp4" --mot "$W/mot.txt" "${a[@]}" -q >/dev/null 2>&1
    t=$("$P" eval mot --gt "$TUD/gt/gt.txt" --hyp "$W/mot.txt" | tr ' ' '\n' | awk -F= '$1=="MOTA"{m=$2} $1=="IDF1"{i=$2} $1=="IDSW"{s=$2} END{printf "%.3f / %.3f / %d", m, i, s}')
    echo "| $m | $pr | $g / $d1 / $d2 | $o1 | $p | $o2 | $t |"
  done
done
