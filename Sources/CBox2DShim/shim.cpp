// Box2D behind the C interface of CBox2DShim.h. Box2D works in float; values cross as double and are
// rounded once here, as pybox2d rounds Python's floats.
#if __has_include(<box2d/box2d.h>)
#include <box2d/box2d.h>
#else
#error "Box2D 2.4 not found: install it with `sudo apt-get install libbox2d-dev` (or run scripts/install-system-packages.sh)"
#endif
#include <memory>
#include <vector>
#include "CBox2DShim.h"

namespace {

struct BodyFlags {
    int32_t touched = 0, inContact = 0;
};

/// Marks the bodies of both fixtures when a contact begins and ends.
class ContactFlags : public b2ContactListener {
public:
    std::vector<BodyFlags> flags;

    void BeginContact(b2Contact *contact) override { mark(contact, true); }
    void EndContact(b2Contact *contact) override { mark(contact, false); }

private:
    void mark(b2Contact *contact, bool begins) {
        for (b2Fixture *fixture : {contact->GetFixtureA(), contact->GetFixtureB()}) {
            auto index = static_cast<size_t>(fixture->GetBody()->GetUserData().pointer);
            if (index >= flags.size()) continue;
            if (begins) flags[index].touched = 1;
            flags[index].inContact = begins ? 1 : 0;
        }
    }
};

b2FixtureDef fixtureDefinition(const b2Shape *shape, NablaBox2DMaterial material) {
    b2FixtureDef definition;
    definition.shape = shape;
    definition.density = static_cast<float>(material.density);
    definition.friction = static_cast<float>(material.friction);
    definition.restitution = static_cast<float>(material.restitution);
    definition.filter.categoryBits = material.categoryBits;
    definition.filter.maskBits = material.maskBits;
    return definition;
}

}  // namespace

struct NablaBox2DWorld {
    std::unique_ptr<b2World> world;
    std::vector<b2Body *> bodies;
    ContactFlags contacts;
};

extern "C" {

NablaBox2DWorld *nabla_box2d_world_create(double gravityX, double gravityY) {
    auto *result = new NablaBox2DWorld;
    result->world = std::make_unique<b2World>(b2Vec2(static_cast<float>(gravityX), static_cast<float>(gravityY)));
    result->world->SetContactListener(&result->contacts);
    return result;
}

void nabla_box2d_world_destroy(NablaBox2DWorld *world) {
    if (world == nullptr) return;
    world->world->SetContactListener(nullptr);
    delete world;
}

int32_t nabla_box2d_body_create(NablaBox2DWorld *world, int32_t dynamic, double x, double y, double angle) {
    b2BodyDef definition;
    definition.type = dynamic ? b2_dynamicBody : b2_staticBody;
    definition.position.Set(static_cast<float>(x), static_cast<float>(y));
    definition.angle = static_cast<float>(angle);
    definition.userData.pointer = static_cast<uintptr_t>(world->bodies.size());
    world->bodies.push_back(world->world->CreateBody(&definition));
    world->contacts.flags.emplace_back();
    return static_cast<int32_t>(world->bodies.size() - 1);
}

void nabla_box2d_add_polygon(NablaBox2DWorld *world, int32_t body, const double *xy, int32_t count, NablaBox2DMaterial material) {
    b2Vec2 vertices[b2_maxPolygonVertices];
    if (count > b2_maxPolygonVertices) count = b2_maxPolygonVertices;
    for (int32_t index = 0; index < count; ++index) {
        vertices[index].Set(static_cast<float>(xy[2 * index]), static_cast<float>(xy[2 * index + 1]));
    }
    b2PolygonShape shape;
    shape.Set(vertices, count);
    auto definition = fixtureDefinition(&shape, material);
    world->bodies[body]->CreateFixture(&definition);
}

void nabla_box2d_add_box(NablaBox2DWorld *world, int32_t body, double halfWidth, double halfHeight, NablaBox2DMaterial material) {
    b2PolygonShape shape;
    shape.SetAsBox(static_cast<float>(halfWidth), static_cast<float>(halfHeight));
    auto definition = fixtureDefinition(&shape, material);
    world->bodies[body]->CreateFixture(&definition);
}

void nabla_box2d_add_edge(NablaBox2DWorld *world, int32_t body, double x1, double y1, double x2, double y2, NablaBox2DMaterial material) {
    b2EdgeShape shape;
    shape.SetTwoSided(b2Vec2(static_cast<float>(x1), static_cast<float>(y1)), b2Vec2(static_cast<float>(x2), static_cast<float>(y2)));
    auto definition = fixtureDefinition(&shape, material);
    world->bodies[body]->CreateFixture(&definition);
}

void nabla_box2d_add_revolute_joint(NablaBox2DWorld *world, int32_t bodyA, int32_t bodyB,
                                    double anchorAX, double anchorAY, double anchorBX, double anchorBY,
                                    int32_t enableMotor, double maximumMotorTorque, double motorSpeed,
                                    int32_t enableLimit, double lowerAngle, double upperAngle) {
    b2RevoluteJointDef definition;
    definition.bodyA = world->bodies[bodyA];
    definition.bodyB = world->bodies[bodyB];
    definition.localAnchorA.Set(static_cast<float>(anchorAX), static_cast<float>(anchorAY));
    definition.localAnchorB.Set(static_cast<float>(anchorBX), static_cast<float>(anchorBY));
    definition.enableMotor = enableMotor != 0;
    definition.maxMotorTorque = static_cast<float>(maximumMotorTorque);
    definition.motorSpeed = static_cast<float>(motorSpeed);
    definition.enableLimit = enableLimit != 0;
    definition.lowerAngle = static_cast<float>(lowerAngle);
    definition.upperAngle = static_cast<float>(upperAngle);
    world->world->CreateJoint(&definition);
}

void nabla_box2d_apply_force_to_center(NablaBox2DWorld *world, int32_t body, double forceX, double forceY) {
    world->bodies[body]->ApplyForceToCenter(b2Vec2(static_cast<float>(forceX), static_cast<float>(forceY)), true);
}

void nabla_box2d_apply_linear_impulse(NablaBox2DWorld *world, int32_t body, double impulseX, double impulseY,
                                      double pointX, double pointY) {
    world->bodies[body]->ApplyLinearImpulse(b2Vec2(static_cast<float>(impulseX), static_cast<float>(impulseY)),
                                            b2Vec2(static_cast<float>(pointX), static_cast<float>(pointY)), true);
}

void nabla_box2d_step(NablaBox2DWorld *world, double timeStep, int32_t velocityIterations, int32_t positionIterations) {
    world->world->Step(static_cast<float>(timeStep), velocityIterations, positionIterations);
}

NablaBox2DBodyState nabla_box2d_body_state(const NablaBox2DWorld *world, int32_t body) {
    const b2Body *handle = world->bodies[body];
    NablaBox2DBodyState state;
    state.x = handle->GetPosition().x;
    state.y = handle->GetPosition().y;
    state.angle = handle->GetAngle();
    state.velocityX = handle->GetLinearVelocity().x;
    state.velocityY = handle->GetLinearVelocity().y;
    state.angularVelocity = handle->GetAngularVelocity();
    state.awake = handle->IsAwake() ? 1 : 0;
    state.touched = world->contacts.flags[body].touched;
    state.inContact = world->contacts.flags[body].inContact;
    return state;
}

int32_t nabla_box2d_version(void) {
    return b2_version.major * 10000 + b2_version.minor * 100 + b2_version.revision;
}

}  // extern "C"
