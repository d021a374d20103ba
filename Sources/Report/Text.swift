import Foundation
import MonteCarlo

/// The only ways text read from a results folder (grid values, study names, manifest strings)
/// reaches REPORT.md, a gnuplot script or an error message. Such text is data: someone else's
/// results folder must not be able to add Markdown or HTML to the report, nor commands to a plot.
enum Text {
    /// `s` as literal Markdown text, for REPORT.md: letters, digits, spaces and harmless
    /// punctuation (`. , ; : / = + - ( ) %`, and `_` between two letters or digits, which cannot
    /// open emphasis) stay as they are, so numbers, choices and version strings read unchanged;
    /// `<`, `>`, `&` and `"` become HTML entities; every other ASCII punctuation character is
    /// backslash-escaped (CommonMark: a backslash before ASCII punctuation makes it literal);
    /// control and line-breaking characters (which would end a table row or paragraph) become
    /// U+FFFD; the result is cut to 200 characters.
    static func markdown(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars.prefix(200))
        var out = ""
        for (i, c) in scalars.enumerated() {
            func alphanumeric(_ j: Int) -> Bool {
                scalars.indices.contains(j) && scalars[j].isASCII && CharacterSet.alphanumerics.contains(scalars[j])
            }
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "_" where alphanumeric(i - 1) && alphanumeric(i + 1): out.unicodeScalars.append(c)
            case _ where c.isASCII && CharacterSet.alphanumerics.contains(c): out.unicodeScalars.append(c)
            case " ", ".", ",", ";", ":", "/", "=", "+", "-", "(", ")", "%": out.unicodeScalars.append(c)
            case _ where c.isASCII && CharacterSet.punctuationCharacters.union(.symbols).contains(c):
                out += "\\"
                out.unicodeScalars.append(c)
            case _ where c.isASCII: out += "\u{FFFD}"  // controls, DEL
            case _ where CharacterSet.controlCharacters.contains(c) || CharacterSet.newlines.contains(c)
                || c.properties.generalCategory == .format:
                out += "\u{FFFD}"  // C1 controls, line/paragraph separators, bidi overrides
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `s` as it may appear in a gnuplot title or key entry (`set title "…"`, `title '…'`):
    /// a finite number is re-rendered from its parsed value by ``format(_:)``; anything else
    /// keeps only ASCII letters, digits, space, `.`, `+` and `-`, each other character becoming
    /// `?`, cut to 40 characters. So no quote, backslash, newline, `;`, backtick, `@`, `$`, `(`
    /// or enhanced-text markup (`^ _ { } & ~`) from a data file ever enters a script: in a quoted
    /// gnuplot string these characters could end the string, start a command or a macro, or
    /// format the text. Data itself reaches gnuplot only as numbers in data files.
    static func plotLabel(_ s: String) -> String {
        if s.utf8.count <= 40, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || [0x2B, 0x2D, 0x2E, 0x65, 0x45].contains($0) }),
           let x = Double(s), x.isFinite {
            return format(x)
        }
        let kept = s.unicodeScalars.prefix(40).map { c -> Character in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || " .+-".unicodeScalars.contains(c)) ? Character(c) : "?"
        }
        return String(kept)
    }

    /// `s` in double quotes for an error message: one line (controls as \u{…}), at most 60
    /// characters.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars.prefix(60) {
            if c.properties.generalCategory == .control || c.properties.generalCategory == .format
                || CharacterSet.newlines.contains(c) || c == "\"" || c == "\\" {
                out += c == "\"" ? "\\\"" : c == "\\" ? "\\\\" : "\\u{\(String(c.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out + (s.unicodeScalars.count > 60 ? "…\"" : "\"")
    }
}
