import Foundation
import NNTestSupport
import Testing
@testable import NNHDF5

/// `HDF5Group.listing()`: every object of a file, as `h5ls -r` lists them, without following a
/// link or reading data, within its limits.
@Suite struct ListingTests {
    @Test func listsEveryDatasetOfAnH5pyFileWithTypeAndShape() throws {
        let listing = try HDF5File(readingFrom: Fixture.path(Fixture.h5pyTypes)).root.listing()
        #expect(listing.omitted == 0)
        var datasets: [String: (HDF5ElementType, [Int])] = [:]
        for entry in listing.entries {
            if case let .dataset(type, shape) = entry.kind { datasets[entry.path] = (type, shape) }
        }
        #expect(datasets.count == 13, "\(listing.entries.map(\.path))")
        #expect(datasets["/f16"].map { $0.0 == .float16 && $0.1 == [8] } == true)
        #expect(datasets["/f32_be"].map { $0.0 == .float32 && $0.1 == [2, 3] } == true)
        #expect(datasets["/f64_scalar"].map { $0.0 == .float64 && $0.1 == [] } == true)
        #expect(datasets["/i64"].map { $0.0 == .integer(bits: 64, signed: true) && $0.1 == [2] } == true)
        #expect(datasets["/str_ds"]?.0 == .string)
        #expect(datasets["/compound"].map { $0.0 == .other("compound") && $0.1 == [2] } == true)
        #expect(datasets["/chunked_gzip"].map { $0.0 == .float32 && $0.1 == [100, 10] } == true)
        // HDF5's name order: byte-wise.
        #expect(listing.entries.map(\.path) == listing.entries.map(\.path).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test func groupsComeBeforeTheirMembers() throws {
        let listing = try HDF5File(readingFrom: Fixture.path("h5py_latest.h5")).root.listing()
        #expect(listing.entries.map(\.path) == ["/g", "/g/d", "/many"])
        #expect(listing.entries.first?.kind == .group)
        #expect(listing.entries[1].kind == .dataset(elementType: .float32, shape: [3]))
    }

    /// Links are listed, never followed; a hard link back to a group is listed once, not entered
    /// again; an external dataset is listed as refused.
    @Test func linksAreListedAndCyclesAreNotEntered() throws {
        let directory = try TemporaryDirectory()
        let path = try RefusalTests.writeLinkFile(in: directory)
        do {
            let file = try HDF5File(readingFrom: path)
            defer { try? file.close() }
            let listing = try file.root.listing()
            var kinds: [String: HDF5Listing.Kind] = [:]
            for entry in listing.entries { kinds[entry.path] = entry.kind }
            #expect(kinds["/g"] == .group)
            #expect(kinds["/g/d"] == .dataset(elementType: .float32, shape: [2]))
            #expect(kinds["/g/cycle"] == .alreadyListed(path: "/g"))
            #expect(kinds["/loop"] == .other(.softLink(target: "/loop")))
            #expect(kinds["/alias"] == .other(.softLink(target: "/g/d")))
            #expect(kinds["/ext"] == .other(.externalLink(file: directory.path("other.h5"), path: "/data")))
            #expect(listing.entries.count == 13, "\(listing.entries.map(\.path))")
        }
        let external = directory.path("external.h5")
        do {
            let file = try HDF5File.createOnDisk(at: external)
            try HDF5TestSupport.createExternalDataset(in: try file.root, name: "raw", externalFile: directory.path("raw.bin"), count: 4)
            try file.close()
        }
        let listing = try HDF5File(readingFrom: external).root.listing()
        guard case let .refused(error)? = listing.entries.first?.kind, case .externalDataset = error else {
            Issue.record("expected a refused external dataset, found \(listing.entries)")
            return
        }
    }

    @Test func stopsAtTheObjectAndDepthLimits() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("deep.h5")
        do {
            let file = try HDF5File.createOnDisk(at: path)
            let root = try file.root
            for i in 0..<10 { try root.createDataset("d\(i)", shape: [1], floats: [Float(i)]) }
            try root.createGroup("a/b/c/d")
            try file.close()
        }
        let root = try HDF5File(readingFrom: path).root
        let all = try root.listing()
        #expect(all.entries.count == 14 && all.omitted == 0)
        let few = try root.listing(maximumObjects: 4)
        #expect(few.entries.map(\.path) == ["/a", "/a/b", "/a/b/c", "/a/b/c/d"], "\(few.entries)")
        #expect(few.omitted == 10, "the root's other 10 members")
        let shallow = try root.listing(maximumDepth: 2)
        #expect(shallow.entries.map(\.path).filter { $0.hasPrefix("/a") } == ["/a", "/a/b"])
        #expect(shallow.omitted == 1, "the members of /a/b are counted, not listed")
    }

    @Test func attributeValuesAreReadAsStored() throws {
        let root = try HDF5File(readingFrom: Fixture.path(Fixture.h5pyTypes)).root
        #expect(try root.attributeValue("ints") == .numbers([1, 2, 3], scalar: false))
        #expect(try root.attributeValue("scalar_number") == .numbers([2.5], scalar: true))
        #expect(try root.attributeValue("vlen_utf8") == .strings(["h\u{e9}llo \u{2713}"], scalar: true))
        #expect(try root.attributeValue("absent") == nil)
        #expect(throws: HDF5Error.self) { try root.attributeValue("bad_utf8") }
    }
}
