using System.Text;

namespace PoseTrack.Sources;

/// <summary>
/// Tells an audio-only file (.mp3, .m4a, .wav, .flac, .ogg, an MP4 or Matroska file with sound tracks only) from a
/// damaged one once FFmpeg has refused to open it as video, so the message can say "has no video stream". A guess
/// from the file's first and last bytes: it only chooses between two error messages.
/// </summary>
internal static class AudioOnlyMedia
{
    private const int Window = 1 << 20;

    public static bool Is(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var head = Read(f, 0, (int)Math.Min(f.Length, Window));
            var tail = f.Length > Window ? Read(f, Math.Max(Window, f.Length - Window), (int)Math.Min(Window, f.Length - Window)) : [];
            return Is(head, tail);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    internal static bool Is(byte[] head, byte[] tail)
    {
        if (head.Length < 12) return false;
        if (StartsWith(head, "ID3") || StartsWith(head, "fLaC") || StartsWith(head, "OggS")) return true;
        if (StartsWith(head, "RIFF") && Encoding.ASCII.GetString(head, 8, 4) == "WAVE") return true;
        if (head[0] == 0xFF && (head[1] & 0xE0) == 0xE0) return true;               // MPEG audio / ADTS AAC frame sync
        if (Encoding.ASCII.GetString(head, 4, 4) == "ftyp")                            // MP4, M4A, MOV: the track handlers
        {
            bool sound = HasHandler(head, "soun") || HasHandler(tail, "soun");
            bool video = HasHandler(head, "vide") || HasHandler(tail, "vide");
            return sound && !video;
        }
        if (head[0] == 0x1A && head[1] == 0x45 && head[2] == 0xDF && head[3] == 0xA3)  // Matroska / WebM: codec ids
        {
            bool audio = Contains(head, "A_") || Contains(tail, "A_");
            bool video = HasMatroskaVideoCodec(head) || HasMatroskaVideoCodec(tail);
            return audio && !video;
        }
        return false;
    }

    private static byte[] Read(FileStream f, long offset, int count)
    {
        var buffer = new byte[count];
        f.Position = offset;
        f.ReadExactly(buffer);
        return buffer;
    }

    private static bool StartsWith(byte[] b, string ascii) => b.AsSpan().StartsWith(Encoding.ASCII.GetBytes(ascii));

    private static bool Contains(byte[] b, string ascii) => b.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii)) >= 0;

    /// <summary>An ISO-BMFF 'hdlr' box: "hdlr", version and flags, pre_defined, then the handler type.</summary>
    private static bool HasHandler(byte[] b, string type)
    {
        var span = b.AsSpan();
        var hdlr = "hdlr"u8;
        var want = Encoding.ASCII.GetBytes(type);
        for (int i = span.IndexOf(hdlr); i >= 0 && i + 16 <= span.Length;)
        {
            if (span.Slice(i + 12, 4).SequenceEqual(want)) return true;
            int next = span[(i + 4)..].IndexOf(hdlr);
            if (next < 0) break;
            i += 4 + next;
        }
        return false;
    }

    /// <summary>A Matroska CodecID element (0x86, a one-byte size) whose value starts with "V_".</summary>
    private static bool HasMatroskaVideoCodec(byte[] b)
    {
        for (int i = 0; i + 3 < b.Length; i++)
            if (b[i] == 0x86 && (b[i + 1] & 0x80) != 0 && b[i + 2] == (byte)'V' && b[i + 3] == (byte)'_') return true;
        return false;
    }
}
