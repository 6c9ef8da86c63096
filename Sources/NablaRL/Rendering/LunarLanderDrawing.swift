import Foundation
import NablaViz

extension LunarLander: Drawable {
    /// Gymnasium's picture: black sky above a white moon, the purple lander and legs, and the helipad's
    /// two flags. `state` is `frameState`: 11 terrain heights, then x, y, angle of the lander and each leg.
    public func frame(of state: [Double]) -> Canvas {
        let geometry = FrameGeometry(width: 300, height: 200)
        var canvas = Canvas(width: 300, height: 200)
        guard state.count == Self.chunks + 9 else { return canvas }
        let pixels = Self.scale / 2
        let chunkX = (0..<Self.chunks).map { Self.width / Double(Self.chunks - 1) * Double($0) }
        for index in 0..<(Self.chunks - 1) {
            let (x1, x2, y1, y2) = (chunkX[index] * pixels, chunkX[index + 1] * pixels, state[index] * pixels, state[index + 1] * pixels)
            canvas.fillPolygon([geometry.point(x1, y1), geometry.point(x2, y2), geometry.point(x2, geometry.height), geometry.point(x1, geometry.height)],
                               color: .black)
        }
        let fill = Color(red: 128, green: 102, blue: 230), outline = Color(red: 77, green: 77, blue: 128)
        let lander = Self.landerPolygon.map { ($0.0 / 2, $0.1 / 2) }
        let legBox = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map { ($0.0 * Self.legWidth / 2, $0.1 * Self.legHeight / 2) }
        for (body, corners) in [(0, lander), (1, legBox), (2, legBox)] {
            let pose = Array(state[(Self.chunks + 3 * body)..<(Self.chunks + 3 * body + 3)])
            let polygon = geometry.rotated(corners, by: pose[2], around: (pose[0] * pixels, pose[1] * pixels))
            canvas.fillPolygon(polygon, color: fill)
            for (start, end) in zip(polygon, polygon.dropFirst() + [polygon[0]]) { canvas.strokeLine(from: start, to: end, color: outline) }
        }
        let flagBottom = Self.helipadY * pixels, flagTop = flagBottom + 25
        for x in [chunkX[Self.chunks / 2 - 1] * pixels, chunkX[Self.chunks / 2 + 1] * pixels] {
            canvas.strokeLine(from: geometry.point(x, flagBottom), to: geometry.point(x, flagTop), color: .white)
            canvas.fillPolygon([geometry.point(x, flagTop), geometry.point(x, flagTop - 5), geometry.point(x + 12.5, flagTop - 2.5)],
                               color: Color(red: 204, green: 204, blue: 0))
        }
        return canvas
    }
}
