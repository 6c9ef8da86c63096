// A small C interface to Box2D 2.4 (Debian's libbox2d-dev, a C++ library), enough for Gymnasium's Box2D
// environments: a world, bodies with polygon, box and edge fixtures, revolute joints, forces and impulses,
// stepping, and each body's pose, velocity, sleep state and ground contacts.
#ifndef CBOX2DSHIM_H
#define CBOX2DSHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A world with its bodies; bodies are numbered 0, 1, ... in the order they were made.
typedef struct NablaBox2DWorld NablaBox2DWorld;

/// What a fixture is made of and what it collides with (Box2D's b2FixtureDef fields).
typedef struct {
    double density, friction, restitution;
    uint16_t categoryBits, maskBits;
} NablaBox2DMaterial;

/// One body's state after a step; `touched` stays 1 once any contact began on the body, `inContact` is
/// 1 between a contact's beginning and its end (Gymnasium's ContactDetector rules).
typedef struct {
    double x, y, angle, velocityX, velocityY, angularVelocity;
    int32_t awake, touched, inContact;
} NablaBox2DBodyState;

NablaBox2DWorld *nabla_box2d_world_create(double gravityX, double gravityY);
void nabla_box2d_world_destroy(NablaBox2DWorld *world);
/// A new static (dynamic = 0) or dynamic body; returns its number.
int32_t nabla_box2d_body_create(NablaBox2DWorld *world, int32_t dynamic, double x, double y, double angle);
/// A convex polygon of `count` (3 to 8) vertices given as x0, y0, x1, y1, ... in body coordinates.
void nabla_box2d_add_polygon(NablaBox2DWorld *world, int32_t body, const double *xy, int32_t count, NablaBox2DMaterial material);
/// A box of half-width `halfWidth` and half-height `halfHeight` centred on the body (b2PolygonShape::SetAsBox).
void nabla_box2d_add_box(NablaBox2DWorld *world, int32_t body, double halfWidth, double halfHeight, NablaBox2DMaterial material);
/// A two-sided edge from (x1, y1) to (x2, y2).
void nabla_box2d_add_edge(NablaBox2DWorld *world, int32_t body, double x1, double y1, double x2, double y2, NablaBox2DMaterial material);
/// A revolute joint between two bodies at the given local anchors, with an optional motor and limits.
void nabla_box2d_add_revolute_joint(NablaBox2DWorld *world, int32_t bodyA, int32_t bodyB,
                                    double anchorAX, double anchorAY, double anchorBX, double anchorBY,
                                    int32_t enableMotor, double maximumMotorTorque, double motorSpeed,
                                    int32_t enableLimit, double lowerAngle, double upperAngle);
/// A force through the centre of mass, waking the body.
void nabla_box2d_apply_force_to_center(NablaBox2DWorld *world, int32_t body, double forceX, double forceY);
/// An impulse at a world point, waking the body.
void nabla_box2d_apply_linear_impulse(NablaBox2DWorld *world, int32_t body, double impulseX, double impulseY,
                                      double pointX, double pointY);
void nabla_box2d_step(NablaBox2DWorld *world, double timeStep, int32_t velocityIterations, int32_t positionIterations);
NablaBox2DBodyState nabla_box2d_body_state(const NablaBox2DWorld *world, int32_t body);
/// Box2D's version as major * 10000 + minor * 100 + revision (20401 for 2.4.1).
int32_t nabla_box2d_version(void);

#ifdef __cplusplus
}
#endif

#endif
