//! Every `.wgsl` file in `shaders/` parses and validates with naga, as the
//! GPU backend compiles it (kernel files behind the `common.wgsl`
//! prelude). No GPU needed.

use gradlab_core::gpu::shaders::{Kernel, COMMON};

fn validate(name: &str, source: &str) {
    let module = naga::front::wgsl::parse_str(source).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
}

#[test]
fn every_wgsl_file_validates() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shaders");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "wgsl")).collect();
    files.sort();
    assert!(files.len() >= 4, "found only {files:?}");
    validate("common.wgsl", COMMON);
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name == "common.wgsl" {
            continue;
        }
        let kernel = Kernel::ALL
            .into_iter()
            .find(|k| k.file_name() == name)
            .unwrap_or_else(|| panic!("{name} is not registered in gpu::shaders::Kernel"));
        // The registry embeds the file on disk, not a stale copy.
        assert!(kernel.source().ends_with(&std::fs::read_to_string(&path).unwrap()), "{name}");
        validate(&name, &kernel.source());
    }
}
