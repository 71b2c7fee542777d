//! Helpers shared by the browser tests.

use std::time::Duration;

use pelm_energy::timer::sleep;
use web_sys::Element;

/// The first match of `css` inside `host`, waited for up to ten seconds.
pub async fn wait_for(host: &Element, css: &str) -> Element {
    for _ in 0..400 {
        if let Some(found) = host.query_selector(css).unwrap() {
            return found;
        }
        sleep(Duration::from_millis(25)).await;
    }
    panic!("{css} never appeared; host holds: {}", host.inner_html());
}
