//! The bundled rule set (SigmaHQ's and vigil's own, every modifier SigmaHQ uses) survives the
//! rule cache exactly: a load served from the cache equals a plain load.

use std::path::{Path, PathBuf};
use vigil_sigma::{CacheOptions, LoadOptions, load_rules, load_rules_cached};

#[test]
fn bundled_rules_come_back_from_the_cache_unchanged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let paths: Vec<PathBuf> = vec![root.join("sigmahq"), root.join("vigil")];
    let tmp = tempfile::tempdir().unwrap();
    let cache = CacheOptions {
        dir: tmp.path().to_path_buf(),
        version: "test".into(),
    };
    let opts = LoadOptions::default();
    let (_, _, first) = load_rules_cached(&paths, &opts, &cache);
    assert!(first.written && first.parsed > 2_000, "{first:?}");
    let (set, errors, second) = load_rules_cached(&paths, &opts, &cache);
    assert_eq!(second.reused, second.files, "{second:?}");
    assert_eq!(second.parsed, 0);
    let (plain_set, plain_errors) = load_rules(&paths, &opts);
    assert_eq!(set.rules.len(), plain_set.rules.len());
    assert_eq!(set, plain_set);
    assert_eq!(errors, plain_errors);
}
