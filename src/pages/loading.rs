//! What a view shows while its data comes: words, and placeholders in the
//! shape of what is coming.

use leptos::prelude::*;

/// The shape of what is loading, so the placeholder looks like what comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skeleton {
    Cards,
    Chart,
    Table,
}

impl Skeleton {
    fn name(self) -> &'static str {
        match self {
            Skeleton::Cards => "cards",
            Skeleton::Chart => "chart",
            Skeleton::Table => "table",
        }
    }
}

/// A loading state: the words (read out once), placeholders in the shape of
/// what is coming, and a progress bar that shows only if it takes over half
/// a second (a CSS delay, so quick answers never flash it).
pub fn loading(message: impl IntoView + 'static, shape: Skeleton) -> impl IntoView {
    let blocks = match shape {
        Skeleton::Cards => view! {
            <div class="pe-skeleton-cards"><span class="pe-skeleton"></span><span class="pe-skeleton"></span></div>
        }
        .into_any(),
        Skeleton::Chart => view! { <span class="pe-skeleton pe-skeleton-chart"></span> }.into_any(),
        Skeleton::Table => view! {
            <div class="pe-skeleton-rows">
                <span class="pe-skeleton"></span><span class="pe-skeleton"></span><span class="pe-skeleton"></span>
            </div>
        }
        .into_any(),
    };
    view! {
        <div class="pe-loading" aria-busy="true" data-loading=shape.name()>
            <p class="pe-status" role="status" aria-live="polite">{message}</p>
            <div class="pe-progress" aria-hidden="true"><span></span></div>
            <div aria-hidden="true">{blocks}</div>
        </div>
    }
}
