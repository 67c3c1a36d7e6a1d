extension Activation {
    /// `f(x)` for an element-wise activation (the identity for softmax, which works on rows), for
    /// code outside the engine that needs the exact definition nnmodel computes.
    package func value(at x: Float) -> Float { scalar(x) }
}
