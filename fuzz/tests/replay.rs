//! Every committed corpus file through its target's harness, on stable Rust and without
//! libFuzzer: what the fuzzers found interesting once must keep passing (`scripts/fuzz replay`).

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, target) in ketentafel_fuzz::TARGETS {
        let folder = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("the corpus of {name} at {}: {e}", folder.display()))
            .map(|entry| entry.expect("a readable corpus folder").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "the corpus of {name} is empty");
        for file in &files {
            let data = std::fs::read(file).expect("a readable corpus file");
            if let Err(panic) = std::panic::catch_unwind(|| target(&data)) {
                panic!("{name} fails on {}: {panic:?}", file.display());
            }
        }
        eprintln!("{name}: {} inputs", files.len());
    }
}
