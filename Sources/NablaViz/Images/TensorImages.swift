import Nabla

extension Canvas {
    /// An image from a tensor of shape C×H×W (C = 1 for grey, 3 for RGB) or H×W.
    ///
    /// Values map linearly from `valueRange` to 0…255 and are clamped, so data normalised with a mean and
    /// standard deviation can be shown by passing its range (say −1…1); NaN shows as black.
    ///
    /// ```swift
    /// let digit = Canvas(tensor: batch[0], valueRange: 0...1).upscaled(by: 4)
    /// ```
    public init(tensor: Tensor, valueRange: ClosedRange<Float> = 0...1) {
        let shape = tensor.shape
        precondition(shape.count == 2 || (shape.count == 3 && (shape[0] == 1 || shape[0] == 3)),
                     "Canvas(tensor:): shape \(shape) is not C×H×W with C = 1 or 3, nor H×W")
        let full = shape.count == 2 ? [1, 1] + shape : [1] + shape
        self = Canvas.images(values: tensor.scalars, shape: full, valueRange: valueRange)[0]
    }

    /// One image per item of a batch tensor of shape N×C×H×W (C = 1 or 3); see `init(tensor:valueRange:)`.
    public static func images(fromBatch batch: Tensor, valueRange: ClosedRange<Float> = 0...1) -> [Canvas] {
        let shape = batch.shape
        precondition(shape.count == 4 && (shape[1] == 1 || shape[1] == 3),
                     "Canvas.images(fromBatch:): shape \(shape) is not N×C×H×W with C = 1 or 3")
        return images(values: batch.scalars, shape: shape, valueRange: valueRange)
    }

    /// The work behind both: `values` row-major in `shape` = [N, C, H, W].
    static func images(values: [Float], shape: [Int], valueRange: ClosedRange<Float>) -> [Canvas] {
        let (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let plane = height * width
        let low = valueRange.lowerBound
        let span = valueRange.upperBound - valueRange.lowerBound
        func byte(_ value: Float) -> UInt8 {
            guard !value.isNaN else { return 0 }
            let scaled = span > 0 ? (value - low) / span : 0.5
            return UInt8(max(0, min(255, (scaled * 255).rounded())))
        }
        return (0..<count).map { item in
            var image = Canvas(width: width, height: height)
            let base = item * channels * plane
            for index in 0..<plane {
                let red = byte(values[base + index])
                let green = channels == 3 ? byte(values[base + plane + index]) : red
                let blue = channels == 3 ? byte(values[base + 2 * plane + index]) : red
                image.pixels[index * 4] = red
                image.pixels[index * 4 + 1] = green
                image.pixels[index * 4 + 2] = blue
            }
            return image
        }
    }
}
