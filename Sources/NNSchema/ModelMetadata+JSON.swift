extension ModelMetadata {
    /// The version of the metadata and optimizer-record JSON (`major.minor`): the `.nnm` format
    /// version whose header defines them (`Spec/FORMAT.md`). Files of other formats that carry
    /// nnmodel's metadata record it beside the JSON.
    public static let schemaVersion = "1.0"

    /// The metadata as a JSON object (the `.nnm` header's `metadata`; see `Spec/FORMAT.md`).
    public var json: JSON {
        let m = self
        var members: [(key: String, value: JSON)] = []
        if let v = m.producer { members.append(("producer", .string(v))) }
        if let v = m.createdAt { members.append(("created", .string(v))) }
        if let v = m.classNames { members.append(("class_names", .array(v.map { .string($0) }))) }
        if let v = m.dataset { members.append(("dataset", .string(v))) }
        if let v = m.loss { members.append(("loss", .string(v))) }
        if let v = m.optimizer { members.append(("optimizer", v)) }
        if let v = m.history { members.append(("history", v.json)) }
        if !m.user.isEmpty { members.append(("user", .object(m.user.map { ($0.key, .string($0.value)) }))) }
        if let i = m.interruption {
            members.append(("interrupted", .object([("epoch", .int(i.epoch)), ("batch", .int(i.batch)), ("batches", .int(i.batches))])))
        }
        let known = Set(members.map(\.key) + ["user", "interrupted"])
        members += m.extra.filter { !known.contains($0.key) }
        return .object(members)
    }

    /// Reads the form written by ``json``; fields it does not know are kept in ``extra``.
    public init(json m: JSON) throws(MetadataError) {
        func invalid(_ reason: String) -> MetadataError { MetadataError(reason: reason) }
        guard let members = m.objectValue else { throw invalid("expected an object, found \(m.kindName)") }
        var meta = ModelMetadata()
        func string(_ key: String) throws(MetadataError) -> String? {
            guard let v = m[key], !v.isNull else { return nil }
            guard let s = v.stringValue else { throw invalid("'\(key)' should be a string, found \(v.kindName)") }
            return s
        }
        meta.producer = try string("producer")
        meta.createdAt = try string("created")
        meta.dataset = try string("dataset")
        meta.loss = try string("loss")
        if let names = m["class_names"], !names.isNull {
            guard let list = names.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw invalid("'class_names' should be an array of strings")
            }
            meta.classNames = list.compactMap(\.stringValue)
        }
        if let o = m["optimizer"], !o.isNull { meta.optimizer = o }
        if let h = m["history"], !h.isNull {
            do { meta.history = try History(json: h) } catch { throw invalid("history: \(error)") }
        }
        if let u = m["user"], !u.isNull {
            guard let entries = u.objectValue else { throw invalid("'user' should be an object of strings") }
            for (k, v) in entries {
                guard let s = v.stringValue else { throw invalid("user entry '\(k)' should be a string, found \(v.kindName)") }
                meta.user.append((k, s))
            }
        }
        if let i = m["interrupted"], !i.isNull {
            guard let epoch = i["epoch"]?.intValue, let batch = i["batch"]?.intValue, let batches = i["batches"]?.intValue,
                  epoch >= 0, batch >= 0, batches >= batch else {
                throw invalid("'interrupted' should be an object of non-negative integers epoch, batch and batches (batch <= batches)")
            }
            meta.interruption = Interruption(epoch: epoch, batch: batch, batches: batches)
        }
        let known: Set<String> = ["producer", "created", "dataset", "loss", "class_names", "optimizer", "history", "user",
                                  "interrupted"]
        meta.extra = members.filter { !known.contains($0.key) }
        self = meta
    }
}
