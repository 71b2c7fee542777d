//! How any error is shown: what happened and what to do, in plain words; a
//! way forward (try again, or back to the accounts); and, folded away, the
//! details support needs, with a button that copies them.

use crate::language::{t, tf};
use leptos::prelude::*;
use pelm_app_logic::kind::Kind;
use pelm_app_logic::problem::Problem;
use pelm_app_logic::words::{common, problem as pw};
use wasm_bindgen_futures::JsFuture;

use crate::host::{text, use_host};
use crate::nav::use_nav;

#[component]
pub fn ProblemView(
    problem: Problem,
    /// Asks again; offered only where asking again can change the answer.
    retry: Option<Callback<()>>,
) -> impl IntoView {
    let kind = problem.kind;
    let accounts = use_nav().href("/");
    if let Some(host) = use_host() {
        host.emit(
            "error",
            &[
                ("kind", text(kind.name())),
                ("code", problem.code.as_deref().and_then(text)),
                ("status", problem.status.map(|s| s.into())),
                ("request_id", problem.request_id.as_deref().and_then(text)),
                ("message", text(&problem.message)),
            ],
        );
    }
    // The server's own words, when ours are only those of the kind.
    let said = problem.said.clone().filter(|_| !problem.specific);
    let tries =
        (problem.attempts > 1).then(|| format!(" {}", tf(pw::TRIES, &[("count", &problem.attempts.to_string())])));
    let retry = retry.filter(|_| kind.can_try_again());
    let text = problem.details_text();
    let rows = problem
        .details(&|text| t(text).to_owned())
        .into_iter()
        .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
        .collect_view();
    let copied = RwSignal::new(None::<String>);
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let done = match web_sys::window() {
                Some(window) => JsFuture::from(window.navigator().clipboard().write_text(&text)).await.is_ok(),
                None => false,
            };
            copied.try_set(Some(t(if done { pw::COPIED } else { pw::NOT_COPIED }).to_owned()));
        });
    };
    view! {
        <div class="pe-notice pe-problem" role="alert" data-kind=kind.name() data-code=problem.code.clone()>
            <p class="pe-problem-message">{problem.message.clone()}</p>
            {said.map(|s| view! { <p class="pe-problem-said">{tf(pw::SAID, &[("said", &s)])}</p> })}
            <p class="pe-problem-next">{problem.next_step.clone()}{tries}</p>
            {retry.map(|retry| view! {
                <button class="pe-button" type="button" data-action="try-again" on:click=move |_| retry.run(())>
                    {t(common::TRY_AGAIN)}
                </button>
            })}
            {(kind == Kind::NotFound).then(|| view! { <a class="pe-link" href=accounts>{t(common::SEE_ACCOUNTS)}</a> })}
            <details class="pe-problem-details">
                <summary>{t(pw::DETAILS)}</summary>
                <dl>{rows}</dl>
                <button class="pe-chip" type="button" data-action="copy-details" on:click=copy>{t(pw::COPY)}</button>
                <span class="pe-status" role="status">{move || copied.get()}</span>
            </details>
        </div>
    }
}

/// An `ErrorBoundary`'s fallback: the first error as a [`ProblemView`],
/// never raw data, with `retry` behind its Try again.
pub fn problem_fallback(retry: Option<Callback<()>>) -> impl Fn(ArcRwSignal<Errors>) -> AnyView + Clone {
    move |errors: ArcRwSignal<Errors>| {
        view! {
            {move || {
                let problem = errors.with(|errors| {
                    errors.iter().next().map(|(_, err)| match err.downcast_ref::<Problem>() {
                        Some(problem) => problem.clone(),
                        // In the site's words too, like every other error.
                        None => crate::api::problem_without_answer(Kind::Other),
                    })
                });
                problem.map(|problem| view! { <ProblemView problem retry /> })
            }}
        }
        .into_any()
    }
}
