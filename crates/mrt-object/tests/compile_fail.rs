//! Compile-time guarantees of the handle types (design §2), pinned with trybuild.
#![allow(missing_docs)]

#[test]
fn handles_cannot_escape_or_cross_threads() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
