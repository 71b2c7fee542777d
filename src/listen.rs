//! Listening to the DOM for as long as the reactive owner lives. The
//! closure is owned here: when the owner is cleaned up (its view unmounted,
//! or the effect it ran in run again) the listener is removed and the closure
//! released, with nothing `forget()`-ed.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Calls `handler` with each of `names` that reaches `target`.
pub fn listen(
    target: &web_sys::EventTarget,
    names: &'static [&'static str],
    handler: impl FnMut(web_sys::Event) + 'static,
) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let function: js_sys::Function = closure.as_ref().unchecked_ref::<js_sys::Function>().clone();
    for name in names {
        let _ = target.add_event_listener_with_callback(name, &function);
    }
    let owned = StoredValue::new_local(Some(closure));
    let target = target.clone();
    on_cleanup(move || {
        for name in names {
            let _ = target.remove_event_listener_with_callback(name, &function);
        }
        owned.update_value(|closure| drop(closure.take()));
    });
}

/// Whether `event` happened outside `element`: a press elsewhere on the page.
pub fn outside(event: &web_sys::Event, element: &web_sys::Node) -> bool {
    let target = event.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
    !element.contains(target.as_ref())
}
