import CBox2DShim

/// A Box2D world (Box2D 2.4 through CBox2DShim) owned by Swift: destroyed with the last reference.
final class Box2DWorld {
    private let handle: OpaquePointer

    init(gravity: (Double, Double)) {
        handle = nabla_box2d_world_create(gravity.0, gravity.1)
    }

    deinit { nabla_box2d_world_destroy(handle) }

    /// Box2D's version, e.g. "2.4.1".
    static var version: String {
        let code = Int(nabla_box2d_version())
        return "\(code / 10000).\(code / 100 % 100).\(code % 100)"
    }

    struct Material {
        var density = 0.0, friction = 0.2, restitution = 0.0
        var category: UInt16 = 0x0001, mask: UInt16 = 0xFFFF

        var c: NablaBox2DMaterial {
            NablaBox2DMaterial(density: density, friction: friction, restitution: restitution, categoryBits: category, maskBits: mask)
        }
    }

    func makeBody(dynamic: Bool, at position: (Double, Double), angle: Double = 0) -> Int32 {
        nabla_box2d_body_create(handle, dynamic ? 1 : 0, position.0, position.1, angle)
    }

    func addPolygon(_ body: Int32, vertices: [(Double, Double)], _ material: Material) {
        let flat = vertices.flatMap { [$0.0, $0.1] }
        flat.withUnsafeBufferPointer { nabla_box2d_add_polygon(handle, body, $0.baseAddress, Int32(vertices.count), material.c) }
    }

    func addBox(_ body: Int32, halfWidth: Double, halfHeight: Double, _ material: Material) {
        nabla_box2d_add_box(handle, body, halfWidth, halfHeight, material.c)
    }

    func addEdge(_ body: Int32, from start: (Double, Double), to end: (Double, Double), _ material: Material) {
        nabla_box2d_add_edge(handle, body, start.0, start.1, end.0, end.1, material.c)
    }

    /// A revolute joint with a motor and limits, anchored at `anchorA` on `bodyA` and `anchorB` on `bodyB`.
    func addRevoluteJoint(_ bodyA: Int32, _ bodyB: Int32, anchorA: (Double, Double), anchorB: (Double, Double),
                          motorTorque: Double, motorSpeed: Double, limits: (Double, Double)) {
        nabla_box2d_add_revolute_joint(handle, bodyA, bodyB, anchorA.0, anchorA.1, anchorB.0, anchorB.1,
                                       1, motorTorque, motorSpeed, 1, limits.0, limits.1)
    }

    func applyForceToCenter(_ body: Int32, _ force: (Double, Double)) {
        nabla_box2d_apply_force_to_center(handle, body, force.0, force.1)
    }

    func applyImpulse(_ body: Int32, _ impulse: (Double, Double), at point: (Double, Double)) {
        nabla_box2d_apply_linear_impulse(handle, body, impulse.0, impulse.1, point.0, point.1)
    }

    func step(_ timeStep: Double, velocityIterations: Int32, positionIterations: Int32) {
        nabla_box2d_step(handle, timeStep, velocityIterations, positionIterations)
    }

    func state(of body: Int32) -> NablaBox2DBodyState { nabla_box2d_body_state(handle, body) }
}
