import CPNG
@testable import Charts
import Foundation
import Testing

/// Decodes PNG bytes back to RGB with libpng's reader, an implementation independent of our writer's path.
private func decodePNG(_ data: Data) -> (width: Int, height: Int, pixels: [UInt8])? {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    let ok = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, data.count) }
    guard ok != 0 else { return nil }
    image.format = UInt32(PNG_FORMAT_RGB)
    var pixels = [UInt8](repeating: 0, count: Int(image.width * image.height) * 3)
    let done = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
    guard done != 0 else { return nil }
    return (Int(image.width), Int(image.height), pixels)
}

@Suite struct ChartTests {
    @Test func pngRoundTripsThroughLibpngReader() throws {
        var raster = Raster(width: 7, height: 5)
        raster.fill(x: 2, y: 1, width: 3, height: 2, RGB(10, 200, 30))
        raster.fill(x: -5, y: 4, width: 100, height: 100, RGB(1, 2, 3))  // clipped
        let png = try PNGWriter.encode(raster)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let decoded = try #require(decodePNG(png))
        #expect(decoded.width == 7 && decoded.height == 5)
        #expect(decoded.pixels == raster.pixels)
        #expect(raster.pixel(x: 3, y: 2) == RGB(10, 200, 30))
        #expect(raster.pixel(x: 6, y: 4) == RGB(1, 2, 3))
        #expect(raster.pixel(x: 0, y: 0) == .white)
    }

    @Test func manyColourRastersRoundTripAsRGB() throws {
        var raster = Raster(width: 20, height: 20)
        for y in 0..<20 { for x in 0..<20 { raster.fill(x: x, y: y, width: 1, height: 1, RGB(UInt8(x * 12), UInt8(y * 12), 7)) } }
        #expect(PNGWriter.indexed(raster) == nil)
        let decoded = try #require(decodePNG(try PNGWriter.encode(raster)))
        #expect(decoded.pixels == raster.pixels)
    }

    @Test func histogramBarsAreProportionalToCounts() {
        let chart = HistogramChart(width: 40, height: 21)
        let raster = chart.draw(HistogramBins(edges: [0, 1, 2, 3, 4], counts: [10, 5, 0, 20]))
        func barHeight(column: Int) -> Int {
            (0..<raster.height - 1).filter { raster.pixel(x: column, y: $0) == RGB.bar }.count
        }
        #expect(barHeight(column: 35) == 19)  // the tallest bar fills height - 2
        #expect(barHeight(column: 5) == 10)  // half of it (9.5 rounds to 10)
        #expect(barHeight(column: 15) == 5)
        #expect(barHeight(column: 25) == 0)
    }

    @Test func colormapsHitTheirEndsAndMiddle() {
        #expect(Colormap.diverging.color(at: 0.5) == RGB(247, 247, 247))
        #expect(Colormap.diverging.color(at: 0) == RGB(5, 48, 97))
        #expect(Colormap.diverging.color(at: 7) == RGB(103, 0, 31))
        #expect(Colormap.sequential.color(at: 0) == .white)
        #expect(Colormap.sequential.color(at: .nan) == RGB(190, 190, 190))
    }

    @Test func heatmapCellsTakeTheirValuesColour() {
        let chart = HeatmapChart(colormap: .diverging, range: -1...1, maxSide: 40)
        let raster = chart.draw([1, -1, 0, 1], n: 2)
        #expect(raster.width == 40)
        #expect(raster.pixel(x: 5, y: 5) == Colormap.diverging.color(at: 1))
        #expect(raster.pixel(x: 25, y: 5) == Colormap.diverging.color(at: 0))
        #expect(raster.pixel(x: 5, y: 25) == Colormap.diverging.color(at: 0.5))
        // Larger than maxSide: sampled down to maxSide.
        let big = HeatmapChart(colormap: .sequential, range: 0...1, maxSide: 16).draw([Float](repeating: 1, count: 100 * 100), n: 100)
        #expect(big.width == 16 && big.pixel(x: 15, y: 15) == Colormap.sequential.color(at: 1))
    }
}
