using System.Runtime.InteropServices;
using OpenCvSharp;

namespace PoseTrack.Sources;

/// <summary>
/// Converts 8-bit I420 (yuv420p) frames to BGR with the system's libswscale (the library the <c>ffmpeg</c> program
/// uses), in its plain C code path: the conversion OpenCV's bundled FFmpeg makes, to the bit. OpenCV's build of FFmpeg
/// has no SIMD code, and its reader converts with <c>sws_scale(…, SWS_BICUBIC)</c> from the decoded yuv420p frame; the
/// same call here, with libswscale's CPU features switched off, gives identical pixels (checked on every frame of the
/// sample video, TUD-Campus and a 1920×1440 video), so decoding through ffmpeg changes no result. The SIMD code would be
/// 4× faster but rounds differently (up to 3 grey levels).
/// </summary>
/// <remarks>
/// libswscale and libavutil are loaded by their Debian/Ubuntu file names (FFmpeg 4 to 8: libswscale.so.5–9 with the
/// libavutil of the same release); <see cref="IsAvailable"/> is false when none is there. Switching CPU features off
/// (<c>av_force_cpu_flags(0)</c>) and silencing the library's log (it warns that no accelerated conversion exists) only
/// concern that libavutil: OpenCV carries its own FFmpeg, and the ffmpeg children are other processes.
/// </remarks>
internal sealed unsafe class I420ToBgr : IDisposable
{
    private const int PixFmtYuv420P = 0, PixFmtBgr24 = 3, SwsBicubic = 4, AvLogQuiet = -8;

    private static readonly Lazy<Api?> Library = new(Load);
    private readonly Api _api;
    private nint _context;

    /// <summary>True when libswscale could be loaded.</summary>
    public static bool IsAvailable => Library.Value is not null;

    /// <summary>Width and height of the frames converted.</summary>
    public int Width { get; }

    /// <inheritdoc cref="Width"/>
    public int Height { get; }

    /// <summary>Bytes of one I420 frame: the luma plane and two chroma planes of half the size, rounded up.</summary>
    public int FrameBytes => checked(Width * Height + 2 * ((Width + 1) / 2) * ((Height + 1) / 2));

    /// <summary>A converter for frames of one size.</summary>
    /// <exception cref="InvalidOperationException">libswscale is not available, or refuses the size.</exception>
    public I420ToBgr(int width, int height)
    {
        _api = Library.Value ?? throw new InvalidOperationException("libswscale is not available");
        Width = width;
        Height = height;
        _context = _api.GetContext(width, height, PixFmtYuv420P, width, height, PixFmtBgr24, SwsBicubic, 0, 0, 0);
        if (_context == 0) throw new InvalidOperationException($"libswscale refuses {width}x{height}");
    }

    /// <summary>Converts one I420 frame (<see cref="FrameBytes"/> bytes) into <paramref name="bgr"/> (made CV_8UC3 of the size).</summary>
    public void Convert(ReadOnlySpan<byte> i420, Mat bgr)
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        if (i420.Length < FrameBytes) throw new ArgumentException($"an I420 frame of {Width}x{Height} has {FrameBytes} bytes", nameof(i420));
        bgr.Create(Height, Width, MatType.CV_8UC3);
        int chromaWidth = (Width + 1) / 2, chromaHeight = (Height + 1) / 2;
        fixed (byte* frame = i420)
        {
            var planes = stackalloc nint[4] { (nint)frame, (nint)(frame + Width * Height), (nint)(frame + Width * Height + chromaWidth * chromaHeight), 0 };
            var strides = stackalloc int[4] { Width, chromaWidth, chromaWidth, 0 };
            var output = stackalloc nint[4] { bgr.Data, 0, 0, 0 };
            var outputStrides = stackalloc int[4] { checked((int)bgr.Step()), 0, 0, 0 };
            _api.Scale(_context, planes, strides, 0, Height, output, outputStrides);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_context == 0) return;
        _api.FreeContext(_context);
        _context = 0;
    }

    private static Api? Load()
    {
        if (!OperatingSystem.IsLinux()) return null;
        // (libswscale, libavutil) of one FFmpeg release, newest first.
        foreach (var (scale, util) in new[] { (9, 60), (8, 59), (7, 58), (6, 57), (5, 56) })
        {
            if (!NativeLibrary.TryLoad($"libswscale.so.{scale}", out var swscale)) continue;
            if (!NativeLibrary.TryLoad($"libavutil.so.{util}", out var avutil)) continue;
            try
            {
                var api = new Api(
                    (delegate* unmanaged<int, int, int, int, int, int, int, nint, nint, nint, nint>)NativeLibrary.GetExport(swscale, "sws_getContext"),
                    (delegate* unmanaged<nint, nint*, int*, int, int, nint*, int*, int>)NativeLibrary.GetExport(swscale, "sws_scale"),
                    (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(swscale, "sws_freeContext"));
                ((delegate* unmanaged<int, void>)NativeLibrary.GetExport(avutil, "av_force_cpu_flags"))(0);
                ((delegate* unmanaged<int, void>)NativeLibrary.GetExport(avutil, "av_log_set_level"))(AvLogQuiet);
                return api;
            }
            catch (EntryPointNotFoundException) { }
        }
        return null;
    }

    private sealed class Api
    {
        private readonly delegate* unmanaged<int, int, int, int, int, int, int, nint, nint, nint, nint> _getContext;
        private readonly delegate* unmanaged<nint, nint*, int*, int, int, nint*, int*, int> _scale;
        private readonly delegate* unmanaged<nint, void> _freeContext;

        public Api(delegate* unmanaged<int, int, int, int, int, int, int, nint, nint, nint, nint> getContext,
            delegate* unmanaged<nint, nint*, int*, int, int, nint*, int*, int> scale, delegate* unmanaged<nint, void> freeContext)
        {
            _getContext = getContext;
            _scale = scale;
            _freeContext = freeContext;
        }

        public nint GetContext(int sw, int sh, int sf, int dw, int dh, int df, int flags, nint a, nint b, nint c) => _getContext(sw, sh, sf, dw, dh, df, flags, a, b, c);
        public int Scale(nint context, nint* planes, int* strides, int y, int h, nint* output, int* outputStrides) => _scale(context, planes, strides, y, h, output, outputStrides);
        public void FreeContext(nint context) => _freeContext(context);
    }
}
