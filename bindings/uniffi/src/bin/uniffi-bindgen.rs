//! UniFFI's generator (`uniffi-bindgen generate --library … --language kotlin`), built
//! from the same uniffi as the library so the glue always matches the scaffolding.

fn main() {
    uniffi::uniffi_bindgen_main()
}
