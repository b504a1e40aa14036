//! Compresses the dashboard's static files once, at build time: the files in `assets/`
//! and plotly.js as the `plotly` crate ships it. Writes `assets.rs` (a table of every
//! file with its gzip and brotli forms) and a version that changes with any content,
//! so browsers may cache the files for good.

use std::{
    fmt::Write as _,
    io::Write as _,
    path::{Path, PathBuf},
};

/// plotly.js's own banner: what the first script of the crate's offline sources must be.
const PLOTLY_BANNER: &str = "/**\n* plotly.js v";

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let assets_dir = Path::new("assets");
    println!("cargo::rerun-if-changed=assets");

    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(assets_dir)
        .expect("dashboard/assets exists")
        .map(|entry| {
            let path = entry.expect("readable assets directory").path();
            let name = path.file_name().and_then(|name| name.to_str()).expect("UTF-8 asset names").to_string();
            (name, std::fs::read(&path).expect("readable asset"))
        })
        .collect();
    files.push(("plotly.min.js".into(), plotly_js().into_bytes()));
    files.sort();

    let mut table = String::new();
    let mut version = Fnv::default();
    for (name, content) in &files {
        version.write(name.as_bytes());
        version.write(content);
        let raw = out.join(name);
        write_compressed(&raw, content);
        writeln!(
            table,
            "    Asset {{ name: {name:?}, content_type: {content_type:?}, raw: include_bytes!({raw:?}), \
             gzip: include_bytes!({gz:?}), brotli: include_bytes!({br:?}) }},",
            content_type = content_type(name),
            raw = raw.display().to_string(),
            gz = out.join(format!("{name}.gz")).display().to_string(),
            br = out.join(format!("{name}.br")).display().to_string(),
        )
        .expect("writing to a String");
    }
    let generated = format!(
        "/// Changes with the content of any file: part of every asset's URL.\n\
         pub const VERSION: &str = \"{:012x}\";\n\n\
         pub static ASSETS: &[Asset] = &[\n{table}];\n",
        version.0 & 0xffff_ffff_ffff
    );
    std::fs::write(out.join("assets.rs"), generated).expect("writable OUT_DIR");
}

/// plotly.js alone, out of the plotly crate's offline script tags (it ships MathJax too).
fn plotly_js() -> String {
    let sources = plotly::Plot::offline_js_sources();
    let script = sources
        .split_once('>')
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(script, _)| script.to_string())
        .expect("the plotly crate's offline sources start with a script tag");
    assert!(script.starts_with(PLOTLY_BANNER), "the first offline script of the plotly crate is not plotly.js");
    script
}

/// Writes `path` and its `.gz` and `.br` forms, unless an earlier run of this build
/// script already wrote them for the same content (plotly.js takes the longest).
fn write_compressed(path: &Path, content: &[u8]) {
    let with = |extension: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(extension);
        PathBuf::from(name)
    };
    let mut digest = Fnv::default();
    digest.write(content);
    let stamp = with(".stamp");
    let fingerprint = format!("{:016x}:{}", digest.0, content.len());
    if std::fs::read_to_string(&stamp).is_ok_and(|written| written == fingerprint) {
        return;
    }
    std::fs::write(path, content).expect("writable OUT_DIR");
    std::fs::write(with(".gz"), gzip(content)).expect("writable OUT_DIR");
    std::fs::write(with(".br"), brotli(content)).expect("writable OUT_DIR");
    std::fs::write(stamp, fingerprint).expect("writable OUT_DIR");
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        other => panic!("dashboard/assets/{name}: no content type for {other:?}; add one in build.rs"),
    }
}

fn gzip(content: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(content).expect("compressing in memory");
    encoder.finish().expect("compressing in memory")
}

fn brotli(content: &[u8]) -> Vec<u8> {
    let mut compressed = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &content[..], &mut compressed, &params).expect("compressing in memory");
    compressed
}

/// FNV-1a, 64 bits: stable across toolchains, unlike the standard library's hasher.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
