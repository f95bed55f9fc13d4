//! The production binary's default build holds no vendor simulator: they come only with
//! the `demo` feature, and without it `scimbridge demo` says how to get one.

use std::process::Command;

/// The packages `scimbridge` links (no dev-dependencies) with `features` on.
fn linked_packages(features: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .args(["-p", "scimbridge", "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}", "--offline", "--locked"])
        .args(features)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn simulators_are_linked_only_with_the_demo_feature() {
    let default = linked_packages(&[]);
    assert!(default.iter().any(|p| p == "store"), "{default:?}");
    assert!(
        !default.iter().any(|p| p == "simulators"),
        "the default build links the simulators: {default:?}"
    );
    let demo = linked_packages(&["--features", "demo"]);
    assert!(demo.iter().any(|p| p == "simulators"), "{demo:?}");
}

#[cfg(not(feature = "demo"))]
#[test]
fn without_the_feature_the_demo_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scimbridge"))
        .current_dir(dir.path())
        .arg("demo")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--features demo"), "{stderr}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "it writes nothing"
    );
}
