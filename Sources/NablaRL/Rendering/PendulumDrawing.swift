import Foundation
import NablaViz

extension Pendulum: Drawable {
    /// Gymnasium's picture: a red rod from the centre at angle θ (0 = upright), a dark axle.
    public func frame(of state: [Double]) -> Canvas {
        let size = 250.0
        let geometry = FrameGeometry(width: size, height: size)
        var canvas = Canvas(width: Int(size), height: Int(size))
        let scale = size / 4.4, rodLength = scale, rodWidth = 0.2 * scale, centre = (size / 2, size / 2)
        let rod = geometry.rotated([(0, rodWidth / 2), (rodLength, rodWidth / 2), (rodLength, -rodWidth / 2), (0, -rodWidth / 2)],
                                   by: state[0] + Double.pi / 2, around: centre)
        canvas.fillPolygon(rod, color: Color(red: 204, green: 77, blue: 77))
        canvas.fillCircle(center: geometry.point(centre.0, centre.1), radius: rodWidth / 2, color: Color(red: 204, green: 77, blue: 77))
        let tip = geometry.rotated([(rodLength, 0)], by: state[0] + Double.pi / 2, around: centre)[0]
        canvas.fillCircle(center: tip, radius: rodWidth / 2, color: Color(red: 204, green: 77, blue: 77))
        canvas.fillCircle(center: geometry.point(centre.0, centre.1), radius: 0.05 * scale, color: .black)
        return canvas
    }
}
