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

/// The repository's root.
fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every kernel file names its Rust owner (a module of its own name), its
/// CPU twin and its parity test in its first lines, and every path named
/// exists.
#[test]
fn every_wgsl_file_names_its_owner_twin_and_test() {
    for entry in std::fs::read_dir(root().join("shaders")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wgsl") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let field = |key: &str| -> Vec<String> {
            let line = text
                .lines()
                .take(6)
                .find_map(|l| l.strip_prefix(&format!("// {key}:")))
                .unwrap_or_else(|| panic!("{name}.wgsl: no `// {key}:` line at its top"));
            // Paths are the words with a slash and a file extension.
            line.split([' ', ',', '(', ')', ';']).filter(|w| w.contains('/') && w.contains('.')).map(str::to_owned).collect()
        };
        let owner = field("Rust owner");
        assert!(
            owner.first().is_some_and(|o| o.ends_with(&format!("/{name}.rs")) || o.ends_with(&format!("/{name}/mod.rs"))),
            "{name}.wgsl: its owner should be a module named {name}: {owner:?}"
        );
        for p in [owner, field("CPU twin"), field("Parity test")].concat() {
            assert!(root().join(&p).is_file(), "{name}.wgsl names {p}, which does not exist");
        }
    }
}

/// The Rust twins of the argument structs have the size naga lays their
/// WGSL out with.
#[test]
fn rust_twins_of_wgsl_structs_have_their_size() {
    let module = naga::front::wgsl::parse_str(COMMON).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let size = |name: &str| {
        let (handle, _) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no struct {name}"));
        layouter[handle].size as usize
    };
    assert_eq!(size("DispatchArgs"), std::mem::size_of::<gradlab_core::gpu::DispatchArgs>());
    assert_eq!(size("StepArgs"), std::mem::size_of::<gradlab_core::gpu::StepArgs>());
    let factor = naga::front::wgsl::parse_str(&Kernel::Factor.source()).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(factor.to_ctx()).unwrap();
    let (handle, _) = factor.types.iter().find(|(_, t)| t.name.as_deref() == Some("FactorOp")).expect("no struct FactorOp");
    assert_eq!(layouter[handle].size as usize, std::mem::size_of::<gradlab_core::gpu::factor::FactorOp>());
}
