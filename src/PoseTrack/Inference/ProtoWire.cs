using System.Buffers.Binary;
using System.Text;

namespace PoseTrack.Inference;

/// <summary>Protocol-buffer wire types (the low three bits of a field key).</summary>
internal enum WireType
{
    /// <summary>Base-128 varint (int32, int64, uint*, bool, enum).</summary>
    Varint = 0,
    /// <summary>Eight little-endian bytes (fixed64, sfixed64, double).</summary>
    Fixed64 = 1,
    /// <summary>Varint length, then that many bytes (string, bytes, messages, packed repeated).</summary>
    LengthDelimited = 2,
    /// <summary>Deprecated group start; not supported.</summary>
    StartGroup = 3,
    /// <summary>Deprecated group end; not supported.</summary>
    EndGroup = 4,
    /// <summary>Four little-endian bytes (fixed32, sfixed32, float).</summary>
    Fixed32 = 5,
}

/// <summary>
/// One field as read from a buffer. Offsets are relative to the span given to the <see cref="ProtoReader"/>.
/// <see cref="Payload"/> holds the content bytes of length-delimited and fixed fields (empty for varints).
/// </summary>
internal readonly ref struct ProtoField
{
    /// <summary>Field number.</summary>
    public int Number { get; init; }
    /// <summary>Wire type.</summary>
    public WireType WireType { get; init; }
    /// <summary>Offset of the field's key.</summary>
    public int Start { get; init; }
    /// <summary>Offset just past the key (the length prefix of a length-delimited field starts here).</summary>
    public int KeyEnd { get; init; }
    /// <summary>Offset of the payload (after key and, where present, length prefix).</summary>
    public int PayloadStart { get; init; }
    /// <summary>Offset just past the field.</summary>
    public int End { get; init; }
    /// <summary>The decoded value of a varint field (raw bits; cast for signed types).</summary>
    public ulong Varint { get; init; }
    /// <summary>Content of a length-delimited or fixed-width field.</summary>
    public ReadOnlySpan<byte> Payload { get; init; }

    /// <summary>The varint value as a two's-complement int64.</summary>
    public long Int64 => unchecked((long)Varint);

    /// <summary>The payload decoded as UTF-8 (length-delimited fields).</summary>
    public string String => Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// Forward-only reader of protocol-buffer wire format over a span; allocates nothing.
/// Malformed input raises <see cref="InvalidDataException"/> with the byte offset.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>Reads <paramref name="data"/> from its start.</summary>
    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool AtEnd => _pos >= _data.Length;

    /// <summary>Reads one varint (up to 10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        int start = _pos;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_pos >= _data.Length)
                throw new InvalidDataException($"truncated varint at byte {start}");
            byte b = _data[_pos++];
            if (shift == 63 && b > 1)
                throw new InvalidDataException($"varint overflows 64 bits at byte {start}");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new InvalidDataException($"varint longer than 10 bytes at byte {start}");
    }

    /// <summary>Reads a length prefix and returns that many bytes.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        int at = _pos;
        ulong len = ReadVarint();
        if (len > (ulong)(_data.Length - _pos))
            throw new InvalidDataException($"length {len} at byte {at} runs past the end of the message ({_data.Length - _pos} bytes left)");
        return Take((int)len);
    }

    /// <summary>Reads the next field; false at the end of the buffer.</summary>
    public bool TryReadField(out ProtoField field)
    {
        if (AtEnd)
        {
            field = default;
            return false;
        }
        int start = _pos;
        ulong key = ReadVarint();
        int keyEnd = _pos;
        ulong number = key >> 3;
        var wire = (WireType)(key & 7);
        if (number == 0 || number > 536_870_911)
            throw new InvalidDataException($"invalid field number {number} at byte {start}");
        ulong varint = 0;
        ReadOnlySpan<byte> payload = default;
        int payloadStart = keyEnd;
        switch (wire)
        {
            case WireType.Varint:
                varint = ReadVarint();
                break;
            case WireType.Fixed64:
                payload = Take(8);
                break;
            case WireType.Fixed32:
                payload = Take(4);
                break;
            case WireType.LengthDelimited:
                payload = ReadLengthDelimited();
                payloadStart = _pos - payload.Length;
                break;
            default:
                throw new InvalidDataException($"unsupported wire type {(int)wire} for field {number} at byte {start}");
        }
        field = new ProtoField
        {
            Number = (int)number,
            WireType = wire,
            Start = start,
            KeyEnd = keyEnd,
            PayloadStart = payloadStart,
            End = _pos,
            Varint = varint,
            Payload = payload,
        };
        return true;
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _data.Length - _pos)
            throw new InvalidDataException($"truncated field at byte {_pos}: need {n} bytes, {_data.Length - _pos} left");
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }
}

/// <summary>Growable writer of protocol-buffer wire format, meant for small messages.</summary>
internal sealed class ProtoWriter
{
    private byte[] _buf;
    private int _len;

    /// <summary>Creates a writer with the given initial capacity.</summary>
    public ProtoWriter(int capacity = 64) => _buf = new byte[Math.Max(capacity, 16)];

    /// <summary>Bytes written so far.</summary>
    public int Length => _len;

    /// <summary>The written bytes (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(0, _len);

    /// <summary>A copy of the written bytes.</summary>
    public byte[] ToArray() => _buf.AsSpan(0, _len).ToArray();

    /// <summary>Appends a varint.</summary>
    public void WriteVarint(ulong value)
    {
        Ensure(10);
        _len += WriteVarint(_buf.AsSpan(_len), value);
    }

    /// <summary>Appends a field key.</summary>
    public void WriteKey(int field, WireType wire) => WriteVarint(((ulong)(uint)field << 3) | (uint)wire);

    /// <summary>Appends a varint field (int64 values are written as their two's-complement bits).</summary>
    public void WriteVarintField(int field, ulong value)
    {
        WriteKey(field, WireType.Varint);
        WriteVarint(value);
    }

    /// <summary>Appends an int64 field.</summary>
    public void WriteInt64Field(int field, long value) => WriteVarintField(field, unchecked((ulong)value));

    /// <summary>Appends a fixed32 field.</summary>
    public void WriteFixed32Field(int field, uint value)
    {
        WriteKey(field, WireType.Fixed32);
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buf.AsSpan(_len), value);
        _len += 4;
    }

    /// <summary>Appends a fixed64 field.</summary>
    public void WriteFixed64Field(int field, ulong value)
    {
        WriteKey(field, WireType.Fixed64);
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buf.AsSpan(_len), value);
        _len += 8;
    }

    /// <summary>Appends a length-delimited field (bytes, string or embedded message).</summary>
    public void WriteBytesField(int field, ReadOnlySpan<byte> payload)
    {
        WriteKey(field, WireType.LengthDelimited);
        WriteVarint((ulong)payload.Length);
        WriteRaw(payload);
    }

    /// <summary>Appends a UTF-8 string field.</summary>
    public void WriteStringField(int field, string value) => WriteBytesField(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Appends bytes as they are (for example a field copied from another message).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buf.AsSpan(_len));
        _len += bytes.Length;
    }

    /// <summary>Number of bytes <paramref name="value"/> takes as a varint (1..10).</summary>
    public static int VarintSize(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> as a varint at the start of <paramref name="dst"/>; returns the byte count.</summary>
    public static int WriteVarint(Span<byte> dst, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            dst[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dst[i++] = (byte)value;
        return i;
    }

    private void Ensure(int extra)
    {
        if (_len + extra <= _buf.Length) return;
        Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + extra));
    }
}
