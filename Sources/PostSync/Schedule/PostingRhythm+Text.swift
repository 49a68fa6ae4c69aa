import Foundation

extension PostingRhythm {
    /// The stored form (`accounts.schedule_model`): space-separated fields, the counts sparse
    /// (`hour:count`), so that a quiet account costs a few dozen bytes:
    /// `r1 <exposure> <updatedAt> <newest> <excitation> <excitedAt> <motion> <young,…> <hour:count,…>`,
    /// instants as Unix seconds and `-` for none.
    public var text: String {
        func instant(_ date: Date?) -> String { date.map { String(Int64($0.timeIntervalSince1970.rounded())) } ?? "-" }
        func number(_ value: Double) -> String { String(Float(value)) }
        let youngText = young.isEmpty ? "-" : young.map { instant($0) }.joined(separator: ",")
        var sparse: [String] = []
        for (hour, value) in counts where value > 1e-6 { sparse.append("\(hour):\(value)") }
        return [
            "r1", number(exposure), instant(updatedAt), instant(newest), number(excitation), instant(excitedAt),
            number(motion), youngText, sparse.isEmpty ? "-" : sparse.joined(separator: ","),
        ].joined(separator: " ")
    }

    /// Reads the stored form; nil when it is not one (an unknown version starts from the prior
    /// rather than failing the account).
    public init?(text: String) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 9, fields[0] == "r1" else { return nil }
        // A database column: only finite instants within a few thousand years, so that writing
        // them back (whole seconds) cannot trap.
        func seconds(_ field: Substring) -> Double? {
            guard let value = Double(field), value.isFinite, abs(value) < 1e11 else { return nil }
            return value
        }
        func instant(_ field: Substring) -> Date?? {
            if field == "-" { return .some(nil) }
            return seconds(field).map { .some(Date(timeIntervalSince1970: $0)) } ?? nil
        }
        guard let exposure = Double(fields[1]), exposure.isFinite, exposure >= 0, exposure < 1e7,
            let updatedAt = instant(fields[2]), let newest = instant(fields[3]),
            let excitation = Double(fields[4]), excitation.isFinite, excitation >= 0,
            let excitedAt = instant(fields[5]),
            let motion = Double(fields[6]), (0...1).contains(motion)
        else { return nil }
        self.init()
        self.exposure = exposure
        self.updatedAt = updatedAt
        self.newest = newest
        self.excitation = min(excitation, Self.maxExcitation)
        self.excitedAt = excitedAt
        self.motion = motion
        if fields[7] != "-" {
            for item in fields[7].split(separator: ",") {
                guard let value = seconds(item) else { return nil }
                young.append(Date(timeIntervalSince1970: value))
            }
            young = Array(young.sorted().suffix(Self.maxYoung))
        }
        if fields[8] != "-" {
            for item in fields[8].split(separator: ",") {
                let pair = item.split(separator: ":")
                guard pair.count == 2, let hour = Int(pair[0]), (0..<HourOfWeek.count).contains(hour),
                    let count = Float(pair[1]), count.isFinite, count >= 0
                else { return nil }
                counts[hour] = count
            }
        }
    }
}
