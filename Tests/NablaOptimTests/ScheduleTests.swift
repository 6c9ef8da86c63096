import Foundation
import Nabla
import NablaOptim
import NablaTestSupport
import Testing

@Suite struct ScheduleTests {
    func rates(_ schedule: any LearningRateSchedule, _ count: Int, initial: Double = 1) -> [Double] {
        schedule.learningRates(steps: count, initial: initial)
    }

    @Test func stepAndMultiStepBoundaries() {
        expectClose(rates(StepSchedule(stepSize: 2, gamma: 0.1), 5), [1, 1, 0.1, 0.1, 0.01], "step")
        // Unsorted, with a repeated milestone that counts twice (as PyTorch's Counter of milestones).
        expectClose(rates(MultiStepSchedule(milestones: [4, 1, 4], gamma: 0.5), 6), [1, 0.5, 0.5, 0.5, 0.125, 0.125], "multi-step")
        expectClose(rates(MultiStepSchedule(milestones: [0]), 2), [0.1, 0.1], "milestone at step 0")
        expectClose(rates(ExponentialSchedule(gamma: 0.5), 4, initial: 2), [2, 1, 0.5, 0.25], "exponential")
    }

    @Test func cosineEndsAtTheMinimumAndRisesBack() {
        let cosine = CosineAnnealingSchedule(period: 4, minimumLearningRate: 0.1)
        expectClose(rates(cosine, 9), [1, 0.1 + 0.9 * (1 + 0.5.squareRoot()) / 2, 0.55, 0.1 + 0.9 * (1 - 0.5.squareRoot()) / 2, 0.1,
                                       0.1 + 0.9 * (1 - 0.5.squareRoot()) / 2, 0.55, 0.1 + 0.9 * (1 + 0.5.squareRoot()) / 2, 1], "cosine")
    }

    @Test func linearScheduleEdgeCases() {
        expectClose(rates(LinearSchedule(), 7), [1.0 / 3, 7.0 / 15, 9.0 / 15, 11.0 / 15, 13.0 / 15, 1, 1], "defaults: from a third over 5 steps")
        expectClose(rates(LinearSchedule(startFactor: 1, endFactor: 0.5, totalSteps: 2), 4), [1, 0.75, 0.5, 0.5], "decreasing")
        expectClose(rates(LinearSchedule(startFactor: 0.5, totalSteps: 0), 2), [1, 1], "no steps: the end factor at once")
    }

    @Test func noamPeaksAtTheEndOfWarmup() {
        let noam = rates(NoamSchedule(modelDimension: 16, warmupSteps: 10), 30)
        #expect(noam.firstIndex(of: noam.max()!) == 9)
        #expect(abs(noam[9] - 1 / (16.0 * 10).squareRoot()) < 1e-12)
        #expect(abs(noam[0] - 0.25 * pow(10, -1.5)) < 1e-12)
    }

    @Test func oneCycleCyclesMomentumThroughTheScheduler() {
        let optimizer = SGD([Tensor([0], requiresGrad: true)], configuration: .init(learningRate: 0.5))
        let scheduler = LearningRateScheduler(optimizer, schedule: OneCycleSchedule(totalSteps: 10))
        var momenta: [Double] = [], learningRates: [Double] = []
        for _ in 0..<12 {
            momenta.append(optimizer.parameterGroups[0].configuration.momentum)
            learningRates.append(optimizer.learningRates[0])
            scheduler.step()
        }
        // Rise over steps 0...2 (0.3·10 − 1), fall over 2...9; past the end the final values hold.
        #expect(abs(learningRates[0] - 0.5 / 25) < 1e-12 && abs(momenta[0] - 0.95) < 1e-12)
        #expect(abs(learningRates[2] - 0.5) < 1e-12 && abs(momenta[2] - 0.85) < 1e-12)
        #expect(abs(learningRates[9] - 0.5 / 25 / 1e4) < 1e-12 && abs(momenta[9] - 0.95) < 1e-12)
        #expect(learningRates[10] == learningRates[9] && learningRates[11] == learningRates[9])
        #expect(zip(learningRates[2...9], learningRates[3...9]).allSatisfy { $0 > $1 })
    }

    @Test func oneCycleThreePhasesLinearAndPerGroupMaximum() {
        let schedule = OneCycleSchedule(totalSteps: 11, percentStart: 0.5, annealing: .linear, divisionFactor: 10,
                                        finalDivisionFactor: 10, threePhase: true, cycleMomentum: false)
        // Phases end at steps 4.5, 9 and 10: 0.1 → 1 → 0.1 → 0.01 (as fractions of the maximum).
        let values = rates(schedule, 11)
        expectClose([values[0], values[9], values[10]], [0.1, 0.1, 0.01], "phase ends")
        expectClose([values[1]], [0.1 + 0.9 / 4.5], "linear rise")
        #expect(schedule.momentum(atStep: 3) == nil)
        // Without a maximum, each group's initial rate is its maximum.
        let first = Tensor([0], requiresGrad: true), second = Tensor([0], requiresGrad: true)
        let optimizer = Adam(groups: [ParameterGroup([first], configuration: .init(learningRate: 1)),
                                      ParameterGroup([second], configuration: .init(learningRate: 0.1))])
        let scheduler = LearningRateScheduler(optimizer, schedule: OneCycleSchedule(totalSteps: 10))
        expectClose(scheduler.learningRates, [0.04, 0.004], "initial rates, a 25th of each group's maximum")
        expectClose(scheduler.learningRates(atStep: 2), [1, 0.1], "peak")
        #expect(optimizer.parameterGroups.allSatisfy { $0.configuration.beta1 == 0.95 })
    }

    @Test func sequentialScheduleWarmsUpThenAnneals() {
        let schedule = SequentialSchedule([LinearSchedule(startFactor: 0.25, totalSteps: 3), CosineAnnealingSchedule(period: 2)],
                                          milestones: [3])
        expectClose(rates(schedule, 6), [0.25, 0.5, 0.75, 1, 0.5, 0], "warm-up then cosine")
    }

    @Test func schedulerScalesEveryGroupFromItsInitialRate() {
        let optimizer = SGD(groups: [ParameterGroup([Tensor([0], requiresGrad: true)], configuration: .init(learningRate: 1)),
                                     ParameterGroup([Tensor([0], requiresGrad: true)], configuration: .init(learningRate: 0.1))])
        let scheduler = LearningRateScheduler(optimizer, schedule: StepSchedule(stepSize: 1, gamma: 0.5))
        scheduler.step()
        scheduler.step()
        #expect(scheduler.stepCount == 2)
        expectClose(optimizer.learningRates, [0.25, 0.025], "two halvings")
        #expect(scheduler.initialLearningRates == [1, 0.1])
    }

    @Test func lambdaScheduleMultipliesTheInitialRate() {
        expectClose(rates(LambdaSchedule { Double($0 + 1) }, 3, initial: 0.5), [0.5, 1, 1.5], "lambda")
    }

    // MARK: Reduce on plateau

    @Test func plateauReducesAfterPatienceRunsOut() {
        let optimizer = SGD([Tensor([0], requiresGrad: true)], configuration: .init(learningRate: 1))
        let plateau = ReduceLearningRateOnPlateau(optimizer, factor: 0.5, patience: 2)
        // 1 is best; three epochs without improvement exceed patience 2 and halve the rate.
        #expect([1, 1, 1].map { plateau.step($0) } == [false, false, false])
        #expect(plateau.step(1))
        #expect(optimizer.learningRates == [0.5] && plateau.badEpochs == 0)
        // An improvement smaller than the relative threshold 1e-4 does not count.
        #expect([0.99995, 0.99995].map { plateau.step($0) } == [false, false])
        #expect(plateau.step(0.99995))
        #expect(optimizer.learningRates == [0.25])
        // A real improvement resets the count.
        plateau.step(0.5)
        #expect(plateau.best == 0.5 && plateau.badEpochs == 0)
    }

    @Test func plateauCooldownMinimumAndMaximiseMode() {
        let optimizer = SGD([Tensor([0], requiresGrad: true)], configuration: .init(learningRate: 1))
        let plateau = ReduceLearningRateOnPlateau(optimizer, mode: .maximize, factor: 0.1, patience: 0,
                                                  threshold: .absolute(0.5), cooldown: 2, minimumLearningRate: 0.05)
        plateau.step(1)                     // first value: best
        #expect(plateau.step(1.4))          // not 0.5 better: reduce at once (patience 0)
        #expect(abs(optimizer.learningRates[0] - 0.1) < 1e-12)
        #expect(!plateau.step(1.2) && !plateau.step(1.2))   // cooling down: bad epochs not counted
        #expect(plateau.step(1.2))          // cooldown over: reduce, but not below the minimum
        #expect(optimizer.learningRates == [0.05])
        plateau.step(1.2); plateau.step(1.2)
        #expect(plateau.step(1.2) && optimizer.learningRates == [0.05], "at the minimum the rate stays")
        #expect(plateau.step(3) == false && plateau.best == 3)
    }

    // MARK: Early stopping

    @Test func earlyStoppingReportsTheBestEpoch() {
        var stopping = EarlyStopping(patience: 3)
        let losses: [Double] = [5, 4, 4.5, 4.2, 3.9, 4, 4.1, 4.2, 3]
        var stoppedAt: Int?
        for (epoch, loss) in losses.enumerated() where stoppedAt == nil {
            if stopping.update(loss) { stoppedAt = epoch }
        }
        #expect(stoppedAt == 7)
        #expect(stopping.bestEpoch == 4 && stopping.bestValue == 3.9)
        #expect(stopping.shouldStop && !stopping.improved && stopping.epochsWithoutImprovement == 3)
    }

    @Test func earlyStoppingMinimumDeltaMaximiseAndNaN() {
        var accuracy = EarlyStopping(patience: 2, minimumDelta: 0.01, mode: .maximize)
        var stops: [Bool] = [], improvements: [Bool] = []
        for value in [.nan, 0.80, 0.805, 0.85, .nan, 0.855] {
            stops.append(accuracy.update(value))
            improvements.append(accuracy.improved)
        }
        // NaN never improves; 0.805 is within the minimum delta of 0.80; two misses after 0.85 stop it.
        #expect(improvements == [false, true, false, true, false, false])
        #expect(stops == [false, false, false, false, false, true])
        #expect(accuracy.bestEpoch == 3 && accuracy.bestValue == 0.85)

        var impatient = EarlyStopping(patience: 0)
        let first = impatient.update(1), second = impatient.update(1)
        #expect(!first && second, "patience 0 stops at the first epoch without improvement")
    }
}
