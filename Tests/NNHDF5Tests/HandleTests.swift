import Testing
import NNTestSupport
@testable import NNHDF5

/// Every HDF5 identifier the wrapper opens is closed again, on success and on error paths.
@Suite struct HandleTests {
    @Test func readingLeavesOnlyTheFileOpen() throws {
        let file = try HDF5File(readingFrom: Fixture.path(Fixture.kerasWeights))
        #expect(HDF5TestSupport.openObjectCount(in: file) == 1)
        do {
            let root = try file.root
            _ = try root.memberNames()
            _ = try root.attributeNames()
            _ = try root.stringArrayAttribute("layer_names")
            _ = try root.stringAttribute("keras_version")
            let dense = try root.group("dense")
            _ = try dense.stringArrayAttribute("weight_names")
            _ = try root.group("flatten").numericAttribute("weight_names")
            let kernel = try dense.dataset("dense/kernel:0")
            _ = try kernel.readFloats()
            _ = try kernel.readDoubles()
            // Error paths.
            _ = try? root.group("missing")
            _ = try? root.dataset("dense")
            _ = try? root.stringAttribute("layer_names")
            _ = try? root.numericAttribute("keras_version")
            _ = try? root.hasMember("dense/nope/x")
            #expect(HDF5TestSupport.openObjectCount(in: file) == 4)  // file, root, dense, kernel
        }
        #expect(HDF5TestSupport.openObjectCount(in: file) == 1)
    }

    @Test func refusalsLeaveOnlyTheFileOpen() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File(readingFrom: try RefusalTests.writeLinkFile(in: directory))
        do {
            let root = try file.root
            for name in ["ext", "ext_group/data", "dangling", "loop", "through_ext", "malformed", "alias", "g/cycle/d"] {
                _ = try? root.dataset(name)
                _ = try? root.group(name)
                _ = try? root.kind(of: name)
            }
        }
        #expect(HDF5TestSupport.openObjectCount(in: file) == 1)
    }

    @Test func writingLeavesOnlyTheFileOpen() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File.createOnDisk(at: directory.path("w.h5"))
        do {
            let root = try file.root
            let group = try root.createGroup("a/b")
            try group.createDataset("d", shape: [2], floats: [1, 2])
            try group.setStringArrayAttribute("names", RoundTripTests.bigNames)
            try group.setStringAttribute("s", "x")
            try group.setEmptyFloat64ArrayAttribute("e")
            _ = try? group.createDataset("bad", shape: [3], floats: [1])
            _ = try? group.createGroup("a/b")
        }
        #expect(HDF5TestSupport.openObjectCount(in: file) == 1)
        try file.close()
        #expect(HDF5TestSupport.openObjectCount(in: file) == 0)
    }
}
