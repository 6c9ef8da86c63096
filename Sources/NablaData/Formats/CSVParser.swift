/// One row of a CSV file as text fields, with the line it starts on (quoted fields may span lines).
struct CSVRecord {
    let line: Int
    let fields: [String]
}

/// Splits CSV text into records following RFC 4180: fields separated by `separator`, records by LF, CRLF
/// or CR; a field in double quotes may hold separators, newlines and quotes written twice (`""`).
///
/// Unquoted fields lose surrounding spaces when `trimsWhitespace` is set (quoted ones keep everything);
/// blank lines (empty or, when trimming, only spaces) are skipped; a UTF-8 byte-order mark is ignored. Malformed quoting throws
/// `DataError(.invalidFormat)` with the line number.
func parseCSVRecords(_ bytes: [UInt8], separator: UInt8, trimsWhitespace: Bool, name: String) throws -> [CSVRecord] {
    let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    func isBlank(_ byte: UInt8) -> Bool { byte == space || (byte == tab && separator != tab) }

    try TextEncoding.requireUTF8(bytes, name: name)
    var records: [CSVRecord] = []
    var fields: [String] = []
    var position = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var line = 1
    var recordLine = 1
    var field: [UInt8] = []
    var onlyUnquotedEmptyField = false

    /// Consumes a line ending at `position` if there is one (CRLF counts once).
    func atLineEnd(_ position: inout Int) -> Bool {
        guard position < bytes.count else { return false }
        if bytes[position] == newline { position += 1; return true }
        if bytes[position] == carriageReturn {
            position += 1
            if position < bytes.count && bytes[position] == newline { position += 1 }
            return true
        }
        return false
    }

    while position < bytes.count {
        // At the start of a record: a line with nothing on it is skipped, not a record of one empty field.
        recordLine = line
        if atLineEnd(&position) { line += 1; continue }
        fields = []
        recordLoop: while true {
            field.removeAll(keepingCapacity: true)
            var wasQuoted = false
            if trimsWhitespace { while position < bytes.count && isBlank(bytes[position]) { position += 1 } }
            if position < bytes.count && bytes[position] == quote {
                wasQuoted = true
                let openingLine = line
                position += 1
                while true {
                    guard position < bytes.count else {
                        throw DataError(.invalidFormat, file: name, line: openingLine,
                                        "a quoted field opened on this line is never closed; add the closing \" (quotes inside a field are written twice: \"\")")
                    }
                    let byte = bytes[position]
                    if byte == quote {
                        if position + 1 < bytes.count && bytes[position + 1] == quote {
                            field.append(quote)
                            position += 2
                            continue
                        }
                        position += 1
                        break
                    }
                    if byte == newline || (byte == carriageReturn && !(position + 1 < bytes.count && bytes[position + 1] == newline)) { line += 1 }
                    field.append(byte)
                    position += 1
                }
                if trimsWhitespace { while position < bytes.count && isBlank(bytes[position]) { position += 1 } }
                if position < bytes.count && bytes[position] != separator && bytes[position] != newline && bytes[position] != carriageReturn {
                    throw DataError(.invalidFormat, file: name, line: line,
                                    "text follows a closing quote in field \(fields.count + 1); quote the whole field and write inner quotes twice (\"\")")
                }
            } else {
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == separator || byte == newline || byte == carriageReturn { break }
                    if byte == quote {
                        throw DataError(.invalidFormat, file: name, line: line,
                                        "a quote inside unquoted field \(fields.count + 1); quote the whole field and write inner quotes twice (\"\")")
                    }
                    field.append(byte)
                    position += 1
                }
                if trimsWhitespace { while let last = field.last, isBlank(last) { field.removeLast() } }
            }
            onlyUnquotedEmptyField = fields.isEmpty && field.isEmpty && !wasQuoted
            fields.append(String(decoding: field, as: UTF8.self))
            if position < bytes.count && bytes[position] == separator {
                position += 1
                continue recordLoop
            }
            if atLineEnd(&position) { line += 1 }
            break recordLoop
        }
        // A line of blanks is skipped like an empty one; `""` alone on a line is a real (empty) value.
        if fields.count == 1 && onlyUnquotedEmptyField { continue }
        records.append(CSVRecord(line: recordLine, fields: fields))
    }
    return records
}
