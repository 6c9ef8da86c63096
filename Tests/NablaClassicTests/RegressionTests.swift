import Nabla
@testable import NablaClassic
import NablaTestSupport
import Testing

@Suite struct RegressionTests {
    /// y = 3 x₀ − 2 x₁ + 0.5 x₂ + 4, exactly.
    let data = SyntheticData.linear(count: 50, weights: [3, -2, 0.5], bias: 4, generator: RandomGenerator(seed: 7))

    @Test func leastSquaresRecoversAKnownLinearFunction() throws {
        let model = try LinearRegression().fit(data.features, targets: data.values!)
        expectClose(model.weights, [3, -2, 0.5], "weights", tolerance: .exact)
        expectNear(model.intercept, 4, "intercept", absolute: 1e-10)
        expectNear(RegressionMetrics.rSquared(data.values!, try model.predict(data.features)), 1, "R²", absolute: 1e-12)
        // Without an intercept the fit through the origin is worse.
        let origin = try LinearRegression(fitsIntercept: false).fit(data.features, targets: data.values!)
        #expect(origin.intercept == 0)
    }

    @Test func leastSquaresCopesWithACollinearFeature() throws {
        // A duplicated column: the minimum-norm solution splits its weight evenly.
        let x = data.features.appendingColumns(Matrix(column: data.features.column(0)))
        let model = try LinearRegression().fit(x, targets: data.values!)
        expectClose(model.weights, [1.5, -2, 0.5, 1.5], "weights", tolerance: Tolerance(absolute: 1e-8, relative: 1e-8))
    }

    @Test func ridgeMatchesItsClosedFormAndShrinks() throws {
        // One centred feature: w = Σxy / (Σx² + λ).
        let x = Matrix(column: [-1, 0, 1]), y = [-2.0, 0, 2]
        let model = try RidgeRegression(penalty: 2).fit(x, targets: y)
        expectNear(model.weights[0], 4.0 / (2 + 2), "ridge weight")
        expectNear(model.intercept, 0, "ridge intercept")
        let unpenalized = try RidgeRegression(penalty: 0).fit(data.features, targets: data.values!)
        expectClose(unpenalized.weights, [3, -2, 0.5], "λ = 0 is least squares", tolerance: .exact)
        let heavy = try RidgeRegression(penalty: 1000).fit(data.features, targets: data.values!)
        let heavySize: Double = heavy.weights.reduce(0) { $0 + abs($1) }
        let plainSize: Double = unpenalized.weights.reduce(0) { $0 + abs($1) }
        #expect(heavySize < plainSize / 5)
    }

    @Test func gradientDescentPlainAndAdagradApproachLeastSquares() throws {
        for rule in GradientStepRule.allCases {
            let trainer = GradientDescentRegression(learningRate: rule == .plain ? 0.5 : 1, steps: 3000, rule: rule)
            let (model, losses) = try trainer.fitWithHistory(data.features, targets: data.values!)
            expectClose(model.weights, [3, -2, 0.5], "\(rule) weights", tolerance: Tolerance(absolute: 1e-3, relative: 1e-3))
            expectNear(model.intercept, 4, "\(rule) intercept", absolute: 1e-3)
            #expect(losses.last! < losses.first! * 1e-4, "\(rule) loss falls")
        }
        // Mini-batches still get close.
        let stochastic = try GradientDescentRegression(learningRate: 0.1, steps: 3000, batchSize: 10, seed: 1).fit(data.features, targets: data.values!)
        expectClose(stochastic.weights, [3, -2, 0.5], "SGD weights", tolerance: Tolerance(absolute: 0.05, relative: 0.02))
        expectClassicError(.numericalFailure, containing: ["learning rate"]) {
            _ = try GradientDescentRegression(learningRate: 100, steps: 200).fit(data.features, targets: data.values!)
        }
    }

    @Test func lossCurvatureGivesTheLargestStableLearningRate() throws {
        // One centred feature x = [−1, 0, 1]: [X 1]ᵀ[X 1] = diag(2, 3), so H = (2/3) diag(2, 3) = diag(4/3, 2);
        // the penalty adds 2λ to the weight's entry only: diag(4/3 + 2, 2).
        let line = Matrix(column: [-1, 0, 1])
        let plain = try GradientDescentRegression.lossCurvature(line)
        expectNear(plain.largest, 2, "largest eigenvalue")
        expectNear(plain.smallest, 4.0 / 3, "smallest eigenvalue")
        let penalised = try GradientDescentRegression.lossCurvature(line, penalty: 1)
        expectNear(penalised.largest, 10.0 / 3, "largest eigenvalue with λ = 1")
        expectNear(penalised.smallest, 2, "smallest eigenvalue with λ = 1")
        // Just below 2/largest the loss falls; just above it grows until it overflows, and with
        // stopsOnDivergence the finite part of the curve comes back instead of an error.
        let critical = 2 / (try GradientDescentRegression.lossCurvature(data.features)).largest
        let below = try GradientDescentRegression(learningRate: 0.95 * critical, steps: 400).fitWithHistory(data.features, targets: data.values!)
        #expect(below.losses.last! < below.losses.first! * 1e-3)
        let above = try GradientDescentRegression(learningRate: 1.05 * critical, steps: 6000, stopsOnDivergence: true)
            .fitWithHistory(data.features, targets: data.values!)
        #expect(above.losses.count > 100 && above.losses.count < 6000, "stopped at the overflow, after \(above.losses.count) steps")
        #expect(above.losses.allSatisfy { $0.isFinite } && above.losses.last! > above.losses.first! * 1e100)
        #expect(above.model.weights.allSatisfy { $0.isFinite })
        expectClassicError(.numericalFailure, containing: ["learning rate"]) {
            _ = try GradientDescentRegression(learningRate: 1.05 * critical, steps: 6000).fit(data.features, targets: data.values!)
        }
    }

    @Test func polynomialFeaturesInScikitLearnOrder() throws {
        let expanded = try PolynomialFeatures(degree: 2).transform(Matrix(rows: [[2, 3]]))
        #expect(expanded.values == [2, 3, 4, 6, 9])
        #expect(PolynomialFeatures(degree: 3).names(for: ["a", "b"]) == ["a", "b", "a^2", "a b", "b^2", "a^3", "a^2 b", "a b^2", "b^3"])
        #expect(try PolynomialFeatures(degree: 2, interactionsOnly: true).transform(Matrix(rows: [[2, 3, 5]])).values == [2, 3, 5, 6, 10, 15])
        // A quadratic is fitted exactly with degree-2 features.
        let x = Matrix(column: (0..<20).map { Double($0) / 4 })
        let y = x.values.map { 1 - 2 * $0 + 0.5 * $0 * $0 }
        let model = try LinearRegression().fit(try PolynomialFeatures(degree: 2).transform(x), targets: y)
        expectClose(model.weights, [-2, 0.5], "quadratic", tolerance: .exact)
    }

    @Test func scalers() throws {
        let x = Matrix(rows: [[1, 10, 5], [3, 20, 5], [5, 30, 5]])
        let standard = try StandardScaler.fit(x)
        let z = try standard.transform(x)
        expectClose(z.column(0), [-1.224744871391589, 0, 1.224744871391589], "standardised", tolerance: .exact)
        #expect(z.column(2) == [0, 0, 0])   // constant feature → 0, not NaN
        expectClose(standard.inverseTransform(z).values, x.values, "inverse", tolerance: .exact)
        let minMax = try MinMaxScaler.fit(x)
        #expect(try minMax.transform(x).column(1) == [0, 0.5, 1])
        #expect(try minMax.transform(Matrix(rows: [[2, 15, 5]])).values == [0.25, 0.25, 0])
        expectClassicError(.shapeMismatch) { _ = try standard.transform(Matrix(rows: [[1, 2]])) }
    }

    @Test func splitsAndCrossValidation() throws {
        let split = try Validation.trainValidationSplit(count: 10, validationFraction: 0.3, generator: RandomGenerator(seed: 0))
        #expect(split.validation.count == 3 && split.training.count == 7)
        #expect(Set(split.training + split.validation) == Set(0..<10))
        let folds = try Validation.kFold(count: 11, folds: 3, generator: RandomGenerator(seed: 0))
        #expect(folds.map(\.validation.count) == [4, 4, 3])
        #expect(folds.flatMap(\.validation).sorted() == Array(0..<11))
        for fold in folds { #expect(Set(fold.training).isDisjoint(with: fold.validation) && fold.training.count + fold.validation.count == 11) }
        let scores = try Validation.crossValidate(LinearRegression(), features: data.features, targets: data.values!, folds: 5)
        #expect(scores.count == 5 && scores.allSatisfy { $0 > 0.999999 })
        expectClassicError(.invalidParameter) { _ = try Validation.kFold(count: 3, folds: 5) }
    }
}
