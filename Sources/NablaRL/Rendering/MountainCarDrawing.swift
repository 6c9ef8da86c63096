import Foundation
import NablaViz

/// The mountain cars' shared picture: the hill y = 0.45·sin 3x + 0.55, a car tilted along it, the flag.
enum MountainCarPicture {
    static func frame(position: Double, goal: Double) -> Canvas {
        let geometry = FrameGeometry(width: 300, height: 200)
        var canvas = Canvas(width: 300, height: 200)
        let minimum = -1.2, maximum = 0.6, scale = geometry.width / (maximum - minimum)
        func height(_ x: Double) -> Double { 0.45 * sin(3 * x) + 0.55 }
        let hill = (0...100).map { step -> Point in
            let x = minimum + (maximum - minimum) * Double(step) / 100
            return geometry.point((x - minimum) * scale, height(x) * scale)
        }
        canvas.strokePolyline(hill, color: .black, thickness: 1)
        let carWidth = 20.0, carHeight = 10.0, clearance = 5.0
        let angle = cos(3 * position)
        let base = ((position - minimum) * scale, clearance + height(position) * scale)
        canvas.fillPolygon(geometry.rotated([(-carWidth / 2, 0), (-carWidth / 2, carHeight), (carWidth / 2, carHeight), (carWidth / 2, 0)], by: angle, around: base), color: .black)
        for wheel in [carWidth / 4, -carWidth / 4] {
            let centre = geometry.rotated([(wheel, 0)], by: angle, around: base)[0]
            canvas.fillCircle(center: centre, radius: carHeight / 2.5, color: Color(red: 128, green: 128, blue: 128))
        }
        let flagX = (goal - minimum) * scale, flagBottom = height(goal) * scale, flagTop = flagBottom + 25
        canvas.strokeLine(from: geometry.point(flagX, flagBottom), to: geometry.point(flagX, flagTop), color: .black)
        canvas.fillPolygon([geometry.point(flagX, flagTop), geometry.point(flagX, flagTop - 6), geometry.point(flagX + 13, flagTop - 3)], color: Color(red: 204, green: 204, blue: 0))
        return canvas
    }
}

extension MountainCar: Drawable {
    public func frame(of state: [Double]) -> Canvas { MountainCarPicture.frame(position: state[0], goal: Self.goalPosition) }
}

extension ContinuousMountainCar: Drawable {
    public func frame(of state: [Double]) -> Canvas { MountainCarPicture.frame(position: state[0], goal: Double(Self.goalPosition)) }
}
