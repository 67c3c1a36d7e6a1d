/// Standalone SVG charts for training diagnostics.
///
/// Every function returns a complete UTF-8 SVG document (XML declaration,
/// `xmlns`, `width`, `height` and `viewBox`) that any browser opens. All
/// caller-supplied text is XML-escaped, and no coordinate or label is ever
/// `NaN` or `inf`.
package enum SVGChart {
    /// Line colours, in order of a series' position within its panel.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    /// Colour of axis lines, ticks and labels.
    static let axisColor = "#333333"
    /// Colour of grid lines.
    static let gridColor = "#e3e3e3"
}
