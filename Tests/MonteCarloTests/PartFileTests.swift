import Foundation
@testable import MonteCarlo
import Testing

/// Records are written by JSONEncoder and read back through the strict parser and JSONDecoder:
/// every finite double must come back with the same bits, and a non-finite one as NaN (`null`).
@Test func recordNumbersRoundTripExactly() throws {
    var state: UInt64 = 0x2545_f491_4f6c_dd1d
    func next() -> UInt64 {  // a 64-bit LCG with its high bits folded in: deterministic bits
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ state >> 29
    }
    var values: [Double] = [-0.0, 0, 1e308, -1e308, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                            .leastNormalMagnitude, 0x1p53, 0x1p53 + 2, 1e15, 1e16, 123456789012345680, 0.1, 1 / 3]
    values += (0..<20_000).map { _ in Double(bitPattern: next()) }.filter(\.isFinite)
    values += (0..<5_000).map { _ in Double(bitPattern: next() & (1 << 52 - 1) | (next() & 1) << 63) }  // subnormals
    let records = stride(from: 0, to: values.count, by: 10).map { PartFile.Record(item: $0, values: Array(values[$0..<min($0 + 10, values.count)])) }
    let json = try JSONEncoder().encode(records + [PartFile.Record(item: 1, values: [.nan, .infinity, 2])])
    guard case .array(let parsed) = try JSONValue.parse(Array(json)) else { Issue.record("not an array"); return }
    let decoded = try JSONDecoder().decode([PartFile.Record].self, from: json)
    var strict: [Double] = [], lenient: [Double] = []
    for (value, record) in zip(parsed.dropLast(), decoded.dropLast()) {
        guard case .array(let fields) = value else { Issue.record("not a record"); return }
        strict += fields.dropFirst().map { if case .number(let x) = $0 { x } else { .nan } }
        lenient += record.values
    }
    #expect(strict.map(\.bitPattern) == values.map(\.bitPattern))
    #expect(lenient.map(\.bitPattern) == values.map(\.bitPattern))
    #expect(decoded.last!.values[0].isNaN && decoded.last!.values[1].isNaN && decoded.last!.values[2] == 2)
    #expect(String(decoding: try JSONEncoder().encode(PartFile.Record(item: 3, values: [.nan, -0.0, 1e308])), as: UTF8.self)
            == "[3,null,-0,1e+308]")
}

/// The seal covers every byte before the digest: changing any one of them breaks it.
@Test func oneEditedByteBreaksTheSeal() {
    let body = #"{"config":"{\"name\":\"x\"}","format":"hessian-study-part/3","records":[[0,1.5,null]],"shard":1,"shards":2,"#
    let sealed = Array(PartFile.sealed(body).utf8)
    #expect(PartFile.isSealed(sealed))
    #expect(String(decoding: sealed, as: UTF8.self).hasSuffix("\"}\n"))
    for index in sealed.indices {
        var edited = sealed
        edited[index] ^= 0x01
        #expect(!PartFile.isSealed(edited), "byte \(index)")
    }
    #expect(!PartFile.isSealed(Array(sealed.dropFirst())) && !PartFile.isSealed(Array(sealed.dropLast())))
}

