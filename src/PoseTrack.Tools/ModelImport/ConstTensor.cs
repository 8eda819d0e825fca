using System.Buffers.Binary;
using PoseTrack.Core;

namespace PoseTrack.ModelImport;

/// <summary>Tensor element types, numbered as ONNX's TensorProto.DataType.</summary>
internal enum ElemType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Double = 11,
}

/// <summary>Mapping between TensorFlow data types and <see cref="ElemType"/>.</summary>
internal static class ElemTypes
{
    /// <summary>The element type of a TensorFlow "DT_*" name; throws for types the importer does not handle.</summary>
    public static ElemType FromTf(string? dt, TfNode node) => dt switch
    {
        "DT_FLOAT" => ElemType.Float,
        "DT_INT32" => ElemType.Int32,
        "DT_INT64" => ElemType.Int64,
        "DT_BOOL" => ElemType.Bool,
        "DT_HALF" => ElemType.Float16,
        "DT_DOUBLE" => ElemType.Double,
        "DT_UINT8" => ElemType.UInt8,
        "DT_INT8" => ElemType.Int8,
        _ => throw new PoseTrackException($"{node}: data type '{dt ?? "(none)"}' is not supported."),
    };

    /// <summary>True for floating-point types.</summary>
    public static bool IsFloat(this ElemType t) => t is ElemType.Float or ElemType.Float16 or ElemType.Double;

    /// <summary>Bytes per element in raw ONNX tensor data.</summary>
    public static int Size(this ElemType t) => t switch
    {
        ElemType.Float or ElemType.Int32 => 4,
        ElemType.Int64 or ElemType.Double => 8,
        ElemType.Float16 => 2,
        _ => 1,
    };
}

/// <summary>
/// A constant tensor known at import time: a weight, or the result of folding ops on constants.
/// Floating types keep their values in <see cref="Floats"/>, integer and boolean types in <see cref="Ints"/>.
/// </summary>
internal sealed class ConstTensor
{
    /// <summary>Element type.</summary>
    public ElemType Type { get; }
    /// <summary>Dimensions (empty for a scalar).</summary>
    public int[] Shape { get; }
    /// <summary>Values of a floating tensor, row-major.</summary>
    public float[]? Floats { get; }
    /// <summary>Values of an integer or boolean tensor, row-major.</summary>
    public long[]? Ints { get; }
    /// <summary>True when every value came from float16 storage unchanged (so it can be stored as float16 again losslessly).</summary>
    public bool FromHalf { get; }

    private ConstTensor(ElemType type, int[] shape, float[]? floats, long[]? ints, bool fromHalf)
    {
        Type = type; Shape = shape; Floats = floats; Ints = ints; FromHalf = fromHalf;
        int n = Count;
        if ((floats?.Length ?? ints!.Length) != n)
            throw new InvalidOperationException($"constant of shape [{string.Join(",", shape)}] given {(floats?.Length ?? ints!.Length)} values");
    }

    /// <summary>A float32 tensor.</summary>
    public static ConstTensor FromFloats(int[] shape, float[] values, bool fromHalf = false) => new(ElemType.Float, shape, values, null, fromHalf);

    /// <summary>A floating tensor of the given type (values held as float).</summary>
    public static ConstTensor FromFloats(ElemType type, int[] shape, float[] values) => new(type, shape, values, null, false);

    /// <summary>An integer or boolean tensor.</summary>
    public static ConstTensor FromInts(ElemType type, int[] shape, long[] values) => new(type, shape, null, values, false);

    /// <summary>An int64 vector.</summary>
    public static ConstTensor Int64Vector(params long[] values) => FromInts(ElemType.Int64, [values.Length], values);

    /// <summary>Number of elements.</summary>
    public int Count => ShapeUtil.Count(Shape);

    /// <summary>Rank.</summary>
    public int Rank => Shape.Length;

    /// <summary>Element <paramref name="i"/> as a double.</summary>
    public double At(int i) => Floats is not null ? Floats[i] : Ints![i];

    /// <summary>The values as int64 (floats truncated).</summary>
    public long[] ToLongs() => Ints is not null ? (long[])Ints.Clone() : Floats!.Select(f => (long)f).ToArray();

    /// <summary>The same values with another shape of the same element count.</summary>
    public ConstTensor WithShape(int[] shape) => new(Type, shape, Floats, Ints, FromHalf);

    /// <summary>Values converted to <paramref name="to"/> (float→int truncates, as TensorFlow's Cast; int32 wraps).</summary>
    public ConstTensor CastTo(ElemType to)
    {
        if (to == Type) return this;
        if (to.IsFloat())
        {
            var f = Floats is not null ? (float[])Floats.Clone() : Ints!.Select(v => (float)v).ToArray();
            if (to == ElemType.Float16) for (int i = 0; i < f.Length; i++) f[i] = (float)(Half)f[i];
            return new ConstTensor(to, Shape, f, null, FromHalf && to == ElemType.Float);
        }
        var src = Ints ?? Floats!.Select(v => float.IsNaN(v) ? 0L : (long)Math.Clamp((double)v, long.MinValue, long.MaxValue)).ToArray();
        var r = new long[src.Length];
        for (int i = 0; i < r.Length; i++) r[i] = Wrap(to, src[i]);
        return new ConstTensor(to, Shape, null, r, false);
    }

    /// <summary>Wraps <paramref name="v"/> to the range of integer type <paramref name="t"/> (two's complement, as C casts do).</summary>
    public static long Wrap(ElemType t, long v) => t switch
    {
        ElemType.Int32 => unchecked((int)v),
        ElemType.UInt8 => unchecked((byte)v),
        ElemType.Int8 => unchecked((sbyte)v),
        ElemType.Bool => v != 0 ? 1 : 0,
        _ => v,
    };

    /// <summary>Raw little-endian bytes for an ONNX initializer of type <paramref name="as"/>.</summary>
    public byte[] ToRaw(ElemType @as)
    {
        int n = Count;
        var bytes = new byte[n * @as.Size()];
        var span = bytes.AsSpan();
        for (int i = 0; i < n; i++)
        {
            switch (@as)
            {
                case ElemType.Float: BinaryPrimitives.WriteSingleLittleEndian(span[(4 * i)..], (float)At(i)); break;
                case ElemType.Double: BinaryPrimitives.WriteDoubleLittleEndian(span[(8 * i)..], At(i)); break;
                case ElemType.Float16: BinaryPrimitives.WriteHalfLittleEndian(span[(2 * i)..], (Half)(float)At(i)); break;
                case ElemType.Int32: BinaryPrimitives.WriteInt32LittleEndian(span[(4 * i)..], (int)LongAt(i)); break;
                case ElemType.Int64: BinaryPrimitives.WriteInt64LittleEndian(span[(8 * i)..], LongAt(i)); break;
                case ElemType.UInt8 or ElemType.Int8 or ElemType.Bool: span[i] = unchecked((byte)LongAt(i)); break;
                default: throw new InvalidOperationException($"cannot write {@as}");
            }
        }
        return bytes;
    }

    private long LongAt(int i) => Ints is not null ? Ints[i] : (long)Floats![i];

    /// <summary>Reorders the axes (as ONNX/TF Transpose with <paramref name="perm"/>).</summary>
    public ConstTensor Transpose(int[] perm)
    {
        int rank = Rank;
        var outShape = perm.Select(p => Shape[p]).ToArray();
        var inStrides = ShapeUtil.Strides(Shape);
        int n = Count;
        var idx = new int[rank];
        float[]? f = Floats is null ? null : new float[n];
        long[]? l = Ints is null ? null : new long[n];
        for (int o = 0; o < n; o++)
        {
            int src = 0;
            for (int d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
            if (f is not null) f[o] = Floats![src]; else l![o] = Ints![src];
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return new ConstTensor(Type, outShape, f, l, FromHalf);
    }

    /// <summary>Concatenates tensors of equal rank and type along <paramref name="axis"/>.</summary>
    public static ConstTensor Concat(IReadOnlyList<ConstTensor> parts, int axis)
    {
        var first = parts[0];
        int rank = first.Rank;
        if (axis < 0) axis += rank;
        var shape = (int[])first.Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        bool isFloat = first.Floats is not null;
        var f = isFloat ? new List<float>() : null;
        var l = isFloat ? null : new List<long>();
        for (int o = 0; o < outer; o++)
        {
            foreach (var p in parts)
            {
                int inner = p.Count / Math.Max(outer, 1);
                if (outer == 0) inner = 0;
                if (isFloat) f!.AddRange(p.Floats!.AsSpan(o * inner, inner).ToArray());
                else l!.AddRange(p.Ints!.AsSpan(o * inner, inner).ToArray());
            }
        }
        return isFloat ? new ConstTensor(first.Type, shape, [.. f!], null, parts.All(p => p.FromHalf))
                       : new ConstTensor(first.Type, shape, null, [.. l!], false);
    }

    /// <summary>Selects <paramref name="indices"/>[d] along each axis d (a cartesian product), giving shape <paramref name="outShape"/>.</summary>
    public ConstTensor Select(int[][] indices, int[] outShape)
    {
        int rank = Rank;
        var strides = ShapeUtil.Strides(Shape);
        int n = 1;
        foreach (var ix in indices) n *= ix.Length;
        var pos = new int[rank];
        float[]? f = Floats is null ? null : new float[n];
        long[]? l = Ints is null ? null : new long[n];
        for (int o = 0; o < n; o++)
        {
            int src = 0;
            for (int d = 0; d < rank; d++) src += indices[d][pos[d]] * strides[d];
            if (f is not null) f[o] = Floats![src]; else l![o] = Ints![src];
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++pos[d] < indices[d].Length) break;
                pos[d] = 0;
            }
        }
        return new ConstTensor(Type, outShape, f, l, FromHalf);
    }

    /// <summary>
    /// Applies a binary op element-wise with NumPy broadcasting. Floats are computed in float32, integers in int64 and
    /// wrapped to the element type; <paramref name="resultType"/> overrides the result type (comparisons give Bool).
    /// </summary>
    public static ConstTensor Binary(ConstTensor a, ConstTensor b, Func<float, float, float>? onFloat, Func<long, long, long>? onInt,
        ElemType? resultType = null)
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape) ?? throw new InvalidOperationException("shapes do not broadcast");
        int n = ShapeUtil.Count(shape);
        var ia = ShapeUtil.BroadcastIndex(a.Shape, shape);
        var ib = ShapeUtil.BroadcastIndex(b.Shape, shape);
        var type = resultType ?? a.Type;
        if (a.Floats is not null)
        {
            if (onFloat is null) throw new InvalidOperationException("no float form");
            var r = new float[n];
            for (int i = 0; i < n; i++) r[i] = onFloat(a.Floats[ia(i)], b.Floats![ib(i)]);
            if (type.IsFloat()) return new ConstTensor(type, shape, r, null, false);
            return new ConstTensor(type, shape, null, r.Select(v => (long)v).ToArray(), false);
        }
        if (onInt is null) throw new InvalidOperationException("no integer form");
        var li = new long[n];
        for (int i = 0; i < n; i++) li[i] = Wrap(type, onInt(a.Ints![ia(i)], b.Ints![ib(i)]));
        return new ConstTensor(type, shape, null, li, false);
    }
}

/// <summary>Shape arithmetic on dims where -1 means "not known at import time".</summary>
internal static class ShapeUtil
{
    /// <summary>Product of the dims (1 for a scalar).</summary>
    public static int Count(int[] shape)
    {
        int n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    /// <summary>True when every dim is known.</summary>
    public static bool IsStatic(int[]? shape) => shape is not null && shape.All(d => d >= 0);

    /// <summary>Row-major strides.</summary>
    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]; }
        return s;
    }

    /// <summary>NumPy broadcast of two shapes; null when either is unknown or they conflict.</summary>
    public static int[]? Broadcast(int[]? a, int[]? b)
    {
        if (a is null || b is null) return null;
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da == 1) r[i] = db;
            else if (db == 1) r[i] = da;
            else if (da == db) r[i] = da;
            else if (da < 0) r[i] = db;
            else if (db < 0) r[i] = da;
            else return null;
        }
        return r;
    }

    /// <summary>A function from a flat index in <paramref name="outShape"/> to the flat index in <paramref name="shape"/> it broadcasts from.</summary>
    public static Func<int, int> BroadcastIndex(int[] shape, int[] outShape)
    {
        if (Count(shape) == Count(outShape) && shape.Length <= outShape.Length) return i => i;
        if (Count(shape) == 1) return _ => 0;
        int rank = outShape.Length, off = rank - shape.Length;
        var inStrides = Strides(shape);
        var outStrides = Strides(outShape);
        return i =>
        {
            int src = 0;
            for (int d = 0; d < rank; d++)
            {
                int coord = i / outStrides[d] % outShape[d];
                int sd = d - off;
                if (sd >= 0 && shape[sd] != 1) src += coord * inStrides[sd];
            }
            return src;
        };
    }

    /// <summary>Shape text such as "[1,192,192,3]" ("?" for unknown dims).</summary>
    public static string Text(int[]? shape) =>
        shape is null ? "[unknown rank]" : "[" + string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
