//! Builds libzmq 4.3.5 from `libzmq/` with the patches in `patches/` and CURVE on, as a static
//! library, the way boring-sys treats BoringSSL: the vendored tree is never modified; it is
//! copied into `OUT_DIR`, the patches are applied to the copy (exactly, or the build fails), and
//! the copy is compiled with `cc`. libsodium comes from `libsodium-sys-stable` (built from the
//! source it bundles), whose build script tells this one where its headers and library are.
//!
//! The configuration is that of the `zeromq-src` crate (0.3.6+4.3.5, MIT OR Apache-2.0), whose
//! `vendor/` tree `libzmq/` is: the same sources and defines, for Linux, macOS and FreeBSD.
//! On top of it, every `pub const ZMQ_*` of `src/constants.rs` is checked against `zmq.h` at compile
//! time (a `static_assert` each), so a hand-written constant cannot be wrong.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use diffy::patch_set::{FileOperation, ParseOptions, PatchSet};

/// The patches, in the order they are applied (each a unified diff of files under `libzmq/`,
/// paths with one leading component; the text before the first `---` line says what and why).
const PATCHES: &[&str] = &[
    "maxmsgsize-whole-message",
    "accept-backoff",
    "io-error-lingering-engine",
    "handshake-failure-names-peer",
    "monitor-events-never-block",
    "curve-handshake-budget",
    "stalled-input-keeps-connection",
    "pair-takes-the-next-peer",
    "unacknowledged-output-keeps-timeout",
];

/// The directories of `libzmq/` that the build reads and the patches may change.
const SOURCE_DIRS: &[&str] = &["include", "src", "external"];

/// Sources of `libzmq/src` left out: the `wss://` transport needs GnuTLS.
const LEFT_OUT: &[&str] = &["wss_address.cpp", "wss_engine.cpp"];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let vendor = manifest.join("libzmq");
    for dir in SOURCE_DIRS {
        println!("cargo:rerun-if-changed={}", vendor.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("patches").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("src/constants.rs").display()
    );

    let source = out.join("libzmq");
    copy_sources(&vendor, &source);
    for name in PATCHES {
        apply_patch(
            &manifest.join("patches").join(format!("{name}.patch")),
            name,
            &source,
        );
    }
    compile(&manifest, &source, &out);
}

/// Copies [`SOURCE_DIRS`] of `vendor` into `dest`, emptied first.
fn copy_sources(vendor: &Path, dest: &Path) {
    if dest.exists() {
        fs::remove_dir_all(dest).unwrap_or_else(|e| panic!("cannot empty {}: {e}", dest.display()));
    }
    for dir in SOURCE_DIRS {
        copy_dir(&vendor.join(dir), &dest.join(dir));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        fs::read_dir(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", path.display()));
        }
    }
}

/// Applies one patch to the copy in `root`. A hunk whose context does not match exactly fails
/// the build, naming the patch and the file: a libzmq without our patches is never linked in
/// silently.
fn apply_patch(path: &Path, name: &str, root: &Path) {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut files = 0;
    for file in PatchSet::parse(&text, ParseOptions::unidiff()) {
        let file = file.unwrap_or_else(|e| panic!("patches/{name}.patch: not a unified diff: {e}"));
        let target = match file.operation().strip_prefix(1) {
            FileOperation::Modify { original, modified } if original == modified => {
                original.into_owned()
            }
            _ => panic!("patches/{name}.patch: only changes to existing files are supported"),
        };
        let patch = file
            .patch()
            .as_text()
            .unwrap_or_else(|| panic!("patches/{name}.patch: {target}: not a text patch"));
        let file_path = root.join(&target);
        let original = fs::read_to_string(&file_path)
            .unwrap_or_else(|e| panic!("patches/{name}.patch: cannot read libzmq/{target}: {e}"));
        let patched = diffy::apply(&original, patch).unwrap_or_else(|e| {
            panic!("patches/{name}.patch does not apply to libzmq/{target}: {e}")
        });
        fs::write(&file_path, patched)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file_path.display()));
        files += 1;
    }
    assert!(files > 0, "patches/{name}.patch changes no file");
}

/// Compiles the patched copy into `out/lib/libzmq.a` and tells Cargo how to link it.
fn compile(manifest: &Path, source: &Path, out: &Path) {
    let target = env::var("TARGET").expect("TARGET");
    let sodium_include = env::var_os("DEP_SODIUM_INCLUDE").map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "libsodium-sys-stable did not say where libsodium's headers are (DEP_SODIUM_INCLUDE); \
             with SODIUM_USE_PKG_CONFIG or SODIUM_LIB_DIR set, install libsodium's development \
             files (Debian: libsodium-dev), or unset them to build the bundled libsodium"
        )
    });

    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++11")
        .warnings(false)
        .include(source.join("include"))
        .include(source.join("src"))
        .include(&sodium_include)
        .define("ZMQ_BUILD_TESTS", "OFF")
        .define("ZMQ_USE_CV_IMPL_STL11", "1")
        .define("ZMQ_STATIC", "1")
        .define("ZMQ_USE_BUILTIN_SHA1", "1")
        .define("ZMQ_HAVE_WS", "1")
        // CURVE, through libsodium.
        .define("ZMQ_USE_LIBSODIUM", "1")
        .define("ZMQ_HAVE_CURVE", "1")
        // libsodium has had the `crypto_box_easy` functions since 1.0.0: with them libzmq
        // encrypts and decrypts CURVE messages in place (its own build never sets this).
        .define("ZMQ_HAVE_CRYPTO_BOX_EASY_FNS", "1");

    // libzmq includes "platform.hpp", which its CMake or autotools build would generate: the
    // defines are given here instead, so it is empty.
    let config = out.join("config");
    fs::create_dir_all(&config).expect("create the config directory");
    fs::write(config.join("platform.hpp"), "").expect("write platform.hpp");
    build.include(&config);

    if target.contains("linux") {
        build
            .define("ZMQ_HAVE_LINUX", "1")
            .define("ZMQ_IOTHREAD_POLLER_USE_EPOLL", "1")
            .define("ZMQ_POLL_BASED_ON_POLL", "1")
            .define("ZMQ_HAVE_IPC", "1")
            .define("HAVE_STRNLEN", "1")
            .define("ZMQ_HAVE_UIO", "1")
            .define("ZMQ_HAVE_STRUCT_SOCKADDR_UN", "1");
    } else if target.contains("apple") || target.contains("freebsd") {
        build
            .define("ZMQ_IOTHREAD_POLLER_USE_KQUEUE", "1")
            .define("ZMQ_POLL_BASED_ON_POLL", "1")
            .define("HAVE_STRNLEN", "1")
            .define("ZMQ_HAVE_UIO", "1")
            .define("ZMQ_HAVE_IPC", "1")
            .define("ZMQ_HAVE_STRUCT_SOCKADDR_UN", "1");
    } else {
        panic!("netgear-zmq-sys builds libzmq for Linux, macOS and FreeBSD, not for {target}");
    }
    if has_strlcpy(&target, out) {
        build.define("ZMQ_HAVE_STRLCPY", "1");
    }

    check_constants(manifest, source, out);
    let lib = out.join("lib");
    compile_library(build, source, &lib);
    // For crates that compile C against this libzmq (`DEP_ZMQ_INCLUDE`, `DEP_ZMQ_ROOT`).
    println!("cargo:include={}", source.join("include").display());
    println!("cargo:root={}", out.display());
}

/// Compiles libzmq's sources in `source` into `lib/libzmq.a` (`cc` tells Cargo to link it,
/// with the C++ standard library).
fn compile_library(mut build: cc::Build, source: &Path, lib: &Path) {
    let mut sources: Vec<PathBuf> = fs::read_dir(source.join("src"))
        .expect("read libzmq/src")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .filter(|p| {
            !LEFT_OUT
                .iter()
                .any(|n| p.file_name().is_some_and(|f| f == *n))
        })
        .collect();
    sources.sort();
    build.files(&sources);
    // SHA-1 for the WebSocket handshake, in C.
    build.cpp(false);
    build.file(source.join("external/sha1/sha1.c"));
    build.include(source.join("external/sha1"));
    build.cpp(true);

    build.out_dir(lib);
    build.compile("zmq");
}

/// Whether the C library has `strlcpy` (musl, Android, BSDs, glibc from 2.38): tried by
/// compiling and linking a one-line program.
fn has_strlcpy(target: &str, out: &Path) -> bool {
    if target.contains("apple") || target.contains("freebsd") || target.contains("musl") {
        return true;
    }
    let probe = out.join("strlcpy_probe.c");
    fs::write(
        &probe,
        "#include <string.h>\nint main(void) { char b[4]; strlcpy(b, \"ab\", sizeof b); return 0; }\n",
    )
    .expect("write the strlcpy probe");
    cc::Build::new()
        .cargo_metadata(false)
        .warnings(false)
        .get_compiler()
        .to_command()
        .arg(&probe)
        .arg("-o")
        .arg(out.join("strlcpy_probe"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Checks, with the C++ compiler, each `pub const ZMQ_NAME: c_int = VALUE;` of `src/constants.rs`
/// against `zmq.h` (a `static_assert` each), and the size of `zmq_msg_t`: a wrong constant fails
/// the build, naming it.
fn check_constants(manifest: &Path, source: &Path, out: &Path) {
    let lib = fs::read_to_string(manifest.join("src/constants.rs")).expect("read src/constants.rs");
    let mut check = String::from(
        "// Generated by build.rs: src/constants.rs's constants against zmq.h.\n#include \"zmq.h\"\n\
         static_assert(sizeof(zmq_msg_t) == 64, \"zmq_msg_t is 64 bytes\");\n",
    );
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub const ZMQ_") else {
            continue;
        };
        let (name, value) = rest
            .split_once(':')
            .and_then(|(name, rest)| Some((name, rest.split_once('=')?.1)))
            .unwrap_or_else(|| panic!("src/constants.rs: cannot read `{line}`"));
        let value = value.trim().trim_end_matches(';').replace('_', "");
        check.push_str(&format!(
            "static_assert(ZMQ_{name} == ({value}), \"src/constants.rs: ZMQ_{name} is not {value} in zmq.h\");\n"
        ));
    }
    let path = out.join("constants_check.cpp");
    fs::write(&path, check).expect("write constants_check.cpp");
    let output = cc::Build::new()
        .cpp(true)
        .std("c++11")
        .cargo_metadata(false)
        .get_compiler()
        .to_command()
        .arg("-fsyntax-only")
        .arg("-I")
        .arg(source.join("include"))
        .arg(&path)
        .output()
        .expect("run the C++ compiler");
    assert!(
        output.status.success(),
        "src/constants.rs's constants do not match zmq.h:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
