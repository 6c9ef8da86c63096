import CTurboJPEG
import Foundation
import Nabla

/// JPEG images through libjpeg-turbo's TurboJPEG API: bytes ↔ 8-bit pixels, and files ↔ tensors with
/// pixels in [0, 1] (C×H×W, one channel for grey, three for colour).
///
/// ```swift
/// let image = try JPEG.read("shirt.jpg")              // 1×28×28 or 3×H×W, values in [0, 1]
/// try JPEG.write(image, to: "shirt-q75.jpg", quality: 75)
/// let squeezed = try JPEG.roundTrip(image, quality: 50) // what a JPEG defence feeds the classifier
/// ```
public enum JPEG {
    /// 8-bit pixels, row by row, channels interleaved (grey: one byte per pixel; colour: R, G, B).
    public struct Pixels: Equatable, Sendable {
        public var width: Int
        public var height: Int
        /// 1 (grey) or 3 (RGB).
        public var channels: Int
        public var bytes: [UInt8]

        public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
            precondition(width > 0 && height > 0 && (channels == 1 || channels == 3) && bytes.count == width * height * channels,
                         "JPEG.Pixels: \(bytes.count) bytes for \(width)×\(height) with \(channels) channels (1 or 3)")
            self.width = width
            self.height = height
            self.channels = channels
            self.bytes = bytes
        }
    }

    /// Compresses `pixels` at `quality` (1–100; grey stays grey, colour keeps full chroma resolution).
    public static func encode(_ pixels: Pixels, quality: Int) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw DataError(.invalidRequest, "JPEG quality \(quality) is out of range; give a value in 1...100")
        }
        guard let handle = tjInitCompress() else { throw DataError(.writeFailed, "JPEG: libjpeg-turbo could not start a compressor") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let format = pixels.channels == 1 ? TJPF_GRAY : TJPF_RGB
        let subsampling = pixels.channels == 1 ? TJSAMP_GRAY : TJSAMP_444
        let status = pixels.bytes.withUnsafeBufferPointer { source in
            tjCompress2(handle, source.baseAddress, Int32(pixels.width), 0, Int32(pixels.height), Int32(format.rawValue),
                        &output, &size, Int32(subsampling.rawValue), Int32(quality), 0)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw DataError(.writeFailed, "JPEG: compression failed: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Decompresses JPEG bytes into grey (for a grey JPEG) or RGB pixels. `name` is what errors call the data.
    public static func decode(_ data: [UInt8], name: String? = nil) throws -> Pixels {
        guard let handle = tjInitDecompress() else { throw DataError(.unreadable, file: name, "JPEG: libjpeg-turbo could not start a decompressor") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = data.withUnsafeBufferPointer { source in
            tjDecompressHeader3(handle, source.baseAddress, UInt(source.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0, width > 0, height > 0 else {
            throw DataError(.invalidFormat, file: name, "not a JPEG image (\(String(cString: tjGetErrorStr2(handle)))); give a .jpg file")
        }
        let channels = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
        var bytes = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
        let status = data.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress, width, 0, height, Int32(format.rawValue), 0)
            }
        }
        // A warning (a truncated file libjpeg-turbo could still fill) is an error here: a data reader must not guess.
        guard status == 0 else {
            throw DataError(.corrupt, file: name, "JPEG data could not be decoded: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Pixels(width: Int(width), height: Int(height), channels: channels, bytes: bytes)
    }

    /// A JPEG file as a C×H×W tensor with values in [0, 1].
    public static func read(_ path: String) throws -> Tensor {
        tensor(try decode(try FileReading.bytes(at: path), name: path))
    }

    /// Writes a C×H×W tensor (C = 1 or 3, values clipped to [0, 1]) as a JPEG file, atomically.
    public static func write(_ image: Tensor, to path: String, quality: Int = 90) throws {
        try writeFileAtomically(try encode(pixels(image), quality: quality), to: path)
    }

    /// The image after compression at `quality` and decompression, the same shape, values in [0, 1].
    public static func roundTrip(_ image: Tensor, quality: Int) throws -> Tensor {
        tensor(try decode(try encode(pixels(image), quality: quality)))
    }

    /// A C×H×W tensor in [0, 1] as 8-bit pixels, rounded to the nearest level.
    public static func pixels(_ image: Tensor) -> Pixels {
        precondition(image.rank == 3 && (image.shape[0] == 1 || image.shape[0] == 3),
                     "JPEG.pixels: image must be C×H×W with 1 or 3 channels, got \(image.shape)")
        let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
        let values = image.contiguous().scalars
        var bytes = [UInt8](repeating: 0, count: values.count)
        let plane = height * width
        for c in 0..<channels {
            for p in 0..<plane {
                let value = values[c * plane + p]
                bytes[p * channels + c] = UInt8((min(max(value.isNaN ? 0 : value, 0), 1) * 255).rounded())
            }
        }
        return Pixels(width: width, height: height, channels: channels, bytes: bytes)
    }

    /// 8-bit pixels as a C×H×W tensor in [0, 1].
    public static func tensor(_ pixels: Pixels) -> Tensor {
        let (channels, plane) = (pixels.channels, pixels.width * pixels.height)
        var values = [Float](repeating: 0, count: pixels.bytes.count)
        for p in 0..<plane {
            for c in 0..<channels { values[c * plane + p] = Float(pixels.bytes[p * channels + c]) / 255 }
        }
        return Tensor(values, shape: [channels, pixels.height, pixels.width])
    }
}
