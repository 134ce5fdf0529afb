//! Sets the linker flags a Node addon needs on every platform.

fn main() {
    napi_build::setup();
}
