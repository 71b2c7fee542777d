//! Typed bindings to both generations of Pelm's Connect script. Private to the
//! `connect` module: the hook is the public face.

use crate::language::t;
use js_sys::{Function, Object, Promise, Reflect};
use pelm_app_logic::words::connect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `window.PelmConnect` of the legacy script (`/connect/pelm-connect.js`).
    pub(super) type LegacyConnect;
    #[wasm_bindgen(method, catch)]
    pub(super) fn create(this: &LegacyConnect, config: &Object) -> Result<Promise, JsValue>;

    /// What the legacy `create` resolves to.
    pub(super) type LegacyHandle;
    #[wasm_bindgen(method, catch, js_name = open)]
    pub(super) fn open_handle(this: &LegacyHandle) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = exit)]
    pub(super) fn exit_handle(this: &LegacyHandle) -> Result<(), JsValue>;

    /// `window.PelmConnect` of the current script (`initialize.js`).
    pub(super) type CurrentConnect;
    #[wasm_bindgen(method, catch)]
    pub(super) fn initialize(this: &CurrentConnect, config: &Object) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = open)]
    pub(super) fn open_current(this: &CurrentConnect) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = exit)]
    pub(super) fn exit_current(this: &CurrentConnect) -> Result<(), JsValue>;
}

/// Which API the loaded script offers, found at run time.
pub(super) enum Generation {
    Legacy(LegacyConnect),
    Current(CurrentConnect),
}

fn has_function(target: &JsValue, name: &str) -> bool {
    Reflect::get(target, &JsValue::from_str(name)).is_ok_and(|f| f.is_instance_of::<Function>())
}

pub(super) fn detect() -> Result<Generation, String> {
    let global = js_sys::global();
    let connect = Reflect::get(&global, &JsValue::from_str("PelmConnect")).unwrap_or(JsValue::UNDEFINED);
    if connect.is_undefined() || connect.is_null() {
        return Err(t(connect::NO_GLOBAL).to_owned());
    }
    if has_function(&connect, "initialize") && has_function(&connect, "open") {
        Ok(Generation::Current(connect.unchecked_into()))
    } else if has_function(&connect, "create") {
        Ok(Generation::Legacy(connect.unchecked_into()))
    } else {
        Err(t(connect::NO_API).to_owned())
    }
}

/// A JS exception as text, for errors and the console.
pub(super) fn describe(err: &JsValue) -> String {
    if let Some(error) = err.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    err.as_string().unwrap_or_else(|| "unknown error".to_owned())
}

pub(super) fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a plain object we just made cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}
