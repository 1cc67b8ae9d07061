//! The tidy checks as a test, so that `cargo test` enforces them as `cargo xtask ci` does.

#[test]
fn workspace_is_tidy() {
    let problems = xtask::tidy::check(&xtask::project_root());
    assert!(
        problems.is_empty(),
        "tidy found {} problem(s); `cargo xtask tidy` lists them too:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
