using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Tests.ModelImport;
using Xunit;
using Xunit.Abstractions;

namespace PoseTrack.Tests.Detection;

/// <summary>Detector input size and tiled detection: tile layout and merging on hand-made boxes, then the real detectors.</summary>
public sealed class TiledDetectionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(768, 576, 2, 2, 0.25f)]
    [InlineData(1920, 1080, 2, 3, 0.2f)]
    [InlineData(641, 479, 3, 3, 0f)]
    public void Tiles_CoverTheFrame_OverlapAsAsked_AndMarkOnlyInnerCuts(int w, int h, int rows, int cols, float overlap)
    {
        var tiles = DetectionTiles.Layout(w, h, rows, cols, overlap);
        Assert.Equal(rows * cols, tiles.Count);
        foreach (var t in tiles)
        {
            Assert.InRange(t.X, 0, w - t.Width);
            Assert.InRange(t.Y, 0, h - t.Height);
            Assert.Equal(t.X > 0, t.CutLeft);
            Assert.Equal(t.Y > 0, t.CutTop);
            Assert.Equal(t.X + t.Width < w, t.CutRight);
            Assert.Equal(t.Y + t.Height < h, t.CutBottom);
        }
        // Every pixel lies in some tile.
        for (int y = 0; y < h; y += 7)
            for (int x = 0; x < w; x += 7)
                Assert.Contains(tiles, t => x >= t.X && x < t.X + t.Width && y >= t.Y && y < t.Y + t.Height);
        // Neighbours share about `overlap` of a tile (rounding to whole pixels aside).
        if (cols > 1)
        {
            int shared = tiles[0].X + tiles[0].Width - tiles[1].X;
            Assert.InRange(shared, overlap * tiles[0].Width - 2, overlap * tiles[0].Width + 2);
        }
    }

    [Fact]
    public void APersonAcrossATileEdge_IsOneBox()
    {
        // 2 columns over a 400-wide frame with 25 % overlap: tile 0 is x 0..228, tile 1 x 172..400.
        var tiles = DetectionTiles.Layout(400, 200, 1, 2, 0.25f);
        Assert.Equal((0, 229), (tiles[0].X, tiles[0].Width));
        var person = new BoxF(190, 40, 30, 120);          // whole in both tiles (190..220 lies in 172..229)
        var straddler = new BoxF(210, 40, 40, 120);       // 210..250: cut by tile 0's right edge (229), whole in tile 1
        var cutPiece = new BoxF(210, 40, 19, 120);        // what tile 0 sees of the straddler: touches its cut
        Assert.False(DetectionTiles.IsCut(person, tiles[0], 2));
        Assert.False(DetectionTiles.IsCut(person, tiles[1], 2));
        Assert.True(DetectionTiles.IsCut(cutPiece, tiles[0], 2));
        Assert.False(DetectionTiles.IsCut(straddler, tiles[1], 2));
        // The frame's own border is no cut: a person at the left edge of the frame stays.
        Assert.False(DetectionTiles.IsCut(new BoxF(0, 40, 30, 120), tiles[0], 2));

        // The whole frame saw `person`; both tiles saw it again, tile 1 saw the straddler whole, and tile 0 saw the
        // straddler's head and shoulders only (inside its whole box, not touching the cut): one box per person.
        var whole = new List<PersonDetection> { new(person, 0.80f) };
        var fromTiles = new List<PersonDetection>
        {
            new(person with { X = 191 }, 0.85f), new(person with { Y = 41 }, 0.70f),
            new(straddler, 0.60f), new(straddler with { Width = 41 }, 0.65f),
            new(new BoxF(186, 38, 36, 40), 0.9f),   // a part of `person` (head and shoulders), seen by a tile
        };
        var merged = DetectionTiles.Merge(whole, fromTiles, 0.5f);
        Assert.Equal(2, merged.Count);
        Assert.Equal(0.80f, merged[0].Score);   // the whole-frame box of a person it saw is never replaced
        Assert.Equal(0.65f, merged[1].Score);   // tiles add the person the whole frame missed, best view kept
    }

    [Fact]
    public void Options_ValidateSizesAndTiles()
    {
        new DetectorOptions { InputWidth = 640, InputHeight = 384, TileRows = 2, TileColumns = 3 }.Validate();
        Assert.Contains("multiple of 32", Assert.Throws<PoseTrackException>(() => new DetectorOptions { InputWidth = 500, InputHeight = 500 }.Validate()).Message);
        Assert.Contains("both", Assert.Throws<PoseTrackException>(() => new DetectorOptions { InputWidth = 512 }.Validate()).Message);
        Assert.Contains("TileRows", Assert.Throws<PoseTrackException>(() => new DetectorOptions { TileRows = 0 }.Validate()).Message);
        Assert.Contains("TileOverlap", Assert.Throws<PoseTrackException>(() => new DetectorOptions { TileOverlap = float.NaN }.Validate()).Message);
    }

    [Fact]
    public void AFixedSizeDetector_RefusesAnotherSize_InOneLine()
    {
        var e = Assert.Throws<PoseTrackException>(() => PoseEstimator.Create(new PoseEstimatorOptions
        {
            ModelsDirectory = TestData.ModelsDir, Detector = "yolox-nano", Detection = new DetectorOptions { InputWidth = 640, InputHeight = 640 },
        }));
        Assert.Equal("detector yolox-nano takes only 416×416 input (its graph has a fixed size), not 640×640", e.Message);
    }

    [Theory]
    [InlineData(416, 1, 1)]
    [InlineData(512, 1, 1)]
    [InlineData(0, 2, 2)]
    [InlineData(416, 2, 2)]
    public void LargerInputsAndTiles_StillFindEveryAnnotatedPerson(int size, int rows, int cols)
    {
        // The COCO photos' 12 annotated people are all found at the default size (CocoImagesIntegrationTests); a larger
        // input or tiles must not lose any of them (boxes merged across tiles must still cover whole people).
        var persons = MoveNetCoco.LoadPersons();
        using var estimator = PoseEstimator.Create(new PoseEstimatorOptions
        {
            ModelsDirectory = TestData.ModelsDir, Detector = "rtmdet-nano",
            Detection = new DetectorOptions { InputWidth = size, InputHeight = size, TileRows = rows, TileColumns = cols },
        });
        var detector = estimator.Detector;
        foreach (var group in persons.GroupBy(p => p.ImagePath))
        {
            using var img = Cv2.ImRead(group.Key);
            var found = detector.Detect(img);
            foreach (var gt in group)
            {
                float iou = found.Count == 0 ? 0 : found.Max(d => BoxF.IoU(d.Box, gt.Box));
                output.WriteLine($"{Path.GetFileName(gt.ImagePath)} {gt.Box}: best IoU {iou:F3} of {found.Count} boxes");
                Assert.True(iou >= 0.5f, $"size {size} tiles {rows}x{cols}: person at {gt.Box} in {Path.GetFileName(gt.ImagePath)} best IoU {iou:F3}");
            }
            // One person, one box: no two kept boxes overlap more than the merge IoU.
            for (int i = 0; i < found.Count; i++)
                for (int j = i + 1; j < found.Count; j++)
                    if (rows * cols > 1) Assert.True(BoxF.IoU(found[i].Box, found[j].Box) <= 0.5f);
        }
    }
}
