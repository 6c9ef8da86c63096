import Nabla

/// `image` with a saliency map laid over it: the map (rows of any size, e.g. a 7×7 Grad-CAM or a
/// per-pixel gradient) is stretched to the image with bilinear interpolation, normalised to its own
/// minimum…maximum, coloured with `colormap` and alpha-blended at `opacity`.
///
/// ```swift
/// let explained = saliencyOverlay(gradientMagnitudes, on: Canvas(tensor: input).upscaled(by: 8))
/// ```
public func saliencyOverlay(_ saliency: [[Double]], on image: Canvas, colormap: Colormap = .inferno, opacity: Double = 0.5) -> Canvas {
    let rows = saliency.count, columns = saliency.first?.count ?? 0
    precondition(saliency.allSatisfy { $0.count == columns }, "saliencyOverlay: rows have different lengths")
    guard rows > 0, columns > 0, image.width > 0, image.height > 0 else { return image }
    let finite = saliency.joined().filter(\.isFinite)
    let low = finite.min() ?? 0, high = finite.max() ?? 1
    let span = high > low ? high - low : 1
    // Value at a fractional cell position; cell centres sit at integer + 0.5.
    func sample(_ x: Double, _ y: Double) -> Double {
        let cx = max(0, min(Double(columns - 1), x - 0.5)), cy = max(0, min(Double(rows - 1), y - 0.5))
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(columns - 1, x0 + 1), y1 = min(rows - 1, y0 + 1)
        let fx = cx - Double(x0), fy = cy - Double(y0)
        func value(_ row: Int, _ column: Int) -> Double { saliency[row][column].isFinite ? saliency[row][column] : low }
        let top = value(y0, x0) * (1 - fx) + value(y0, x1) * fx
        let bottom = value(y1, x0) * (1 - fx) + value(y1, x1) * fx
        return top * (1 - fy) + bottom * fy
    }
    var result = image
    for y in 0..<image.height {
        for x in 0..<image.width {
            let value = sample((Double(x) + 0.5) * Double(columns) / Double(image.width),
                               (Double(y) + 0.5) * Double(rows) / Double(image.height))
            result.blend(colormap.color(at: (value - low) / span), x: x, y: y, coverage: opacity)
        }
    }
    return result
}

/// The same for an H×W saliency tensor.
public func saliencyOverlay(_ saliency: Tensor, on image: Canvas, colormap: Colormap = .inferno, opacity: Double = 0.5) -> Canvas {
    precondition(saliency.rank == 2, "saliencyOverlay: saliency of shape \(saliency.shape) is not H×W")
    let values = saliency.scalars.map(Double.init)
    let columns = saliency.shape[1]
    let rows = (0..<saliency.shape[0]).map { Array(values[($0 * columns)..<(($0 + 1) * columns)]) }
    return saliencyOverlay(rows, on: image, colormap: colormap, opacity: opacity)
}
