import Dispatch

/// Reverse-mode differentiation over the recorded graph.
///
/// The graph is walked once in reverse topological order; each node's rule turns its output gradient
/// into input gradients, which are summed down to the input's shape (un-broadcasting happens here and
/// nowhere else) and accumulated for tensors used more than once.
enum BackwardEngine {
    /// Gradients of `output` with respect to every tensor in its graph, keyed by identity, and the
    /// graph's tensors in topological order (so callers need not walk the graph again).
    static func run(from output: Tensor, seed: Tensor, createGraph: Bool) -> (gradients: [ObjectIdentifier: Tensor], order: [Tensor]) {
        var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(output): seed]
        let previous = GradientMode.isEnabled
        GradientMode.isEnabled = createGraph
        defer { GradientMode.isEnabled = previous }
        let order = topologicalOrder(from: output)
        let timing = BackwardTimes.shared.isEnabled
        for tensor in order.reversed() {
            guard let node = tensor.node, let gradient = gradients[ObjectIdentifier(tensor)] else { continue }
            node.checkSavedValues(output: tensor)
            let start = timing ? DispatchTime.now().uptimeNanoseconds : 0
            let inputGradients = node.backward(gradient, tensor)
            if timing { BackwardTimes.shared.add(node.name, since: start) }
            let accumulateStart = timing ? DispatchTime.now().uptimeNanoseconds : 0
            precondition(inputGradients.count == node.inputs.count, "backward of \(node.name): wrong number of gradients")
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard input.requiresGrad, let inputGradient else { continue }
                let shaped = inputGradient.shape == input.shape ? inputGradient : inputGradient.sum(toShape: input.shape)
                let key = ObjectIdentifier(input)
                gradients[key] = gradients[key].map { $0 + shaped } ?? shaped
            }
            if timing { BackwardTimes.shared.add("accumulate", since: accumulateStart) }
        }
        return (gradients, order)
    }

    /// Tensors reachable from `output` through recorded nodes, each after all its inputs.
    /// Iterative, so long graphs (unrolled recurrent networks) cannot overflow the stack.
    static func topologicalOrder(from output: Tensor) -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(tensor: Tensor, expanded: Bool)] = [(output, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}

extension Tensor {
    /// Itself when recording (so the gradient can be differentiated again), else a history-free view.
    fileprivate func detachedIfNeeded(_ createGraph: Bool) -> Tensor { createGraph ? self : detached() }

    /// Computes the gradient of this tensor with respect to every leaf that requires gradients and adds
    /// it to that leaf's `grad`. Without `gradient`, this tensor must hold one element (a loss).
    ///
    /// With `createGraph`, the gradients are themselves recorded, so they can be differentiated again.
    public func backward(gradient: Tensor? = nil, createGraph: Bool = false) {
        precondition(requiresGrad, "backward: tensor of shape \(describe(shape)) does not require gradients")
        let seed = gradient ?? {
            precondition(count == 1, "backward: output of shape \(describe(shape)) is not a scalar; pass gradient:")
            return Tensor.ones(shape)
        }()
        precondition(seed.shape == shape, "backward: gradient shape \(describe(seed.shape)) differs from output shape \(describe(shape))")
        let (gradients, order) = BackwardEngine.run(from: self, seed: seed, createGraph: createGraph)
        // Each leaf gets a contiguous gradient of its own (as in PyTorch), never a view or a buffer
        // shared with another leaf or with the caller's seed, so optimisers and clipping may edit it in
        // place. Gradients that already are such a tensor are kept as they are, without a copy.
        var handedOut: Set<ObjectIdentifier> = [ObjectIdentifier(seed.storage)]
        for tensor in order where tensor.isLeafRequiringGrad {
            guard let leafGradient = gradients[ObjectIdentifier(tensor)] else { continue }
            let isOwn = leafGradient.isContiguous && leafGradient.layout.offset == 0
                && leafGradient.storage.count == leafGradient.count
                && handedOut.insert(ObjectIdentifier(leafGradient.storage)).inserted
            let kept = createGraph || isOwn ? leafGradient.detachedIfNeeded(createGraph)
                : Tensor(storage: copyToContiguous(leafGradient), layout: Layout(contiguous: leafGradient.shape))
            tensor.grad = withGradients(enabled: createGraph) { tensor.grad.map { $0 + kept } ?? kept }
        }
    }
}

/// Gradients of `output` with respect to each tensor in `inputs` (zeros where `output` does not depend
/// on it), like `torch.autograd.grad`. With `createGraph`, the results can be differentiated again,
/// which gives Hessian-vector products and gradient penalties.
///
/// ```swift
/// let x = Tensor([1, 2, 3], requiresGrad: true)
/// let y = (x * x * x).sum()
/// let g = gradients(of: y, withRespectTo: [x], createGraph: true)[0]   // 3x²
/// let h = gradients(of: g.sum(), withRespectTo: [x])[0]                 // 6x
/// ```
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], gradient: Tensor? = nil,
                      createGraph: Bool = false) -> [Tensor] {
    precondition(output.requiresGrad, "gradients(of:): the output of shape \(describe(output.shape)) was not recorded: "
                 + "no input requires gradients, or it was computed inside withoutGradients")
    let seed = gradient ?? {
        precondition(output.count == 1, "gradients(of:): output of shape \(describe(output.shape)) is not a scalar; pass gradient:")
        return Tensor.ones(output.shape)
    }()
    precondition(seed.shape == output.shape,
                 "gradients(of:): gradient shape \(describe(seed.shape)) differs from output shape \(describe(output.shape))")
    let all = BackwardEngine.run(from: output, seed: seed, createGraph: createGraph).gradients
    return inputs.map { input in
        guard let found = all[ObjectIdentifier(input)] else { return Tensor.zeros(input.shape) }
        return createGraph ? found : found.detached()
    }
}

/// The value of `function` at `inputs` and its gradient with respect to each of them.
///
/// ```swift
/// let (value, grads) = valueAndGradient(at: [w]) { p in ((p[0] - 3) * (p[0] - 3)).sum() }
/// ```
public func valueAndGradient(at inputs: [Tensor], createGraph: Bool = false,
                             of function: ([Tensor]) -> Tensor) -> (value: Tensor, gradients: [Tensor]) {
    let tracked = inputs.map { input -> Tensor in
        if input.requiresGrad { return input }
        let copy = input.detached()
        copy.requiresGrad = true
        return copy
    }
    let value = withGradients(enabled: true) { function(tracked) }
    return (createGraph ? value : value.detached(),
            gradients(of: value, withRespectTo: tracked, createGraph: createGraph))
}

/// The gradient of a scalar function of one tensor.
public func gradient(at input: Tensor, of function: (Tensor) -> Tensor) -> Tensor {
    valueAndGradient(at: [input]) { function($0[0]) }.gradients[0]
}

/// Runs `body` with recording switched on or off.
func withGradients<Result>(enabled: Bool, _ body: () throws -> Result) rethrows -> Result {
    let previous = GradientMode.isEnabled
    GradientMode.isEnabled = enabled
    defer { GradientMode.isEnabled = previous }
    return try body()
}
