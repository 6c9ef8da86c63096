import Nabla

/// Which keys each query may attend to, for `MultiheadAttention` and the Transformer layers.
///
/// PyTorch spells masks three ways, and its boolean masks mean opposite things in different places
/// (`nn.MultiheadAttention`: True = blocked; `F.scaled_dot_product_attention`: True = allowed), so each
/// reading has its own case here. Shapes: (L, S) for L queries and S keys, or (batch·heads, L, S) with the
/// batch outer and the heads inner, as PyTorch's `attn_mask`.
///
/// ```swift
/// let attention = MultiheadAttention(embedDimension: 8, headCount: 2, batchFirst: true, generator: generator)
/// let (y, _) = attention(query: x, key: x, value: x, mask: .causal)
/// let (z, _) = attention(query: x, key: x, value: x, mask: .additive(Transformer.causalMask(size: 5)))
/// ```
public enum AttentionMask {
    /// 1 where a query may attend to a key, 0 where it may not (`F.scaled_dot_product_attention`'s boolean mask).
    case allowed(Tensor)
    /// 1 where a query may *not* attend to a key (`nn.MultiheadAttention`'s boolean `attn_mask`, True = masked).
    case blocked(Tensor)
    /// Added to the attention scores before the softmax: 0 keeps, −∞ blocks, other values bias
    /// (`nn.MultiheadAttention`'s float `attn_mask`).
    case additive(Tensor)
    /// Query i attends only to keys j ≤ i (aligned at the top left when L ≠ S, as PyTorch's `tril` mask).
    case causal
}

/// Helpers shared by the Transformer layers.
public enum Transformer {
    /// The additive causal mask of `nn.Transformer.generate_square_subsequent_mask`: (size, size) with 0 on
    /// and below the diagonal and −∞ above it, so position i attends only to positions ≤ i.
    ///
    /// ```swift
    /// Transformer.causalMask(size: 3)   // [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]
    /// ```
    public static func causalMask(size: Int) -> Tensor {
        // A product with −∞ would turn the zeros into NaN, so select instead.
        `where`(causalBlocked(queries: size, keys: size), Tensor(scalar: -.infinity), Tensor(scalar: 0))
    }

    /// 1 above the diagonal (blocked), 0 on and below it: (queries, keys).
    static func causalBlocked(queries: Int, keys: Int) -> Tensor {
        var values = [Float](repeating: 0, count: queries * keys)
        for row in 0..<queries { for column in (row + 1)..<Swift.max(keys, row + 1) { values[row * keys + column] = 1 } }
        return Tensor(values, shape: [queries, keys])
    }
}
