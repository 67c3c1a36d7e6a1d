import Foundation
import NNTestSupport
import Testing
@testable import NNHDF5

/// HDF5 must never print its diagnostics to stderr, on any thread.
@Suite(.serialized) struct StderrTests {
    /// Positive control: the capture does see HDF5's error printer.
    @Test func captureSeesHDF5Diagnostics() {
        let output = StderrCapture.capture { HDF5TestSupport.printErrorStack() }
        #expect(StderrCapture.containsHDF5Diagnostics(output))
    }

    /// Every kind of failure, on this thread and on fresh threads, prints nothing.
    @Test func failuresPrintNothing() throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 11)
        let garbage = try directory.write("garbage.h5", (0..<2048).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let empty = try directory.write("empty.h5", [])
        let real = try Fixture.bytes(Fixture.kerasWeights)
        let truncated = try directory.write("truncated.h5", Array(real.prefix(20000)))
        let linkFile = try RefusalTests.writeLinkFile(in: directory)

        @Sendable func provoke() {
            for path in [garbage, empty, truncated, directory.path("missing.h5")] {
                _ = try? HDF5File(readingFrom: path)
            }
            _ = try? HDF5File(bytes: Array(real.prefix(5000)), name: "image.h5")
            _ = try? HDF5File.createOnDisk(at: directory.path("no/such/dir/x.h5"))
            if let root = try? HDF5File(readingFrom: linkFile).root {
                for name in ["ext", "dangling", "loop", "through_ext", "nope", "g/nope/x"] {
                    _ = try? root.dataset(name)
                    _ = try? root.hasMember(name)
                }
                _ = try? root.stringAttribute("missing")
                _ = try? root.group("g").createGroup("x")
            }
        }

        let output = StderrCapture.capture {
            provoke()
            // Fresh OS threads: libhdf5's error stack (and its printing switch) is per thread.
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                let thread = Thread {
                    provoke()
                    done.leave()
                }
                thread.start()
            }
            done.wait()
        }
        #expect(!StderrCapture.containsHDF5Diagnostics(output), "stderr: \(output)")
    }
}
