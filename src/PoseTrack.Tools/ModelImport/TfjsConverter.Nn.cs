using PoseTrack.Core;

namespace PoseTrack.ModelImport;

// Network ops: convolutions (plain, depthwise, transposed, with fused bias / batch norm / activation), pools, resizes,
// matrix products, batch norm and bias adds.
internal sealed partial class TfjsConverter
{
    /// <summary>TF "SAME" padding of one spatial dim: the extra pixel, when the total is odd, goes at the end.</summary>
    internal static (int Begin, int End, int Out) SamePadding(int inSize, int kernel, int stride, int dilation)
    {
        int eff = (kernel - 1) * dilation + 1;
        int outSize = (inSize + stride - 1) / stride;
        int total = Math.Max((outSize - 1) * stride + eff - inSize, 0);
        return (total / 2, total - total / 2, outSize);
    }

    private sealed record Spatial(int KH, int KW, int SH, int SW, int DH, int DW, bool Nhwc, int HAxis, int WAxis, int CAxis);

    private static Spatial ReadSpatial(TfNode n, int kh, int kw, string stridesAttr = "strides")
    {
        var format = n.String("data_format") ?? "NHWC";
        if (format is not ("NHWC" or "NCHW")) throw new PoseTrackException($"TFJS import: {n}: data_format {format} is not supported.");
        bool nhwc = format == "NHWC";
        int h = nhwc ? 1 : 2, w = nhwc ? 2 : 3, c = nhwc ? 3 : 1;
        var st = n.Ints(stridesAttr) is { Length: 4 } s ? s : [1, 1, 1, 1];
        var dl = n.Ints("dilations") is { Length: 4 } d ? d : [1, 1, 1, 1];
        return new Spatial(kh, kw, (int)st[h], (int)st[w], (int)dl[h], (int)dl[w], nhwc, h, w, c);
    }

    /// <summary>ONNX pads [hBegin, wBegin, hEnd, wEnd] and the output size, or null pads when SAME must be left to auto_pad.</summary>
    private static (long[]? Pads, int OutH, int OutW) Padding(TfNode n, Spatial sp, int inH, int inW)
    {
        var padding = n.String("padding") ?? "VALID";
        switch (padding)
        {
            case "SAME":
                if (inH < 0 || inW < 0) return (null, inH < 0 ? -1 : (inH + sp.SH - 1) / sp.SH, inW < 0 ? -1 : (inW + sp.SW - 1) / sp.SW);
                var ph = SamePadding(inH, sp.KH, sp.SH, sp.DH);
                var pw = SamePadding(inW, sp.KW, sp.SW, sp.DW);
                return ([ph.Begin, pw.Begin, ph.End, pw.End], ph.Out, pw.Out);
            case "VALID":
                return ([0, 0, 0, 0], OutSize(inH, sp.KH, sp.SH, sp.DH, 0), OutSize(inW, sp.KW, sp.SW, sp.DW, 0));
            case "EXPLICIT":
                var e = n.Ints("explicit_paddings") ?? [];
                if (e.Length != 8) throw new PoseTrackException($"TFJS import: {n}: EXPLICIT padding needs 8 explicit_paddings values, found {e.Length}.");
                long hb = e[2 * sp.HAxis], he = e[2 * sp.HAxis + 1], wb = e[2 * sp.WAxis], we = e[2 * sp.WAxis + 1];
                return ([hb, wb, he, we], OutSize(inH, sp.KH, sp.SH, sp.DH, (int)(hb + he)), OutSize(inW, sp.KW, sp.SW, sp.DW, (int)(wb + we)));
            default:
                throw new PoseTrackException($"TFJS import: {n}: padding '{padding}' is not supported.");
        }
    }

    private static int OutSize(int inSize, int k, int s, int d, int padTotal) =>
        inSize < 0 ? -1 : (inSize + padTotal - ((k - 1) * d + 1)) / s + 1;

    private static int[]? Layout(bool nhwc, int n, int c, int h, int w) => nhwc ? [n, h, w, c] : [n, c, h, w];

    private void ConvOp(TfNode n)
    {
        bool backprop = n.Op == "Conv2DBackpropInput";
        bool depthwise = n.Op.Contains("Depthwise", StringComparison.Ordinal);
        var x = backprop ? In(n, 2) : In(n, 0);
        var filter = ConstIn(n, 1, "filter");
        if (filter.Rank != 4) throw new PoseTrackException($"TFJS import: {n}: the filter must be rank 4, found {ShapeUtil.Text(filter.Shape)}.");
        if (filter.Type != ElemType.Float) filter = filter.CastTo(ElemType.Float);
        int kh = filter.Shape[0], kw = filter.Shape[1];
        var sp = ReadSpatial(n, kh, kw);

        // TF filters are HWIO (depthwise: H,W,C,multiplier; transposed: H,W,out,in); ONNX wants OIHW (transposed: in,out,H,W).
        ConstTensor w;
        int group = 1, cout;
        if (depthwise)
        {
            int cin = filter.Shape[2], mult = filter.Shape[3];
            w = filter.Transpose([2, 3, 0, 1]).WithShape([cin * mult, 1, kh, kw]); // output channel c·M + m, as TF orders them
            group = cin; cout = cin * mult;
        }
        else
        {
            w = filter.Transpose([3, 2, 0, 1]);
            cout = backprop ? filter.Shape[2] : filter.Shape[3];
        }

        var fused = n.Strings("fused_ops") ?? [];
        int arg = backprop ? 3 : 2;
        float[]? bias = null;
        string? activation = null;
        TfValue? preluAlpha = null;
        foreach (var op in fused)
        {
            switch (op)
            {
                case "BiasAdd":
                    bias = ConstIn(n, arg++, "bias").CastTo(ElemType.Float).Floats!;
                    break;
                case "FusedBatchNorm":
                    if (backprop) goto default;
                    (w, bias) = FoldBatchNorm(n, w, bias, cout, arg, n.Float("epsilon", 0.001f));
                    arg += 4;
                    break;
                case "Relu" or "Relu6" or "Elu" or "Sigmoid" or "Tanh" or "LeakyRelu":
                    activation = op;
                    break;
                case "Prelu":
                    activation = op;
                    preluAlpha = In(n, arg++);
                    break;
                default:
                    throw new PoseTrackException($"TFJS import: {n}: fused op '{op}' is not supported.");
            }
        }

        var xs = Conv4(x.Shape);
        int batch = xs?[0] ?? -1, inH = xs?[sp.HAxis] ?? -1, inW = xs?[sp.WAxis] ?? -1;
        var xn = sp.Nhwc ? Nchw(x) : Use(x);
        var wName = UseConst(n.Name + "/weights", w);
        var inputs = new List<string> { xn, wName };
        if (bias is not null) inputs.Add(UseConst(n.Name + "/bias", ConstTensor.FromFloats([cout], bias)));
        var attrs = new List<OnnxAttr>
        {
            OnnxAttr.IntList("kernel_shape", kh, kw),
            OnnxAttr.IntList("strides", sp.SH, sp.SW),
            OnnxAttr.IntList("dilations", sp.DH, sp.DW),
            OnnxAttr.Int("group", group),
        };
        int outH, outW;
        string y;
        if (!backprop)
        {
            (var pads, outH, outW) = Padding(n, sp, inH, inW);
            attrs.Add(pads is null ? OnnxAttr.String("auto_pad", "SAME_UPPER") : OnnxAttr.IntList("pads", pads));
            y = Helper(n, "Conv", "conv", [.. inputs], [.. attrs]);
        }
        else
        {
            var size = ConstIn(n, 0, "input_sizes").ToLongs();
            outH = (int)size[sp.HAxis]; outW = (int)size[sp.WAxis];
            if (inH < 0 || inW < 0) throw new PoseTrackException($"TFJS import: {n}: the transposed convolution's input size must be known at import time.");
            var (pads, oph, opw) = TransposedPadding(n, sp, inH, inW, outH, outW);
            attrs.Add(OnnxAttr.IntList("pads", pads));
            attrs.Add(OnnxAttr.IntList("output_padding", oph, opw));
            y = Helper(n, "ConvTranspose", "conv", [.. inputs], [.. attrs]);
        }
        y = Activate(n, y, activation, preluAlpha, cout);
        var outShape = Layout(sp.Nhwc, batch, cout, outH, outW);
        if (sp.Nhwc) FromNchw(n, y, ElemType.Float, outShape);
        else Emit(n, "Identity", [y], ElemType.Float, outShape);
    }

    /// <summary>
    /// ONNX ConvTranspose pads and output_padding reproducing TF's Conv2DBackpropInput: TF pads as the forward conv from the
    /// requested output size would, and any remainder of the output size goes to output_padding (at the end).
    /// </summary>
    private static (long[] Pads, int OutPadH, int OutPadW) TransposedPadding(TfNode n, Spatial sp, int inH, int inW, int outH, int outW)
    {
        var padding = n.String("padding") ?? "VALID";
        if (padding is not ("SAME" or "VALID"))
            throw new PoseTrackException($"TFJS import: {n}: padding '{padding}' is not supported for transposed convolutions.");
        (int, int) Dim(int outSize, int k, int s, int d)
        {
            if (padding == "VALID") return (0, 0);
            var p = SamePadding(outSize, k, s, d);
            return (p.Begin, p.End);
        }
        var (hb, he) = Dim(outH, sp.KH, sp.SH, sp.DH);
        var (wb, we) = Dim(outW, sp.KW, sp.SW, sp.DW);
        int opH = outH - (sp.SH * (inH - 1) + (sp.KH - 1) * sp.DH + 1 - hb - he);
        int opW = outW - (sp.SW * (inW - 1) + (sp.KW - 1) * sp.DW + 1 - wb - we);
        if (opH < 0 || opW < 0 || opH >= Math.Max(sp.SH, sp.DH) || opW >= Math.Max(sp.SW, sp.DW))
            throw new PoseTrackException($"TFJS import: {n}: output size {outH}x{outW} does not fit input {inH}x{inW} with stride {sp.SH}x{sp.SW}.");
        return ([hb, wb, he, we], opH, opW);
    }

    /// <summary>Folds inference batch norm (scale, offset, mean, variance at inputs arg..arg+3) into OIHW weights and bias.</summary>
    private (ConstTensor W, float[] Bias) FoldBatchNorm(TfNode n, ConstTensor w, float[]? bias, int cout, int arg, float eps)
    {
        var scale = ConstIn(n, arg, "scale").CastTo(ElemType.Float).Floats!;
        var offset = ConstIn(n, arg + 1, "offset").CastTo(ElemType.Float).Floats!;
        var mean = ConstIn(n, arg + 2, "mean").CastTo(ElemType.Float).Floats!;
        var variance = ConstIn(n, arg + 3, "variance").CastTo(ElemType.Float).Floats!;
        var f = (float[])w.Floats!.Clone();
        int per = f.Length / cout;
        var b = new float[cout];
        for (int o = 0; o < cout; o++)
        {
            float k = scale[o] / MathF.Sqrt(variance[o] + eps);
            for (int i = 0; i < per; i++) f[o * per + i] *= k;
            b[o] = ((bias?[o] ?? 0f) - mean[o]) * k + offset[o];
        }
        return (ConstTensor.FromFloats(w.Shape, f), b);
    }

    /// <summary>Applies a fused activation to an NCHW tensor.</summary>
    private string Activate(TfNode n, string y, string? activation, TfValue? preluAlpha, int channels)
    {
        switch (activation)
        {
            case null: return y;
            case "Relu": return Helper(n, "Relu", "relu", [y]);
            case "Relu6":
                return Helper(n, "Clip", "relu6", [y, UseConst(n.Name + "/min", ConstTensor.FromFloats([], [0f])), UseConst(n.Name + "/max", ConstTensor.FromFloats([], [6f]))]);
            case "Elu": return Helper(n, "Elu", "elu", [y]);
            case "Sigmoid": return Helper(n, "Sigmoid", "sigmoid", [y]);
            case "Tanh": return Helper(n, "Tanh", "tanh", [y]);
            case "LeakyRelu": return Helper(n, "LeakyRelu", "leaky_relu", [y], OnnxAttr.Float("alpha", n.Float("leakyrelu_alpha", 0.2f)));
            case "Prelu":
                var a = preluAlpha!.Const ?? throw new PoseTrackException($"TFJS import: {n}: a PReLU slope must be a constant.");
                var slope = a.Count == 1 ? a.WithShape([]) : a.WithShape([channels, 1, 1]);
                return Helper(n, "PRelu", "prelu", [y, UseConst(n.Name + "/alpha", slope)]);
            default: throw new InvalidOperationException($"activation {activation}");
        }
    }

    private void PoolOp(TfNode n, string onnx)
    {
        var x = In(n, 0);
        var k = n.Ints("ksize") ?? throw new PoseTrackException($"TFJS import: {n}: no ksize.");
        var sp0 = ReadSpatial(n, 1, 1);
        var sp = sp0 with { KH = (int)k[sp0.HAxis], KW = (int)k[sp0.WAxis] };
        var xs = Conv4(x.Shape);
        var (pads, outH, outW) = Padding(n, sp, xs?[sp.HAxis] ?? -1, xs?[sp.WAxis] ?? -1);
        var attrs = new List<OnnxAttr> { OnnxAttr.IntList("kernel_shape", sp.KH, sp.KW), OnnxAttr.IntList("strides", sp.SH, sp.SW) };
        attrs.Add(pads is null ? OnnxAttr.String("auto_pad", "SAME_UPPER") : OnnxAttr.IntList("pads", pads));
        var xn = sp.Nhwc ? Nchw(x) : Use(x);
        var y = Helper(n, onnx, "pool", [xn], [.. attrs]);
        var shape = Layout(sp.Nhwc, xs?[0] ?? -1, xs?[sp.CAxis] ?? -1, outH, outW);
        if (sp.Nhwc) FromNchw(n, y, x.Type, shape);
        else Emit(n, "Identity", [y], x.Type, shape);
    }

    /// <summary>
    /// ResizeBilinear / ResizeNearestNeighbor (always NHWC in TF) as ONNX Resize on NCHW. TF's flags map onto ONNX's
    /// coordinate transformation: align_corners → align_corners, half_pixel_centers → half_pixel (nearest:
    /// tf_half_pixel_for_nn), neither → asymmetric; nearest rounds as TF does (floor, or round-half-up with align_corners).
    /// </summary>
    private void ResizeOp(TfNode n, bool nearest)
    {
        var x = In(n, 0); var size = In(n, 1);
        bool align = n.Bool("align_corners", false), half = n.Bool("half_pixel_centers", false);
        var xs = Conv4(x.Shape);
        var xn = Nchw(x);
        string sizes;
        int outH = -1, outW = -1;
        if (size.Const is { } sc && xs is { } s && s[0] >= 0 && s[3] >= 0)
        {
            var hw = sc.ToLongs();
            outH = (int)hw[0]; outW = (int)hw[1];
            sizes = _g.Int64s(n.Name + "/sizes", s[0], s[3], hw[0], hw[1]);
        }
        else
        {
            if (size.Const is { } sc2) { var hw = sc2.ToLongs(); outH = (int)hw[0]; outW = (int)hw[1]; }
            var shape = Helper(n, "Shape", "in_shape", [xn]);
            var nc = Helper(n, "Slice", "nc", [shape, _g.Int64s(n.Name + "/zero", 0), _g.Int64s(n.Name + "/two", 2)]);
            sizes = Helper(n, "Concat", "sizes", [nc, UseInt64(size, n.Name + "/hw64")], OnnxAttr.Int("axis", 0));
        }
        var attrs = new List<OnnxAttr>();
        if (nearest)
        {
            attrs.Add(OnnxAttr.String("mode", "nearest"));
            attrs.Add(OnnxAttr.String("coordinate_transformation_mode", align ? "align_corners" : half ? "tf_half_pixel_for_nn" : "asymmetric"));
            attrs.Add(OnnxAttr.String("nearest_mode", align ? "round_prefer_ceil" : "floor"));
        }
        else
        {
            attrs.Add(OnnxAttr.String("mode", "linear"));
            attrs.Add(OnnxAttr.String("coordinate_transformation_mode", align ? "align_corners" : half ? "half_pixel" : "asymmetric"));
        }
        var y = Helper(n, "Resize", "resize", [xn, "", "", sizes], [.. attrs]);
        FromNchw(n, y, x.Type, [xs?[0] ?? -1, outH, outW, xs?[3] ?? -1]);
    }

    private void MatMulOp(TfNode n)
    {
        var a = In(n, 0); var b = In(n, 1);
        bool ta = n.Bool("transpose_a", false) || n.Bool("adj_x", false);
        bool tb = n.Bool("transpose_b", false) || n.Bool("adj_y", false);
        string Operand(TfValue v, bool transpose, string tag)
        {
            if (!transpose) return Use(v);
            int r = RankOf(v, n, "to transpose a matrix operand");
            var perm = Enumerable.Range(0, r).Select(i => (long)i).ToArray();
            (perm[r - 1], perm[r - 2]) = (perm[r - 2], perm[r - 1]);
            if (v.Const is { } c) return UseConst($"{n.Name}/{tag}_t", c.Transpose(perm.Select(p => (int)p).ToArray()));
            return Helper(n, "Transpose", $"{tag}_t", [Use(v)], OnnxAttr.IntList("perm", perm));
        }
        int[]? Swap(int[]? s, bool t) => s is null || !t || s.Length < 2 ? s : [.. s[..^2], s[^1], s[^2]];
        var sa = Swap(a.Shape, ta); var sb = Swap(b.Shape, tb);
        int[]? shape = sa is { Length: >= 2 } && sb is { Length: >= 2 }
            ? [.. (ShapeUtil.Broadcast(sa[..^2], sb[..^2]) ?? []), sa[^2], sb[^1]]
            : null;
        var y = Helper(n, "MatMul", "matmul", [Operand(a, ta, "a"), Operand(b, tb, "b")]);
        int arg = 2;
        string? activation = null;
        foreach (var op in n.Strings("fused_ops") ?? [])
        {
            switch (op)
            {
                case "BiasAdd": y = Helper(n, "Add", "bias_add", [y, Use(In(n, arg++))]); break;
                case "Relu" or "Relu6" or "Elu" or "Sigmoid" or "Tanh" or "LeakyRelu": activation = op; break;
                default: throw new PoseTrackException($"TFJS import: {n}: fused op '{op}' is not supported.");
            }
        }
        y = Activate(n, y, activation, null, 0);
        Emit(n, "Identity", [y], a.Type, shape);
    }

    private void BatchNormOp(TfNode n)
    {
        var x = In(n, 0);
        if (n.Bool("is_training", false)) throw new PoseTrackException($"TFJS import: {n}: training-mode batch norm is not supported.");
        var scale = ConstIn(n, 1, "scale").CastTo(ElemType.Float).Floats!;
        var offset = ConstIn(n, 2, "offset").CastTo(ElemType.Float).Floats!;
        var mean = ConstIn(n, 3, "mean").CastTo(ElemType.Float).Floats!;
        var variance = ConstIn(n, 4, "variance").CastTo(ElemType.Float).Floats!;
        float eps = n.Float("epsilon", 0.001f);
        int c = scale.Length;
        var k = new float[c]; var shift = new float[c];
        for (int i = 0; i < c; i++)
        {
            k[i] = scale[i] / MathF.Sqrt(variance[i] + eps);
            shift[i] = offset[i] - mean[i] * k[i];
        }
        bool nhwc = (n.String("data_format") ?? "NHWC") == "NHWC";
        int[] constShape = nhwc ? [c] : [c, 1, 1];
        bool viaNchw = nhwc && _nchw.ContainsKey(x.Name);
        string xin = viaNchw ? _nchw[x.Name] : "";
        if (viaNchw) constShape = [c, 1, 1];
        else xin = Use(x);
        var m = Helper(n, "Mul", "scale", [xin, UseConst(n.Name + "/k", ConstTensor.FromFloats(constShape, k))]);
        var y = Helper(n, "Add", "shift", [m, UseConst(n.Name + "/shift", ConstTensor.FromFloats(constShape, shift))]);
        if (viaNchw) FromNchw(n, y, x.Type, x.Shape);
        else Emit(n, "Identity", [y], x.Type, x.Shape);
    }

    private void BiasAddOp(TfNode n)
    {
        var x = In(n, 0); var b = In(n, 1);
        bool nhwc = (n.String("data_format") ?? "NHWC") == "NHWC";
        if (nhwc || x.Rank is null or < 3) { Binary(n, "Add", x, b); return; }
        var bc = b.Const ?? throw new PoseTrackException($"TFJS import: {n}: an NCHW bias must be a constant.");
        int trailing = x.Rank!.Value - 2;
        var shaped = bc.WithShape([bc.Count, .. Enumerable.Repeat(1, trailing)]);
        Emit(n, "Add", [Use(x), UseConst(n.Name + "/bias", shaped)], x.Type, x.Shape);
    }
}
