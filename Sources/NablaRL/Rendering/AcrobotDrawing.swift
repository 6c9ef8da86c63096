import Foundation
import NablaViz

extension Acrobot: Drawable {
    /// Gymnasium's picture: two dark-cyan links from a fixed pivot, yellow joints, the goal line at one link length.
    public func frame(of state: [Double]) -> Canvas {
        let size = 250.0
        let geometry = FrameGeometry(width: size, height: size)
        var canvas = Canvas(width: Int(size), height: Int(size))
        let scale = size / (2 * 2.2), offset = size / 2
        canvas.strokeLine(from: geometry.point(-2.2 * scale + offset, scale + offset), to: geometry.point(2.2 * scale + offset, scale + offset), color: .black)
        // The first link hangs from the pivot at angle θ1 from straight down.
        let elbow = (sin(state[0]) * scale + offset, -cos(state[0]) * scale + offset)
        let pivots = [(offset, offset), elbow]
        let angles = [state[0] - Double.pi / 2, state[0] + state[1] - Double.pi / 2]
        for (pivot, angle) in zip(pivots, angles) {
            let link = geometry.rotated([(0, 5), (scale, 5), (scale, -5), (0, -5)], by: angle, around: pivot)
            canvas.fillPolygon(link, color: Color(red: 0, green: 204, blue: 204))
            canvas.fillCircle(center: geometry.point(pivot.0, pivot.1), radius: 5, color: Color(red: 204, green: 204, blue: 0))
        }
        return canvas
    }
}
