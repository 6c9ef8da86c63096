import Foundation
import Nabla
@testable import NablaData
import Testing

@Suite struct JPEGTests {
    /// A smooth grey ramp survives quality 95 within a few grey levels, and keeps its shape and channel count.
    @Test func greyRoundTripIsCloseAtHighQuality() throws {
        let ramp = Tensor((0..<(32 * 24)).map { Float(($0 % 32) + ($0 / 32)) / 56 }, shape: [1, 24, 32])
        let back = try JPEG.roundTrip(ramp, quality: 95)
        #expect(back.shape == [1, 24, 32])
        let largest = zip(ramp.scalars, back.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(largest < 0.03, "largest difference \(largest)")
        // Lower quality loses more: the defence's knob does something.
        let coarse = try JPEG.roundTrip(Tensor((0..<(32 * 24)).map { Float(($0 * 7919) % 256) / 255 }, shape: [1, 24, 32]), quality: 10)
        #expect(coarse.shape == [1, 24, 32])
    }

    /// Colour images come back as three channels; a file written atomically reads back the same.
    @Test func colourFileWriteAndRead() throws {
        let folder = TemporaryFolder()
        let image = Tensor((0..<(3 * 16 * 16)).map { index -> Float in
            let channel = index / 256
            return channel == 0 ? 0.9 : channel == 1 ? 0.2 : 0.5
        }, shape: [3, 16, 16])
        try JPEG.write(image, to: folder.file("flat.jpg"), quality: 90)
        let read = try JPEG.read(folder.file("flat.jpg"))
        #expect(read.shape == [3, 16, 16])
        let largest = zip(image.scalars, read.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(largest < 0.02, "largest difference \(largest)")
        let bytes = try FileReading.bytes(at: folder.file("flat.jpg"))
        #expect(bytes.prefix(2) == [0xFF, 0xD8])
    }

    /// Not a JPEG, a cut-off JPEG and a bad quality: errors that name the problem.
    @Test func badInputIsAClearError() throws {
        #expect { try JPEG.decode(Array("not a picture".utf8), name: "notes.txt") } throws: { error in
            let description = "\(error)"
            return description.contains("notes.txt") && description.contains("not a JPEG")
        }
        let image = Tensor.zeros([1, 8, 8]) + 0.5
        #expect { try JPEG.roundTrip(image, quality: 0) } throws: { "\($0)".contains("quality 0") }
        let encoded = try JPEG.encode(JPEG.pixels(Tensor((0..<256).map { Float($0) / 255 }, shape: [1, 16, 16])), quality: 80)
        #expect(throws: DataError.self) { try JPEG.decode(Array(encoded.prefix(encoded.count / 2)), name: "cut.jpg") }
        #expect(throws: DataError.self) { try JPEG.read("/nonexistent/picture.jpg") }
    }
}
