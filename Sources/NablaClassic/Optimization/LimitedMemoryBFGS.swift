/// Limited-memory BFGS (Nocedal, 1980) for smooth unconstrained minimisation, as SciPy's L-BFGS-B
/// runs it without bounds: the search direction is `−H g` where `H` approximates the inverse Hessian
/// from the last `memory` pairs `sₖ = xₖ₊₁ − xₖ`, `yₖ = gₖ₊₁ − gₖ` (the two-loop recursion), and a
/// line search finds a step satisfying the strong Wolfe conditions
///
///     f(x + αd) ≤ f(x) + c₁ α gᵀd,   |g(x + αd)ᵀd| ≤ c₂ |gᵀd|   (c₁ = 10⁻³, c₂ = 0.9).
///
/// It stops when the largest gradient component is at most `gradientTolerance`, when the relative
/// decrease `(fₖ − fₖ₊₁) / max(|fₖ|, |fₖ₊₁|, 1)` is at most `functionTolerance`, or after
/// `maximumIterations` iterations.
///
/// ```swift
/// // Minimise (x − 3)² + (y + 1)²
/// let result = LimitedMemoryBFGS().minimize(start: [0, 0]) { x, gradient in
///     gradient[0] = 2 * (x[0] - 3); gradient[1] = 2 * (x[1] + 1)
///     return (x[0] - 3) * (x[0] - 3) + (x[1] + 1) * (x[1] + 1)
/// }
/// result.solution   // ≈ [3, -1]
/// ```
public struct LimitedMemoryBFGS: Sendable {
    public var memory: Int
    public var maximumIterations: Int
    public var gradientTolerance: Double
    public var functionTolerance: Double
    public var maximumLineSearchSteps: Int

    /// SciPy's defaults as scikit-learn passes them: memory 10, 100 iterations, gradient tolerance 10⁻⁴,
    /// function tolerance 64 ε.
    public init(memory: Int = 10, maximumIterations: Int = 100, gradientTolerance: Double = 1e-4,
                functionTolerance: Double = 64 * Double.ulpOfOne, maximumLineSearchSteps: Int = 50) {
        self.memory = memory
        self.maximumIterations = maximumIterations
        self.gradientTolerance = gradientTolerance
        self.functionTolerance = functionTolerance
        self.maximumLineSearchSteps = maximumLineSearchSteps
    }

    /// Why the iteration stopped.
    public enum Stop: String, Sendable {
        case gradientTolerance = "gradient below tolerance"
        case functionTolerance = "relative decrease below tolerance"
        case iterationLimit = "iteration limit reached"
        case lineSearchFailed = "line search found no acceptable step"
    }

    public struct Result: Sendable {
        public let solution: [Double]
        public let value: Double
        public let iterations: Int
        public let evaluations: Int
        public let stop: Stop
        /// True when a tolerance was met (not the iteration limit or a failed line search).
        public var converged: Bool { stop == .gradientTolerance || stop == .functionTolerance }
    }

    /// Minimises `objective`, which returns `f(x)` and writes `∇f(x)` into its second argument.
    public func minimize(start: [Double], objective: ([Double], inout [Double]) -> Double) -> Result {
        let n = start.count
        var x = start
        var gradient = [Double](repeating: 0, count: n)
        var value = objective(x, &gradient)
        var evaluations = 1
        var steps: [[Double]] = [], changes: [[Double]] = [], curvatures: [Double] = []
        var iteration = 0
        var stop = Stop.iterationLimit
        if maxAbsolute(gradient) <= gradientTolerance {
            return Result(solution: x, value: value, iterations: 0, evaluations: 1, stop: .gradientTolerance)
        }
        while iteration < maximumIterations {
            // Two-loop recursion: direction = −H·gradient.
            var direction = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for index in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[index] = curvatures[index] * dot(steps[index], direction)
                axpy(-alphas[index], changes[index], &direction)
            }
            if let last = steps.indices.last {
                let scale = dot(steps[last], changes[last]) / dot(changes[last], changes[last])
                for index in 0..<n { direction[index] *= scale }
            }
            for index in steps.indices {
                let beta = curvatures[index] * dot(changes[index], direction)
                axpy(alphas[index] - beta, steps[index], &direction)
            }
            for index in 0..<n { direction[index] = -direction[index] }
            var slope = dot(gradient, direction)
            if !(slope < 0) {
                // Not a descent direction (the curvature memory went stale): restart with steepest descent.
                steps.removeAll(); changes.removeAll(); curvatures.removeAll()
                direction = gradient.map { -$0 }
                slope = dot(gradient, direction)
            }
            let initialStep = steps.isEmpty ? min(1 / norm(direction), 1e10) : 1
            guard let search = lineSearch(x: x, value: value, gradient: gradient, direction: direction, slope: slope,
                                          initialStep: initialStep, objective: objective) else {
                stop = .lineSearchFailed
                break
            }
            evaluations += search.evaluations
            iteration += 1
            var step = [Double](repeating: 0, count: n), change = [Double](repeating: 0, count: n)
            for index in 0..<n {
                step[index] = search.x[index] - x[index]
                change[index] = search.gradient[index] - gradient[index]
            }
            let previousValue = value
            (x, value, gradient) = (search.x, search.value, search.gradient)
            let curvature = dot(step, change)
            if curvature > Double.ulpOfOne * dot(change, change) {
                steps.append(step); changes.append(change); curvatures.append(1 / curvature)
                if steps.count > memory { steps.removeFirst(); changes.removeFirst(); curvatures.removeFirst() }
            }
            if (previousValue - value) / max(abs(previousValue), abs(value), 1) <= functionTolerance {
                stop = .functionTolerance; break
            }
            if maxAbsolute(gradient) <= gradientTolerance { stop = .gradientTolerance; break }
        }
        return Result(solution: x, value: value, iterations: iteration, evaluations: evaluations, stop: stop)
    }

    private struct SearchPoint {
        var x: [Double]
        var value: Double
        var gradient: [Double]
        var evaluations: Int
    }

    /// Strong-Wolfe line search (Nocedal and Wright, algorithms 3.5 and 3.6) with safeguarded cubic
    /// interpolation.
    private func lineSearch(x: [Double], value: Double, gradient: [Double], direction: [Double], slope: Double,
                            initialStep: Double, objective: ([Double], inout [Double]) -> Double) -> SearchPoint? {
        let sufficientDecrease = 1e-3, curvatureCondition = 0.9
        var evaluations = 0
        var trial = [Double](repeating: 0, count: x.count), trialGradient = [Double](repeating: 0, count: x.count)
        func evaluate(_ step: Double) -> (value: Double, slope: Double) {
            for index in x.indices { trial[index] = x[index] + step * direction[index] }
            let value = objective(trial, &trialGradient)
            evaluations += 1
            return (value, dot(trialGradient, direction))
        }
        func accept(_ value: Double) -> SearchPoint {
            SearchPoint(x: trial, value: value, gradient: trialGradient, evaluations: evaluations)
        }
        var previous = (step: 0.0, value: value, slope: slope)
        var step = initialStep
        func zoom(_ low: (step: Double, value: Double, slope: Double), _ high: (step: Double, value: Double, slope: Double)) -> SearchPoint? {
            var low = low, high = high
            while evaluations < maximumLineSearchSteps {
                let candidate = cubicMinimum(low, high)
                let width = abs(high.step - low.step)
                let lower = min(low.step, high.step) + 0.1 * width, upper = max(low.step, high.step) - 0.1 * width
                let next = (candidate.isFinite && candidate > lower && candidate < upper) ? candidate : (low.step + high.step) / 2
                let (nextValue, nextSlope) = evaluate(next)
                if !nextValue.isFinite || nextValue > value + sufficientDecrease * next * slope || nextValue >= low.value {
                    high = (next, nextValue, nextSlope)
                } else {
                    if abs(nextSlope) <= -curvatureCondition * slope { return accept(nextValue) }
                    if nextSlope * (high.step - low.step) >= 0 { high = low }
                    low = (next, nextValue, nextSlope)
                }
                if abs(high.step - low.step) <= 1e-16 * max(abs(low.step), 1e-300) { break }
            }
            // Out of evaluations: take the best point with sufficient decrease, if any.
            if low.step > 0 {
                let (lowValue, _) = evaluate(low.step)
                return accept(lowValue)
            }
            return nil
        }
        for iteration in 0..<maximumLineSearchSteps {
            let (trialValue, trialSlope) = evaluate(step)
            if !trialValue.isFinite || trialValue > value + sufficientDecrease * step * slope || (iteration > 0 && trialValue >= previous.value) {
                return zoom(previous, (step, trialValue, trialSlope))
            }
            if abs(trialSlope) <= -curvatureCondition * slope { return accept(trialValue) }
            if trialSlope >= 0 { return zoom((step, trialValue, trialSlope), previous) }
            previous = (step, trialValue, trialSlope)
            step *= 4
        }
        return nil
    }

    /// The minimiser of the cubic matching values and slopes at two steps (NaN if it has none).
    private func cubicMinimum(_ a: (step: Double, value: Double, slope: Double), _ b: (step: Double, value: Double, slope: Double)) -> Double {
        let d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step)
        let discriminant = d1 * d1 - a.slope * b.slope
        if !(discriminant >= 0) || !a.value.isFinite || !b.value.isFinite { return .nan }
        let d2 = (b.step > a.step ? 1.0 : -1.0) * discriminant.squareRoot()
        return b.step - (b.step - a.step) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2)
    }
}

@inline(__always) func dot(_ a: [Double], _ b: [Double]) -> Double {
    var sum = 0.0
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in for index in a.indices { sum += a[index] * b[index] } } }
    return sum
}

@inline(__always) func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
    x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { y in for index in x.indices { y[index] += alpha * x[index] } } }
}

@inline(__always) func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

@inline(__always) func maxAbsolute(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
