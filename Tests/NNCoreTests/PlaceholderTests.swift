import Testing
@testable import NNCore
@Test func placeholder() { #expect(Bool(true)) }
