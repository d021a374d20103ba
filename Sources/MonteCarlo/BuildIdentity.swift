import CBuildID
import Foundation

/// Which build of the package is running: the linker's build ID (`NT_GNU_BUILD_ID`, a SHA-1 the
/// linker computes over the linked image) of the executable or library this code was linked
/// into. It changes whenever the code, the compiler, the flags or a library linked statically
/// change, which is whenever the numbers can; it stays the same across runs of one build. Part
/// files and checkpoints carry it in their version (``version``), so that `merge` and
/// `run --resume` refuse statistics another build computed; manifests record it too.
public enum BuildIdentity {
    /// The package's release, for people; ``version`` is what is compared.
    public static let release = "0.2.0"

    /// `RELEASE+build.<build ID in hex>`, or `RELEASE+build.unknown` where the image has no
    /// build ID (a linker run without `--build-id`).
    public static let version = "\(release)+build.\(buildID ?? "unknown")"

    /// The build ID of the image holding this code, in lowercase hex; nil if it has none.
    public static let buildID: String? = {
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = Int(hs_build_id(#dsohandle, &bytes, Int32(bytes.count)))
        return count > 0 ? lowercaseHex(bytes.prefix(count)) : nil
    }()
}
