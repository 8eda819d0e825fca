using PoseTrack.Core;

namespace PoseTrack.ModelImport;

// Shape-manipulating ops: Reshape, ExpandDims, Squeeze, Pack, Unpack, Concat, StridedSlice, Slice, Transpose, Pad,
// Tile, Gather, GatherNd, ArgMax/ArgMin and reductions. All fold when their data input is a constant.
internal sealed partial class TfjsConverter
{
    private void ReshapeOp(TfNode n)
    {
        var x = In(n, 0); var s = In(n, 1);
        if (s.Const is { } sc)
        {
            var dims = sc.ToLongs();
            var outShape = ResolveReshape(x.Shape, dims);
            if (x.Const is { } xc)
            {
                if (!ShapeUtil.IsStatic(outShape) || ShapeUtil.Count(outShape!) != xc.Count)
                    throw new PoseTrackException($"TFJS import: {n}: cannot reshape {ShapeUtil.Text(xc.Shape)} to [{string.Join(",", dims)}].");
                SetConst(n, xc.WithShape(outShape!));
                return;
            }
            var shapeName = _g.Int64s(n.Name + "/shape", dims);
            // TF reads 0 as a zero-size dim; ONNX needs allowzero=1 to read it the same way.
            if (dims.Contains(0)) Emit(n, "Reshape", [Use(x), shapeName], x.Type, outShape, OnnxAttr.Int("allowzero", 1));
            else Emit(n, "Reshape", [Use(x), shapeName], x.Type, outShape);
            return;
        }
        int[]? shape = s.Shape is [>= 0] ? Enumerable.Repeat(-1, s.Shape[0]).ToArray() : null;
        Emit(n, "Reshape", [Use(x), UseInt64(s, n.Name + "/shape64")], x.Type, shape, OnnxAttr.Int("allowzero", 1));
    }

    private static int[] ResolveReshape(int[]? inShape, long[] dims)
    {
        var r = dims.Select(d => (int)d).ToArray();
        int unknown = Array.IndexOf(r, -1);
        if (unknown >= 0 && ShapeUtil.IsStatic(inShape))
        {
            int known = 1;
            for (int i = 0; i < r.Length; i++) if (i != unknown) known *= r[i];
            if (known > 0) r[unknown] = ShapeUtil.Count(inShape!) / known;
        }
        return r;
    }

    private void ExpandDimsOp(TfNode n)
    {
        var x = In(n, 0);
        long axis = ConstIn(n, 1, "axis").ToLongs()[0];
        int[]? shape = null;
        if (x.Shape is { } xs)
        {
            int a = (int)(axis < 0 ? axis + xs.Length + 1 : axis);
            if (a < 0 || a > xs.Length) throw new PoseTrackException($"TFJS import: {n}: axis {axis} is out of range for rank {xs.Length}.");
            shape = [.. xs[..a], 1, .. xs[a..]];
        }
        if (x.Const is { } c) { SetConst(n, c.WithShape(shape!)); return; }
        // ONNX Unsqueeze reads a negative axis against the output rank, as TF ExpandDims does.
        Emit(n, "Unsqueeze", [Use(x), _g.Int64s(n.Name + "/axes", axis)], x.Type, shape);
    }

    private void SqueezeOp(TfNode n)
    {
        var x = In(n, 0);
        var dims = n.Ints("squeeze_dims") ?? n.Ints("axis") ?? [];
        long[]? axes = null;
        int[]? shape = null;
        if (x.Shape is { } xs)
        {
            if (dims.Length > 0) axes = dims.Select(d => (long)Axis(d, xs.Length, n)).Order().ToArray();
            else if (xs.All(d => d >= 0)) axes = Enumerable.Range(0, xs.Length).Where(i => xs[i] == 1).Select(i => (long)i).ToArray();
            if (axes is not null)
            {
                foreach (var a in axes)
                    if (xs[a] > 1) throw new PoseTrackException($"TFJS import: {n}: cannot squeeze dim {a} of size {xs[a]}.");
                shape = xs.Where((_, i) => !axes.Contains(i)).ToArray();
            }
        }
        else if (dims.Length > 0) axes = dims;
        if (x.Const is { } c && shape is not null) { SetConst(n, c.WithShape(shape)); return; }
        if (axes is null) Emit(n, "Squeeze", [Use(x)], x.Type, shape);
        else Emit(n, "Squeeze", [Use(x), _g.Int64s(n.Name + "/axes", axes)], x.Type, shape);
    }

    private void PackOp(TfNode n)
    {
        var parts = Enumerable.Range(0, n.Inputs.Length).Select(i => In(n, i)).ToArray();
        long axis = n.Int("axis", 0);
        var inShape = parts.Select(p => p.Shape).FirstOrDefault(s => s is not null);
        int[]? shape = null;
        int a = -1;
        if (inShape is not null)
        {
            a = (int)(axis < 0 ? axis + inShape.Length + 1 : axis);
            shape = [.. inShape[..a], parts.Length, .. inShape[a..]];
        }
        if (parts.All(p => p.Const is not null) && inShape is not null)
        {
            int[] one = [.. inShape[..a], 1, .. inShape[a..]];
            SetConst(n, ConstTensor.Concat(parts.Select(p => p.Const!.WithShape(one)).ToArray(), a));
            return;
        }
        var axes = _g.Int64s(n.Name + "/axes", axis);
        var unsq = parts.Select((p, i) => Helper(n, "Unsqueeze", $"unsqueeze_{i}", [Use(p), axes])).ToArray();
        if (unsq.Length == 1) { Emit(n, "Identity", unsq, parts[0].Type, shape); return; }
        Emit(n, "Concat", unsq, parts[0].Type, shape, OnnxAttr.Int("axis", axis));
    }

    private void UnpackOp(TfNode n)
    {
        var x = In(n, 0);
        long axis = n.Int("axis", 0);
        int num = (int)n.Int("num", -1);
        int[]? partShape = null;
        int a = -1;
        if (x.Shape is { } xs)
        {
            a = Axis(axis, xs.Length, n);
            if (num < 0) num = xs[a];
            partShape = xs.Where((_, i) => i != a).ToArray();
        }
        if (num <= 0) throw new PoseTrackException($"TFJS import: {n}: the number of outputs is unknown.");
        var names = Enumerable.Range(0, num).Select(k => k == 0 ? OutName(n) : _g.Unique($"{n.Name}:{k}")).ToArray();
        if (x.Const is { } c)
        {
            var outs = new TfValue[num];
            for (int k = 0; k < num; k++)
            {
                var idx = c.Shape.Select((d, i) => i == a ? new[] { k } : Enumerable.Range(0, d).ToArray()).ToArray();
                outs[k] = ConstValue(names[k], c.Select(idx, partShape!));
            }
            Set(n, outs);
            return;
        }
        var axes = _g.Int64s(n.Name + "/axes", axis);
        string[] pieces;
        if (num == 1) pieces = [Use(x)];
        else
        {
            pieces = Enumerable.Range(0, num).Select(k => _g.Unique($"{n.Name}/split_{k}")).ToArray();
            _g.AddWithOutputs("Split", pieces, [Use(x)], OnnxAttr.Int("axis", axis));
        }
        var values = new TfValue[num];
        for (int k = 0; k < num; k++)
        {
            _g.AddWithOutputs("Squeeze", [names[k]], [pieces[k], axes]);
            values[k] = Produced(names[k], x.Type, partShape);
        }
        Set(n, values);
    }

    private void ConcatOp(TfNode n, int axisInput, int firstData)
    {
        long axis = ConstIn(n, axisInput, "axis").ToLongs()[0];
        var parts = Enumerable.Range(firstData, n.Inputs.Length - 1).Select(i => In(n, i)).ToArray();
        int? rank = parts.Select(p => p.Rank).FirstOrDefault(r => r is not null);
        int[]? shape = null;
        int a = -1;
        if (rank is { } r)
        {
            a = Axis(axis, r, n);
            if (parts.All(p => p.Shape is not null))
            {
                shape = (int[])parts[0].Shape!.Clone();
                shape[a] = parts.Any(p => p.Shape![a] < 0) ? -1 : parts.Sum(p => p.Shape![a]);
            }
        }
        if (parts.All(p => p.Const is not null) && a >= 0) { SetConst(n, ConstTensor.Concat(parts.Select(p => p.Const!).ToArray(), a)); return; }
        if (parts.Length == 1) { Set(n, parts[0]); return; }
        Emit(n, "Concat", parts.Select(Use).ToArray(), parts[0].Type, shape, OnnxAttr.Int("axis", axis));
    }

    // ------------------------------------------------------------ StridedSlice

    /// <summary>One dimension of a StridedSlice after its masks are expanded against the input's rank.</summary>
    internal readonly record struct SliceDim(bool NewAxis, bool Shrink, long Begin, long End, long Stride, bool BeginFull, bool EndFull)
    {
        public static SliceDim Full => new(false, false, 0, 0, 1, true, true);
        public bool IsFull => !NewAxis && !Shrink && BeginFull && EndFull && Stride == 1;
    }

    /// <summary>
    /// Expands the sparse StridedSlice spec (begin/end/strides and the five masks) into one entry per output-producing
    /// position, as TensorFlow does: the ellipsis (or, without one, the end of the spec) stands for as many full dims as
    /// the input has beyond the other entries; new axes consume no input dim.
    /// </summary>
    internal static List<SliceDim> DenseSliceSpec(int rank, long[] begin, long[] end, long[] strides,
        long beginMask, long endMask, long ellipsisMask, long newAxisMask, long shrinkMask)
    {
        int n = begin.Length;
        bool Bit(long mask, int i) => (mask >> i & 1) != 0;
        int firstEllipsis = -1;
        for (int i = 0; i < n; i++) if (Bit(ellipsisMask, i)) { firstEllipsis = i; break; }
        int real = 0;
        for (int i = 0; i < n; i++) if (i != firstEllipsis && !Bit(newAxisMask, i)) real++;
        int fill = rank - real;
        if (fill < 0) throw new InvalidOperationException($"slice spec has {real} dims for an input of rank {rank}");
        var dense = new List<SliceDim>();
        for (int i = 0; i < n; i++)
        {
            if (i == firstEllipsis)
            {
                for (int k = 0; k < fill; k++) dense.Add(SliceDim.Full);
                continue;
            }
            if (Bit(newAxisMask, i)) { dense.Add(new SliceDim(true, false, 0, 0, 1, true, true)); continue; }
            long s = i < strides.Length ? strides[i] : 1;
            if (s == 0) throw new InvalidOperationException("a slice stride is 0");
            dense.Add(new SliceDim(false, Bit(shrinkMask, i), begin[i], end[i], s, Bit(beginMask, i), Bit(endMask, i)));
        }
        if (firstEllipsis < 0) for (int k = 0; k < fill; k++) dense.Add(SliceDim.Full);
        return dense;
    }

    /// <summary>The input indices a dense slice entry selects from a dim of size <paramref name="size"/> (TF clamping rules).</summary>
    internal static int[] SliceIndices(SliceDim d, int size)
    {
        if (d.Shrink)
        {
            long i = d.Begin < 0 ? d.Begin + size : d.Begin;
            if (i < 0 || i >= size) throw new InvalidOperationException($"slice index {d.Begin} is out of range for size {size}");
            return [(int)i];
        }
        var r = new List<int>();
        if (d.Stride > 0)
        {
            long b = d.BeginFull ? 0 : Math.Clamp(d.Begin < 0 ? d.Begin + size : d.Begin, 0, size);
            long e = d.EndFull ? size : Math.Clamp(d.End < 0 ? d.End + size : d.End, 0, size);
            for (long i = b; i < e; i += d.Stride) r.Add((int)i);
        }
        else
        {
            long b = d.BeginFull ? size - 1 : Math.Clamp(d.Begin < 0 ? d.Begin + size : d.Begin, -1, size - 1);
            long e = d.EndFull ? -1 : Math.Clamp(d.End < 0 ? d.End + size : d.End, -1, size - 1);
            for (long i = b; i > e; i += d.Stride) r.Add((int)i);
        }
        return [.. r];
    }

    private void StridedSliceOp(TfNode n)
    {
        var x = In(n, 0);
        var begin = ConstIn(n, 1, "begin").ToLongs();
        var end = ConstIn(n, 2, "end").ToLongs();
        var strides = n.Inputs.Length > 3 ? ConstIn(n, 3, "strides").ToLongs() : Enumerable.Repeat(1L, begin.Length).ToArray();
        int rank = RankOf(x, n, "to expand the slice masks");
        var dense = DenseSliceSpec(rank, begin, end, strides, n.Int("begin_mask", 0), n.Int("end_mask", 0),
            n.Int("ellipsis_mask", 0), n.Int("new_axis_mask", 0), n.Int("shrink_axis_mask", 0));

        // Output shape: new axes give 1, shrunk dims vanish, sliced dims count their indices when the size is known.
        var shape = new List<int>();
        int dim = 0;
        foreach (var d in dense)
        {
            if (d.NewAxis) { shape.Add(1); continue; }
            int size = x.Shape![dim++];
            if (d.Shrink) continue;
            shape.Add(size < 0 ? -1 : SliceIndices(d, size).Length);
        }

        if (x.Const is { } c)
        {
            var real = dense.Where(d => !d.NewAxis).ToArray();
            var idx = real.Select((d, i) => SliceIndices(d, c.Shape[i])).ToArray();
            SetConst(n, c.Select(idx, [.. shape]));
            return;
        }

        // ONNX: Unsqueeze the new axes first so every dense entry is one axis, Slice, then Squeeze the shrunk axes.
        var cur = Use(x);
        var newAxes = dense.Select((d, i) => (d, i)).Where(p => p.d.NewAxis).Select(p => (long)p.i).ToArray();
        if (newAxes.Length > 0) cur = Helper(n, "Unsqueeze", "new_axes", [cur, _g.Int64s(n.Name + "/new_axes", newAxes)]);
        var axes = new List<long>(); var starts = new List<long>(); var ends = new List<long>(); var steps = new List<long>();
        for (int i = 0; i < dense.Count; i++)
        {
            var d = dense[i];
            if (d.NewAxis || d.IsFull) continue;
            axes.Add(i);
            if (d.Shrink)
            {
                starts.Add(d.Begin);
                ends.Add(d.Begin == -1 ? long.MaxValue : d.Begin + 1);
                steps.Add(1);
                continue;
            }
            // Masked bounds become "to the edge": ONNX clamps ±2^63 to the dim the same way TF's mask does.
            starts.Add(d.BeginFull ? (d.Stride > 0 ? 0 : long.MaxValue) : d.Begin);
            ends.Add(d.EndFull ? (d.Stride > 0 ? long.MaxValue : long.MinValue) : d.End);
            steps.Add(d.Stride);
        }
        if (axes.Count > 0)
            cur = Helper(n, "Slice", "slice", [cur, _g.Int64s(n.Name + "/starts", [.. starts]), _g.Int64s(n.Name + "/ends", [.. ends]),
                _g.Int64s(n.Name + "/axes", [.. axes]), _g.Int64s(n.Name + "/steps", [.. steps])]);
        var shrink = dense.Select((d, i) => (d, i)).Where(p => p.d.Shrink && !p.d.NewAxis).Select(p => (long)p.i).ToArray();
        if (shrink.Length > 0) Emit(n, "Squeeze", [cur, _g.Int64s(n.Name + "/shrink_axes", shrink)], x.Type, [.. shape]);
        else Emit(n, "Identity", [cur], x.Type, [.. shape]);
    }

    private void SliceOp(TfNode n)
    {
        var x = In(n, 0);
        var begin = ConstIn(n, 1, "begin").ToLongs();
        var size = ConstIn(n, 2, "size").ToLongs();
        var dense = begin.Select((b, i) => new SliceDim(false, false, b, size[i] < 0 ? 0 : b + size[i], 1, false, size[i] < 0)).ToList();
        int[]? shape = x.Shape is { } xs ? dense.Select((d, i) => xs[i] < 0 ? (size[i] >= 0 ? (int)size[i] : -1) : SliceIndices(d, xs[i]).Length).ToArray() : null;
        if (x.Const is { } c)
        {
            SetConst(n, c.Select(dense.Select((d, i) => SliceIndices(d, c.Shape[i])).ToArray(), shape!));
            return;
        }
        Emit(n, "Slice", [Use(x), _g.Int64s(n.Name + "/starts", begin), _g.Int64s(n.Name + "/ends", dense.Select(d => d.EndFull ? long.MaxValue : d.End).ToArray()),
            _g.Int64s(n.Name + "/axes", Enumerable.Range(0, begin.Length).Select(i => (long)i).ToArray())], x.Type, shape);
    }

    private void TransposeOp(TfNode n)
    {
        var x = In(n, 0);
        var perm = ConstIn(n, 1, "permutation").ToLongs();
        int[]? shape = x.Shape is { } xs ? perm.Select(p => xs[p]).ToArray() : null;
        if (x.Const is { } c) { SetConst(n, c.Transpose(perm.Select(p => (int)p).ToArray())); return; }
        Emit(n, "Transpose", [Use(x)], x.Type, shape, OnnxAttr.IntList("perm", perm));
    }

    private void PadOp(TfNode n)
    {
        var x = In(n, 0);
        var p = ConstIn(n, 1, "paddings");
        int rank = p.Shape[0];
        var pv = p.ToLongs();
        var pads = new long[2 * rank];
        for (int i = 0; i < rank; i++) { pads[i] = pv[2 * i]; pads[rank + i] = pv[2 * i + 1]; }
        int[]? shape = x.Shape?.Select((d, i) => d < 0 ? -1 : d + (int)pads[i] + (int)pads[rank + i]).ToArray();
        string mode = "constant";
        if (n.Op == "MirrorPad")
        {
            var m = n.String("mode") ?? "REFLECT";
            if (m != "REFLECT") throw new PoseTrackException($"TFJS import: {n}: MirrorPad mode {m} is not supported (only REFLECT).");
            mode = "reflect";
        }
        var inputs = new List<string> { Use(x), _g.Int64s(n.Name + "/pads", pads) };
        if (n.Op == "PadV2") inputs.Add(Use(In(n, 2)));
        Emit(n, "Pad", [.. inputs], x.Type, shape, OnnxAttr.String("mode", mode));
    }

    private void TileOp(TfNode n)
    {
        var x = In(n, 0); var m = In(n, 1);
        int[]? shape = x.Shape is { } xs && m.Const is { } mc ? xs.Select((d, i) => d < 0 ? -1 : d * (int)mc.ToLongs()[i]).ToArray() : null;
        Emit(n, "Tile", [Use(x), UseInt64(m, n.Name + "/repeats")], x.Type, shape);
    }

    private void GatherOp(TfNode n)
    {
        var p = In(n, 0); var idx = In(n, 1);
        long axis = ConstIn(n, 2, "axis").ToLongs()[0];
        if (n.Int("batch_dims", 0) != 0) throw new PoseTrackException($"TFJS import: {n}: batch_dims other than 0 is not supported.");
        int[]? shape = null;
        if (p.Shape is { } ps && idx.Shape is { } ids)
        {
            int a = Axis(axis, ps.Length, n);
            shape = [.. ps[..a], .. ids, .. ps[(a + 1)..]];
        }
        Emit(n, "Gather", [Use(p), Use(idx)], p.Type, shape, OnnxAttr.Int("axis", axis));
    }

    private void GatherNdOp(TfNode n)
    {
        var p = In(n, 0); var idx = In(n, 1);
        int[]? shape = null;
        if (p.Shape is { } ps && idx.Shape is { Length: > 0 } ids && ids[^1] >= 0)
            shape = [.. ids[..^1], .. ps[ids[^1]..]];
        Emit(n, "GatherND", [Use(p), UseInt64(idx, n.Name + "/indices64")], p.Type, shape);
    }

    private void ArgOp(TfNode n, string onnx)
    {
        var x = In(n, 0);
        long axis = ConstIn(n, 1, "dimension").ToLongs()[0];
        var to = OutType(n, "output_type", ElemType.Int64);
        int[]? shape = null;
        if (x.Shape is { } xs)
        {
            int a = Axis(axis, xs.Length, n);
            shape = xs.Where((_, i) => i != a).ToArray();
            axis = a;
        }
        var attrs = new[] { OnnxAttr.Int("axis", axis), OnnxAttr.Int("keepdims", 0) };
        if (to == ElemType.Int64) { Emit(n, onnx, [Use(x)], to, shape, attrs); return; }
        var y = Helper(n, onnx, "index64", [Use(x)], attrs);
        Emit(n, "Cast", [y], to, shape, OnnxAttr.Int("to", (long)to));
    }

    private void ReduceOp(TfNode n, string onnx)
    {
        var x = In(n, 0);
        var axes = ConstIn(n, 1, "axes").ToLongs();
        bool keep = n.Bool("keep_dims", false);
        if (axes.Length == 0) { Set(n, x); return; } // TF reduces nothing over an empty axis list; ONNX would reduce everything.
        int[]? shape = null;
        if (x.Shape is { } xs)
        {
            var norm = axes.Select(a => Axis(a, xs.Length, n)).ToHashSet();
            shape = keep ? xs.Select((d, i) => norm.Contains(i) ? 1 : d).ToArray() : xs.Where((_, i) => !norm.Contains(i)).ToArray();
        }
        var keepAttr = OnnxAttr.Int("keepdims", keep ? 1 : 0);
        // Opset 17 takes ReduceSum's axes as an input but the other reductions' axes as an attribute.
        if (onnx == "ReduceSum") Emit(n, onnx, [Use(x), _g.Int64s(n.Name + "/axes", axes)], x.Type, shape, keepAttr);
        else Emit(n, onnx, [Use(x)], x.Type, shape, keepAttr, OnnxAttr.IntList("axes", axes));
    }
}
