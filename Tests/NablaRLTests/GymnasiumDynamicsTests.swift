import Foundation
import Nabla
@testable import NablaRL
import Testing

/// Each classic-control environment against Gymnasium itself: from the same start state and the same
/// 500 actions, every observation agrees to 1e-5, and rewards and termination flags agree. Actions come
/// from a simple controller run on Nabla's trajectory (so CartPole stays up and the comparison covers
/// all 500 steps rather than a fallen pole), mixed with random ones.
@Suite(.serialized, .enabled(if: GymnasiumPython.shouldRun,
                             "Python with gymnasium not found (set NABLA_PYTHON or `python3 -m pip install gymnasium`)"))
struct GymnasiumDynamicsTests {
    static let steps = 500

    /// One replayed episode: Gymnasium's id, the start state and the actions (one list per step).
    struct Case: Codable {
        var name: String
        var state: [Double]
        var actions: [[Double]]
    }

    /// What Gymnasium returned at every step.
    struct Replay: Codable {
        var observations: [[Double]]
        var rewards: [Double]
        var terminated: [Bool]
    }

    static let script = #"""
        import json, sys
        import numpy as np
        import gymnasium as gym
        cases = json.load(sys.stdin)
        replies = []
        for case in cases:
            env = gym.make(case["name"]).unwrapped
            env.reset(seed=0)
            dtype = np.float32 if case["name"] == "MountainCarContinuous-v0" else np.float64
            env.state = np.array(case["state"], dtype=dtype)
            discrete = isinstance(env.action_space, gym.spaces.Discrete)
            observations, rewards, terminated = [], [], []
            for action in case["actions"]:
                act = int(action[0]) if discrete else np.array(action, dtype=np.float32)
                observation, reward, done, truncated, _ = env.step(act)
                observations.append([float(v) for v in observation])
                rewards.append(float(reward))
                terminated.append(bool(done))
            replies.append({"observations": observations, "rewards": rewards, "terminated": terminated})
        print(json.dumps(replies))
        """#

    /// Runs every environment in Nabla, replays the same cases in Gymnasium and compares.
    @Test func observationsRewardsAndTerminationMatchGymnasium() throws {
        let generator = RandomGenerator(seed: 2026)
        var cases: [Case] = []
        var nabla: [Replay] = []
        for (environment, controller) in Self.environments() {
            let start = environment.state
            var replay = Replay(observations: [], rewards: [], terminated: [])
            var actions: [[Double]] = []
            var observation = environment.observation
            for _ in 0..<Self.steps {
                let action = controller(observation, generator)
                switch action {
                case .discrete(let index): actions.append([Double(index)])
                case .continuous(let values): actions.append(values.map { Double($0) })
                }
                let transition = environment.step(action)
                observation = transition.observation
                replay.observations.append(observation.map { Double($0) })
                replay.rewards.append(transition.reward)
                replay.terminated.append(transition.terminated)
            }
            cases.append(Case(name: environment.name, state: start, actions: actions))
            nabla.append(replay)
        }
        let output = try GymnasiumPython.run(script: Self.script, input: try JSONEncoder().encode(cases))
        let gymnasium = try JSONDecoder().decode([Replay].self, from: output)
        #expect(gymnasium.count == cases.count)
        for (index, (ours, theirs)) in zip(nabla, gymnasium).enumerated() {
            let name = cases[index].name
            var worst = 0.0, worstStep = 0
            for step in 0..<Self.steps {
                for (a, b) in zip(ours.observations[step], theirs.observations[step]) where abs(a - b) > worst {
                    worst = abs(a - b)
                    worstStep = step
                }
            }
            #expect(worst <= 1e-5, "\(name): observations differ by \(worst) at step \(worstStep)")
            // CartPole's reward after a termination depends on Gymnasium's warning counter; the runs here never terminate it.
            let rewardGap = zip(ours.rewards, theirs.rewards).map { abs($0 - $1) }.max() ?? 0
            #expect(rewardGap <= 1e-5, "\(name): rewards differ by \(rewardGap)")
            #expect(ours.terminated == theirs.terminated, "\(name): termination flags differ")
        }
    }

    typealias Controller = ([Float], RandomGenerator) -> Action

    /// Each environment at a random start state with a controller that keeps its trajectory interesting.
    static func environments() -> [(Environment, Controller)] {
        let cartPole = CartPole()
        cartPole.state = [0.03, -0.02, 0.04, 0.01]
        // Push toward where the pole leans (with some velocity feedback): balances it for all 500 steps.
        let balance: Controller = { observation, _ in .discrete(observation[2] + 0.5 * observation[3] + 0.01 * observation[0] > 0 ? 1 : 0) }

        let acrobot = Acrobot()
        acrobot.state = [0.05, -0.08, 0.02, 0.01]
        // Torque with the first link's velocity pumps energy in; every fifth action is random.
        let pump: Controller = { observation, generator in
            generator.next() % 5 == 0 ? .discrete(Int(generator.next() % 3)) : .discrete(observation[4] > 0 ? 2 : 0)
        }

        let mountainCar = MountainCar()
        mountainCar.state = [-0.52, 0]
        let rock: Controller = { observation, _ in .discrete(observation[1] >= 0 ? 2 : 0) }

        let continuousMountainCar = ContinuousMountainCar()
        continuousMountainCar.state = [-0.47, 0]
        // Pushes with the velocity at 60% power plus noise, reaching the goal after a few swings; also beyond ±1.
        let rockContinuous: Controller = { observation, generator in
            .continuous([(observation[1] >= 0 ? 0.6 : -0.6) + (generator.nextUnitFloat() - 0.5) * 1.2])
        }

        let pendulum = Pendulum()
        pendulum.state = [2.5, -0.4]
        let swing: Controller = { _, generator in .continuous([(generator.nextUnitFloat() - 0.5) * 5]) }

        return [(cartPole, balance), (acrobot, pump), (mountainCar, rock), (continuousMountainCar, rockContinuous), (pendulum, swing)]
    }
}
