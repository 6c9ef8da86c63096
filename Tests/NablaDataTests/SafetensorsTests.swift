import Nabla
@testable import NablaData
import Testing

/// Builds safetensors files by hand (header text as given), for the cases an encoder never writes.
func safetensorsFile(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let length = declaredLength ?? UInt64(headerBytes.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + headerBytes + data
}

@Suite struct SafetensorsTests {
    @Test func writesExactlyWhatThePythonLibraryWrites() throws {
        // The byte vectors of the Rust library's own serialisation tests (safetensors/src/tensor.rs).
        let values = Tensor([0, 1, 2, 3, 4, 5], shape: [1, 2, 3])
        let single = try Safetensors.encode(["attn.0": .float(values)])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        #expect(single == [64, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + [UInt8](repeating: 32, count: 64 - header.utf8.count)
                + values.scalars.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #expect(try Safetensors.encode([:]) == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        #expect(try Safetensors.encode([:], metadata: ["framework": "pt"])
                == [40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}"#.utf8) + [32, 32, 32, 32, 32])
        // Layout: by element type, largest first (I64 before F64 before F32 ...), then by name.
        let mixed = try Safetensors.parse(Safetensors.encode([
            "b": .float(Tensor([1])), "a": .float(Tensor([2])), "c": .integer(IntTensor([3])),
            "d": .float(Tensor([4]), as: .float64), "e": .float(Tensor([5]), as: .float16),
        ]), name: "mixed")
        #expect(mixed.names == ["c", "d", "a", "b", "e"])
    }

    @Test func roundTripsEveryWrittenType() throws {
        let values: [Float] = [0, -1.5, 3.25, 1e-3, 65504, -2e-8, .infinity, 1e30]
        let tensor = Tensor(values, shape: [2, 4])
        let bytes = try Safetensors.encode([
            "f32": .float(tensor), "f64": .float(tensor, as: .float64), "f16": .float(tensor, as: .float16),
            "bf16": .float(tensor, as: .bfloat16), "i64": .integer(IntTensor([-(1 << 62), 0, 7], shape: [3, 1])),
            "scalar": .float(Tensor(scalar: 2.5)), "empty": .float(Tensor.zeros([0, 3])),
        ], metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n ünïcode"])
        let file = try Safetensors.parse(bytes, name: "round.safetensors")
        #expect(file.metadata == ["format": "pt", "note": "quote \" backslash \\ newline \n ünïcode"])
        #expect(try file.tensor("f32").scalars.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try file.tensor("f64").scalars.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try file.tensor("f16").scalars == values.map { floatFromHalfBits(halfBitsFromFloat($0)) })
        #expect(try file.tensor("f16").scalars[4] == 65504)
        #expect(try file.tensor("bf16").scalars == values.map { floatFromBFloat16Bits(bfloat16BitsFromFloat($0)) })
        #expect(try file.intTensor("i64") == IntTensor([-(1 << 62), 0, 7], shape: [3, 1]))
        #expect(try file.tensor("scalar").shape == [] && file.tensor("scalar").item == 2.5)
        #expect(try file.tensor("empty").shape == [0, 3])
        #expect(file.entry("f16")?.dataType == .float16)
        expectDataError(.invalidRequest, containing: ["'missing'"]) { try file.tensor("missing") }
        expectDataError(.unsupported, containing: ["'f32'", "not integers"]) { try file.intTensor("f32") }
    }

    @Test func convertsHalfPrecisionExactly() {
        // Every half value survives half → float → half (NaNs stay NaN).
        for bits in 0...UInt16.max {
            let value = floatFromHalfBits(bits)
            if value.isNaN { #expect(floatFromHalfBits(halfBitsFromFloat(value)).isNaN); continue }
            #expect(halfBitsFromFloat(value) == bits, "half bits \(bits)")
        }
        #if arch(x86_64) || arch(arm64)
        #if !os(macOS)
        // Rounding agrees with the platform's own conversion, subnormals and overflow included.
        let generator = RandomGenerator(seed: 7)
        for _ in 0..<20_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0x7FFF_FFFF | 0x3000_0000) * (generator.next() & 1 == 0 ? 1 : -1)
            let small = value * 1e-4, large = value * 3e4
            for candidate in [value, small, large] where !candidate.isNaN {
                #expect(halfBitsFromFloat(candidate) == Float16(candidate).bitPattern, "float \(candidate)")
            }
        }
        #endif
        #endif
        #expect(floatFromHalfBits(0x0001) == 5.9604645e-08)   // the smallest subnormal half
        #expect(halfBitsFromFloat(65520) == 0x7C00)            // rounds up to infinity, as IEEE says
        #expect(bfloat16BitsFromFloat(1.00390625) == 0x3F80)   // a tie rounds to even
        #expect(bfloat16BitsFromFloat(1.01171875) == 0x3F82)
        #expect(floatFromBFloat16Bits(bfloat16BitsFromFloat(.nan)).isNaN)
    }

    @Test func readsEveryIntegerType() throws {
        func file(_ type: String, _ shape: [Int], _ data: [UInt8]) throws -> SafetensorsFile {
            let header = #"{"x":{"dtype":"\#(type)","shape":\#(shape),"data_offsets":[0,\#(data.count)]}}"#
            return try Safetensors.parse(safetensorsFile(header: header, data: data), name: type)
        }
        #expect(try file("I8", [3], [0x80, 0, 0x7F]).intTensor("x").scalars == [-128, 0, 127])
        #expect(try file("U8", [2], [0, 255]).intTensor("x").scalars == [0, 255])
        #expect(try file("BOOL", [3], [1, 0, 1]).intTensor("x").scalars == [1, 0, 1])
        #expect(try file("I16", [2], [0xD4, 0xFE, 0xFF, 0x7F]).intTensor("x").scalars == [-300, 32767])
        #expect(try file("U16", [1], [0xFF, 0xFF]).intTensor("x").scalars == [65535])
        #expect(try file("I32", [1], [0xF9, 0xFF, 0xFF, 0xFF]).intTensor("x").scalars == [-7])
        #expect(try file("U32", [1], [0x00, 0x28, 0x6B, 0xEE]).intTensor("x").scalars == [4_000_000_000])
        #expect(try file("I64", [1], [5, 0, 0, 0, 0, 0, 0, 0x80]).intTensor("x").scalars == [Int.min + 5])
        #expect(try file("I16", [2], [0xD4, 0xFE, 0xFF, 0x7F]).tensor("x").scalars == [-300, 32767])
        expectDataError(.unsupported, containing: ["too large"]) {
            try file("U64", [1], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).intTensor("x")
        }
        expectDataError(.unsupported, containing: ["8-bit floats"]) { try file("F8_E4M3", [1], [0x38]).tensor("x") }
    }

    @Test func acceptsAnyHeaderOrderAndPadding() throws {
        // Tensors listed out of offset order, white space, zero-sized tensors between others: all valid.
        let header = #"{ "b" : {"dtype":"U8","shape":[2],"data_offsets":[1,3]}, "z":{"dtype":"F32","shape":[0],"data_offsets":[1,1]},"#
            + #" "a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]} }   "#
        let file = try Safetensors.parse(safetensorsFile(header: header, data: [9, 8, 7]), name: "order")
        #expect(file.names == ["a", "z", "b"])
        #expect(try file.intTensor("b").scalars == [8, 7])
    }

    @Test func refusesBrokenFilesWithReasons() {
        func parse(_ bytes: [UInt8]) throws -> SafetensorsFile { try Safetensors.parse(bytes, name: "bad.safetensors") }
        let tensor = #""t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let eight = [UInt8](repeating: 0, count: 8)
        expectDataError(.truncated, containing: ["bad.safetensors", "too few"]) { try parse([1, 0, 0]) }
        expectDataError(.truncated, containing: ["header of 200 bytes"]) { try parse(safetensorsFile(header: "{}", declaredLength: 200)) }
        expectDataError(.invalidFormat, containing: ["more than the 100000000"]) {
            try parse(safetensorsFile(header: "{}", declaredLength: UInt64.max))
        }
        expectDataError(.invalidFormat, containing: ["does not start with '{'"]) { try parse(safetensorsFile(header: " {}")) }
        expectDataError(.invalidFormat, containing: ["not valid JSON"]) { try parse(safetensorsFile(header: "{\(tensor)", data: eight)) }
        expectDataError(.invalidFormat, containing: ["appears twice"]) { try parse(safetensorsFile(header: "{\(tensor),\(tensor)}", data: eight)) }
        expectDataError(.invalidFormat, containing: ["nested deeper"]) {
            try parse(safetensorsFile(header: "{\"t\":" + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"))
        }
        expectDataError(.invalidFormat, containing: ["'t'", "needs 8 bytes", "hold 12"]) {
            try parse(safetensorsFile(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, data: eight + [0, 0, 0, 0]))
        }
        expectDataError(.invalidFormat, containing: ["'u'", "overlaps"]) {
            try parse(safetensorsFile(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight))
        }
        expectDataError(.invalidFormat, containing: ["'t'", "gap"]) {
            try parse(safetensorsFile(header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight))
        }
        expectDataError(.invalidFormat, containing: ["cover 8 bytes", "12 bytes follow"]) {
            try parse(safetensorsFile(header: "{\(tensor)}", data: eight + [1, 2, 3, 4]))
        }
        expectDataError(.truncated, containing: ["'t'", "run past the end"]) { try parse(safetensorsFile(header: "{\(tensor)}", data: [0, 0])) }
        expectDataError(.unsupported, containing: ["'Q8'"]) {
            try parse(safetensorsFile(header: #"{"t":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]))
        }
        expectDataError(.invalidFormat, containing: ["'__metadata__'", "not a string"]) {
            try parse(safetensorsFile(header: #"{"__metadata__":{"epoch":3}}"#))
        }
        expectDataError(.invalidFormat, containing: ["'shape' holds -2"]) {
            try parse(safetensorsFile(header: #"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight))
        }
        expectDataError(.invalidFormat, containing: ["'data_offsets'"]) {
            try parse(safetensorsFile(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}}"#, data: eight))
        }
        expectDataError(.invalidFormat, containing: ["'dtype' is missing"]) {
            try parse(safetensorsFile(header: #"{"t":{"shape":[2],"data_offsets":[0,8]}}"#, data: eight))
        }
        expectDataError(.invalidRequest, containing: ["'__metadata__'"]) { try Safetensors.encode(["__metadata__": .float(Tensor([1]))]) }
    }

    @Test func checksDeclaredSizesBeforeAllocating() {
        // A 1 TB tensor declared in a file of a few hundred bytes: refused by arithmetic, nothing allocated.
        let terabyte = 1 << 40
        let header = #"{"t":{"dtype":"F32","shape":[\#(terabyte / 4)],"data_offsets":[0,\#(terabyte)]}}"#
        expectDataError(.truncated, containing: ["run past the end", "8 bytes"]) {
            try Safetensors.parse(safetensorsFile(header: header, data: [UInt8](repeating: 0, count: 8)), name: "huge")
        }
        // Shapes whose products overflow, even past a zero-sized axis (strides would overflow there).
        for shape in ["[4294967296,4294967296,4294967296]", "[0,4294967296,4294967296,8]", "[9223372036854775807,2]"] {
            expectDataError(.invalidFormat, containing: ["impossibly large"]) {
                try Safetensors.parse(safetensorsFile(header: #"{"t":{"dtype":"U8","shape":\#(shape),"data_offsets":[0,0]}}"#), name: "huge")
            }
        }
        // Header lengths up to 2⁶⁴ − 1 are compared, never allocated.
        for length: UInt64 in [1 << 26, 1 << 40, UInt64(Int.max), UInt64(Int.max) + 1, UInt64.max] {
            #expect(throws: DataError.self) { try Safetensors.parse(safetensorsFile(header: "{}", declaredLength: length), name: "lie") }
        }
    }

    @Test func writesFilesAtomically() throws {
        let folder = TemporaryFolder()
        let path = folder.file("weights.safetensors")
        try Safetensors.write(["w": Tensor([1, 2])], to: path)
        try Safetensors.write(["w": Tensor([3, 4, 5])], metadata: ["format": "pt"], to: path)
        #expect(folder.contents == ["weights.safetensors"])
        let file = try Safetensors.read(path)
        #expect(try file.tensors().mapValues(\.scalars) == ["w": [3, 4, 5]])
        expectDataError(.notFound, containing: ["nowhere.safetensors"]) { try Safetensors.read(folder.file("nowhere.safetensors")) }
    }
}
