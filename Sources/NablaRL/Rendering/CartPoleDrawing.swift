import Foundation
import NablaViz

extension CartPole: Drawable {
    /// Gymnasium's picture: a black cart on a track, a brown pole, a blue axle.
    public func frame(of state: [Double]) -> Canvas {
        let geometry = FrameGeometry(width: 300, height: 200)
        var canvas = Canvas(width: 300, height: 200)
        let scale = geometry.width / (Self.xThreshold * 2)
        let poleLength = scale * (2 * Self.halfLength), cartWidth = 25.0, cartHeight = 15.0, poleWidth = 5.0
        let cartX = state[0] * scale + geometry.width / 2, cartY = 50.0
        canvas.strokeLine(from: geometry.point(0, cartY), to: geometry.point(geometry.width, cartY), color: .black)
        canvas.fillPolygon([geometry.point(cartX - cartWidth / 2, cartY - cartHeight / 2), geometry.point(cartX + cartWidth / 2, cartY - cartHeight / 2),
                            geometry.point(cartX + cartWidth / 2, cartY + cartHeight / 2), geometry.point(cartX - cartWidth / 2, cartY + cartHeight / 2)],
                           color: .black)
        let axleY = cartY + cartHeight / 4
        let pole = geometry.rotated([(-poleWidth / 2, -poleWidth / 2), (poleWidth / 2, -poleWidth / 2), (poleWidth / 2, poleLength - poleWidth / 2), (-poleWidth / 2, poleLength - poleWidth / 2)],
                                    by: -state[2], around: (cartX, axleY))
        canvas.fillPolygon(pole, color: Color(red: 202, green: 152, blue: 101))
        canvas.fillCircle(center: geometry.point(cartX, axleY), radius: poleWidth / 2, color: Color(red: 129, green: 132, blue: 203))
        return canvas
    }
}
