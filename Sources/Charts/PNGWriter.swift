import CPNG
import Foundation

/// Encodes rasters as PNG with libpng's simplified write API. A raster of at most 256 colours (every chart
/// but a heatmap) is written as an indexed-colour PNG: a third of the data to deflate and a smaller file.
public enum PNGWriter {
    public struct EncodingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The PNG file bytes of `raster`.
    public static func encode(_ raster: Raster) throws -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(raster.width)
        image.height = UInt32(raster.height)
        if let (palette, indices) = indexed(raster) {
            // libpng's fast mode, zlib level 3 (palette rows go unfiltered in either mode): a 4096-feature site,
            // whose every page inlines two charts, built in 0.95x the CPU time for 1.0% more feature-page bytes
            // (11% more for the cluster heatmaps). Not for RGB heatmaps, whose rows the default mode's filters shrink.
            image.flags = UInt32(PNG_IMAGE_FLAG_FAST)
            image.format = UInt32(PNG_FORMAT_RGB) | UInt32(PNG_FORMAT_FLAG_COLORMAP)
            image.colormap_entries = UInt32(palette.count / 3)
            return try palette.withUnsafeBytes { colormap in
                try indices.withUnsafeBytes { try write(&image, pixels: $0.baseAddress!, colormap: colormap.baseAddress) }
            }
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        return try raster.pixels.withUnsafeBytes { try write(&image, pixels: $0.baseAddress!, colormap: nil) }
    }

    private static func write(_ image: inout png_image, pixels: UnsafeRawPointer, colormap: UnsafeRawPointer?) throws -> Data {
        defer { png_image_free(&image) }
        // One pass into a buffer that deflate's output cannot outgrow (the raw rows plus deflate's and PNG's
        // overhead); asking libpng for the size first would compress the image twice.
        let channels = image.format & UInt32(PNG_FORMAT_FLAG_COLORMAP) != 0 ? 1 : 3
        let raw = Int(image.height) * (Int(image.width) * channels + 1)
        var bound = raw + raw / 1000 + 4096 + 3 * 256
        var buffer = Data(count: bound)
        let done = buffer.withUnsafeMutableBytes { out in
            png_image_write_to_memory(&image, out.baseAddress, &bound, 0, pixels, 0, colormap)
        }
        if done != 0 { return buffer.prefix(bound) }
        png_image_free(&image)
        image.warning_or_error = 0
        var size = 0
        guard png_image_write_to_memory(&image, nil, &size, 0, pixels, 0, colormap) != 0 else {
            throw EncodingError(description: "libpng: " + message(image))
        }
        var data = Data(count: size)
        let ok = data.withUnsafeMutableBytes { out in
            png_image_write_to_memory(&image, out.baseAddress, &size, 0, pixels, 0, colormap)
        }
        guard ok != 0 else { throw EncodingError(description: "libpng: " + message(image)) }
        return data.prefix(size)
    }

    /// The raster as a palette (RGB triples) and one palette index per pixel, or nil above 256 colours.
    static func indexed(_ raster: Raster) -> (palette: [UInt8], indices: [UInt8])? {
        var indices = [UInt8](repeating: 0, count: raster.width * raster.height)
        let palette = raster.pixels.withUnsafeBufferPointer { pixels in
            indices.withUnsafeMutableBufferPointer { index(pixels, into: $0) }
        }
        return palette.map { ($0, indices) }
    }

    /// `indexed`'s loop, with its state in locals rather than captured by closures (which kept them in memory): a
    /// chart is runs of one colour, so the loop is mostly the comparison with the last pixel.
    private static func index(_ pixels: UnsafeBufferPointer<UInt8>, into indices: UnsafeMutableBufferPointer<UInt8>) -> [UInt8]? {
        var palette: [UInt8] = []
        var lookup: [UInt32: UInt8] = [:]
        var last: UInt32 = .max, lastIndex: UInt8 = 0
        for i in 0..<indices.count {
            let r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2]
            let key = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
            if key != last {
                if let index = lookup[key] {
                    lastIndex = index
                } else {
                    guard lookup.count < 256 else { return nil }
                    lastIndex = UInt8(lookup.count)
                    lookup[key] = lastIndex
                    palette += [r, g, b]
                }
                last = key
            }
            indices[i] = lastIndex
        }
        return palette
    }

    private static func message(_ image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
