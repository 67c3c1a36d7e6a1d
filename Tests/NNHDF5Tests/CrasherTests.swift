import Foundation
import Testing
@testable import NNHDF5
import NNTestSupport

/// Inputs on which libhdf5 1.10.8 itself crashed (see Fixtures/hdf5/crashers/README.md).
/// The wrapper must refuse them with `HDF5Error.corruptFile` before libhdf5 gets there.
@Suite struct CrasherTests {
    static let crashers = [
        "gcol-object-size-1.h5", "gcol-object-size-2.h5", "gcol-object-size-3.h5",
        "gcol-object-size-4.h5", "gcol-object-size-5.h5", "gcol-object-size-double-free.h5",
        "vlen-heap-index.h5", "attribute-dataspace-size.h5", "vlen-heap-index-chunk-73.h5",
    ]

    /// A superblock whose base address field differs from its position: libhdf5 moves the stored
    /// end-of-file address by the difference and opens the file, so the root header (whose
    /// continuation chunk declares 16 GiB, which libhdf5 allocated) must be checked then too.
    @Test func rootHeaderBehindAMovedBaseAddressIsRefused() throws {
        let path = Repository.fixture("fuzz/regressions/h5/superblock-base-address-moves-eof.h5")
        let bytes = try Repository.fixtureBytes("fuzz/regressions/h5/superblock-base-address-moves-eof.h5")
        for open in [{ try HDF5File(readingFrom: path) }, { try HDF5File(bytes: bytes, name: "moved.h5") }] {
            let error = #expect(throws: HDF5Error.self) { _ = try open().root.attributeNames() }
            guard case let .corruptFile(_, _, detail)? = error else {
                Issue.record("expected corruptFile, got \(String(describing: error))")
                continue
            }
            #expect(detail.contains("17179869440-byte chunk"), "\(detail)")
        }
    }

    /// A datatype whose opaque tag runs past its message, at the top (found by the fuzzer) or as
    /// the base type of a variable-length string: libhdf5 copies the tag the bit field declares.
    @Test(arguments: [("fuzz/regressions/h5/opaque-tag-overrun.h5", "opaque"), ("hdf5/crashers/opaque-tag-in-vlen-base.h5", "nested")])
    func datatypesAreParsedWhole(fixture: String, label: String) throws {
        let file = try HDF5File(bytes: try Repository.fixtureBytes(fixture), name: label)
        let error = #expect(throws: HDF5Error.self) {
            _ = try file.root.group("model_weights").group("dense").stringArrayAttribute("weight_names")
        }
        guard case let .corruptFile(_, _, detail)? = error else {
            Issue.record("\(label): expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("opaque datatype's 135-byte tag overruns its message"), "\(detail)")
    }

    /// A file with a 512-byte user block (written by h5py) opens and reads; the same file whose root
    /// object header declares a 2 GiB first chunk is refused before libhdf5 allocates it (the
    /// pre-open check used to count the user block twice and skip such files).
    @Test func userBlockFilesAreCheckedBeforeOpening() throws {
        let sound = try HDF5File(readingFrom: Fixture.path("userblock_512.h5"))
        #expect(try sound.root.dataset("weights").readFloats() == [0, 1, 2, 3, 4, 5])
        #expect(try sound.root.stringAttribute("keras_version") == "3.15.1")
        let path = Fixture.path("crashers/userblock-root-header-2GiB.h5")
        let error = #expect(throws: HDF5Error.self) { _ = try HDF5File(readingFrom: path).root.attributeNames() }
        guard case let .corruptFile(_, _, detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("declares a first chunk larger than the rest of the file"), "\(detail)")
    }

    /// A dataset whose compact storage holds fewer bytes than its shape needs (libhdf5 1.10 copied
    /// the shape's size out of a 0-byte buffer, from address 0) is refused when opened.
    @Test func compactStorageMustHoldTheData() throws {
        let name = "compact-buffer-smaller-than-data.h5"
        let file = try HDF5File(bytes: try Repository.fixtureBytes("fuzz/regressions/h5/" + name), name: name)
        let layer = try file.root.group("model_weights").group("act_relu6").group("act_relu6")
        let error = #expect(throws: HDF5Error.self) { _ = try layer.dataset("bias:0").readFloats() }
        guard case let .corruptFile(_, _, detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("compact storage holds 0 bytes"), "\(detail)")
        // The other layers' weights still read.
        #expect(try file.root.group("model_weights").group("act_relu").group("act_relu").dataset("bias:0").readFloats().count == 6)
    }

    /// A group B-tree that loops (libhdf5 recursed until the stack overflowed) or whose nodes
    /// are shared by many parents (an exponential walk) is refused, quickly, before libhdf5
    /// walks it.
    @Test(arguments: ["btree-loop.h5", "btree-shared-nodes.h5"])
    func damagedGroupBTreeIsRefused(name: String) throws {
        let file = try HDF5File(bytes: try Fixture.bytes("crashers/" + name), name: name)
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: HDF5Error.self) { _ = try file.root.group("model_weights").memberNames() }
        guard case let .corruptFile(_, _, detail)? = error else {
            Issue.record("\(name): expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("twice"), "\(detail)")
        #expect(clock.now - start < .seconds(30))  // a guard against a hang, not a speed target
        #expect(exerciseEverything(in: file).foreignErrors.isEmpty)
    }

    @Test(arguments: crashers)
    func crasherIsRefused(name: String) throws {
        let path = Fixture.path("crashers/" + name)
        for file in [try HDF5File(readingFrom: path), try HDF5File(bytes: try Fixture.bytes("crashers/" + name), name: name)] {
            let root = try file.root
            let error = #expect(throws: HDF5Error.self) { try root.attributeNames() }
            guard case let .corruptFile(errorFile, errorPath, detail)? = error else {
                Issue.record("\(name): expected corruptFile, got \(String(describing: error))")
                continue
            }
            #expect(errorFile == file.path)
            #expect(errorPath == "/")
            #expect(!detail.isEmpty)
            // Everything else is refused or works, without crashing.
            let result = exerciseEverything(in: file)
            #expect(result.foreignErrors.isEmpty)
            try file.close()  // closing used to double-free for one of these
        }
    }

    /// Corrupt attribute messages that made `H5Aiterate2` crash while cleaning up
    /// after a decoding failure. Listing now comes from the checked object header;
    /// reading the damaged attribute fails with an error.
    @Test(arguments: ["attribute-table-cleanup-1.h5", "attribute-table-cleanup-2.h5",
                      "attribute-table-cleanup-3.h5", "attribute-table-cleanup-4.h5"])
    func attributeListingSurvives(name: String) throws {
        let path = Fixture.path("crashers/" + name)
        for file in [try HDF5File(readingFrom: path), try HDF5File(bytes: try Fixture.bytes("crashers/" + name), name: name)] {
            let root = try file.root
            if let names = try? root.attributeNames() {
                #expect(!names.isEmpty)
                for attribute in names {
                    _ = try? root.stringAttribute(attribute)
                    _ = try? root.numericAttribute(attribute)
                }
            }
            let result = exerciseEverything(in: file)
            #expect(result.foreignErrors.isEmpty)
            try file.close()
        }
    }

    /// Chunk dimensions larger than the dataset's fixed maximum dimensions made
    /// `H5Dread` copy chunk data out of bounds.
    @Test func chunkLargerThanDatasetIsRefused() throws {
        let path = Fixture.path("crashers/chunk-dims-exceed-dataset.h5")
        let root = try HDF5File(readingFrom: path).root
        let error = #expect(throws: HDF5Error.self) { try root.dataset("chunked_gzip") }
        guard case let .corruptFile(file, datasetPath, detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(file == path)
        #expect(datasetPath == "/chunked_gzip")
        #expect(detail.contains("[10, 8202]"), "\(detail)")
        #expect(try root.dataset("compact").readFloats() == [1, 2, 3, 4])
    }

    @Test func heapObjectOverrunIsDescribed() throws {
        let root = try HDF5File(readingFrom: Fixture.path("crashers/gcol-object-size-1.h5")).root
        let error = #expect(throws: HDF5Error.self) { try root.stringArrayAttribute("layer_names") }
        #expect(error?.description.contains("overrunning its collection") == true, "\(String(describing: error))")
    }

    /// Version-2 object headers and dense attribute storage pass the checks.
    @Test func latestFormatIsAccepted() throws {
        let root = try HDF5File(readingFrom: Fixture.path("h5py_latest.h5")).root
        let group = try root.group("g")
        #expect(try group.stringArrayAttribute("names") == ["alpha", "beta"])
        #expect(try group.stringAttribute("title") == "t\u{ef}tle")
        #expect(try group.stringArrayAttribute("empty") == [])
        let dataset = try group.dataset("d")
        #expect(try dataset.readFloats() == [0, 1, 2])
        #expect(try dataset.stringAttribute("unit") == "m")
        let many = try root.group("many")
        let names = try many.attributeNames()
        #expect(names.count == 20)
        for index in 0..<20 {
            let name = String(format: "a%02d", index)
            #expect(try many.stringAttribute(name) == "value \(index)")
        }
    }
}
