import Nabla
import NablaViz

/// Attributions drawn as heat maps over the images they explain.
public enum AttributionPictures {
    /// One canvas per image: the attribution magnitude (summed over channels, scaled to the image's own
    /// largest value) in `colormap`, blended over the grey image so the shape stays visible.
    public static func heatMaps(images: Tensor, attributions: Tensor, colormap: Colormap = .inferno, opacity: Double = 0.7) -> [Canvas] {
        precondition(images.rank == 4 && attributions.shape == images.shape,
                     "AttributionPictures.heatMaps: attributions \(attributions.shape) differ from images \(images.shape)")
        let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let magnitude = attributions.abs().sum(axis: 1).contiguous().scalars
        let grey = images.mean(axis: 1).contiguous().scalars
        let plane = height * width
        return (0..<count).map { n in
            var canvas = Canvas(width: width, height: height)
            let largest = max(magnitude[n * plane..<(n + 1) * plane].max() ?? 0, 1e-12)
            for p in 0..<plane {
                let heat = colormap.color(at: Double(magnitude[n * plane + p] / largest))
                let base = Double(grey[n * plane + p]) * 255
                func blend(_ value: UInt8) -> UInt8 { UInt8(max(0, min(255, (opacity * Double(value) + (1 - opacity) * base).rounded()))) }
                canvas.pixels[4 * p] = blend(heat.red)
                canvas.pixels[4 * p + 1] = blend(heat.green)
                canvas.pixels[4 * p + 2] = blend(heat.blue)
                canvas.pixels[4 * p + 3] = 255
            }
            _ = channels
            return canvas
        }
    }
}
