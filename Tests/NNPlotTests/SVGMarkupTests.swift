import Testing
@testable import NNPlot

@Suite("SVG helpers")
struct SVGMarkupTests {
    @Test func escapingCoversXMLSpecialCharactersAndControls() {
        #expect(SVGMarkup.escape("T-shirt/top") == "T-shirt/top")
        #expect(SVGMarkup.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
        #expect(SVGMarkup.escape("bell\u{07}") == "bell\u{FFFD}")
        #expect(SVGMarkup.escape("line\nbreak") == "line\nbreak")
    }

    @Test func numbersAreCompactAndAlwaysFinite() {
        #expect(SVGMarkup.number(12) == "12")
        #expect(SVGMarkup.number(12.5) == "12.5")
        #expect(SVGMarkup.number(1.23456) == "1.23")
        #expect(SVGMarkup.number(-0.001) == "0")
        #expect(SVGMarkup.number(-3.256) == "-3.26")
        #expect(SVGMarkup.number(.nan) == "0")
        #expect(SVGMarkup.number(-.infinity) == "0")
        #expect(SVGMarkup.fixed(0.8, decimals: 2) == "0.80")
        #expect(SVGMarkup.fixed(0.05, decimals: 3) == "0.050")
        #expect(SVGMarkup.fixed(1234, decimals: 0) == "1234")
        #expect(SVGMarkup.fixed(-0.5, decimals: 1) == "-0.5")
    }

    @Test func niceScaleCoversTheDataWithRoundSteps() {
        let loss = NiceScale(minimum: 0.29, maximum: 0.52)
        #expect(loss.ticks == [0.2, 0.3, 0.4, 0.5, 0.6])
        #expect(loss.decimals == 1)
        let accuracy = NiceScale(minimum: 0.81, maximum: 0.89)
        #expect(accuracy.lower <= 0.81 && accuracy.upper >= 0.89)
        #expect([0.01, 0.02, 0.05].contains(accuracy.step))
        let counts = NiceScale(minimum: 0, maximum: 968)
        #expect(counts.ticks == [0, 200, 400, 600, 800, 1000])
        #expect(counts.decimals == 0)
    }

    @Test func niceScaleWidensAConstantRange() {
        let constant = NiceScale(minimum: 0.875, maximum: 0.875)
        #expect(constant.lower < 0.875 && constant.upper > 0.875)
        #expect(constant.ticks.count >= 3)
        let zero = NiceScale(minimum: 0, maximum: 0)
        #expect(zero.lower < 0 && zero.upper > 0)
    }

    @Test func niceNumbers() {
        #expect(NiceScale.niceNumber(0.23, round: false) == 0.5)
        #expect(NiceScale.niceNumber(0.23, round: true) == 0.2)
        #expect(NiceScale.niceNumber(7.5, round: true) == 10)
        #expect(NiceScale.niceNumber(130, round: false) == 200)
    }

    @Test func epochTicksAreIntegersStartingAtOne() {
        #expect(NiceScale.epochTicks(count: 1) == [1])
        #expect(NiceScale.epochTicks(count: 5) == [1, 2, 3, 4, 5])
        let many = NiceScale.epochTicks(count: 100)
        #expect(many.first == 1 && many.count <= 12)
        #expect(many.dropFirst().allSatisfy { $0 % 10 == 0 })
    }
}
