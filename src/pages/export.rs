//! The usage shown as a CSV or a Green Button file, made in the browser a
//! slice at a time: each slice stops after [`SLICE_MS`], the page gets the
//! next frame, and a progress bar says how far it is. The text goes to a
//! `Blob` slice by slice, so a million intervals never sit in wasm memory as
//! one string. The CSV holds the periods shown; the Green Button file every
//! interval in view, which the page asks the companion for first, a year at
//! a time, saying how far it has come.

use crate::language::{t, tf};
use pelm_app_logic::words::export;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use pelm_model::pelm::MeterType;
use pelm_usage::{file_name, local_day, Columns, CsvExport, EspiExport, EspiMeter, Viewport};

use crate::api::use_calls;
use crate::chart::{ChartData, Compared};
use crate::locale::local_zone;
use crate::pages::held::MeterData;
use crate::pages::part::NotLoaded;

/// Work per slice before the page gets a turn: well under the 200 ms a
/// user feels as a freeze, with room for a slow phone's slower slice.
pub const SLICE_MS: f64 = 40.0;

/// Rows written between looks at the clock.
const ROWS_PER_LOOK: usize = 500;

/// Where the data came from, for the file's name and the feed's title.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    pub utility: String,
    pub account_number: String,
    pub meter: Option<MeterType>,
}

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// A file made in slices: the parts for a `Blob`, and the longest slice, ms.
pub struct Made {
    pub parts: js_sys::Array,
    pub longest_slice_ms: f64,
}

/// Runs `step` (write up to n rows into the string; `false` when done) in
/// slices of at most about [`SLICE_MS`], yielding to the page between them
/// and reporting the share done to `progress`.
pub async fn in_slices(
    mut step: impl FnMut(&mut String, usize) -> bool,
    estimate: usize,
    progress: impl Fn(f64),
) -> Made {
    let (parts, mut written, mut longest) = (js_sys::Array::new(), 0usize, 0.0f64);
    loop {
        let started = now();
        let mut slice = String::new();
        let mut more = true;
        while more && now() - started < SLICE_MS {
            more = step(&mut slice, ROWS_PER_LOOK);
            written += ROWS_PER_LOOK;
        }
        parts.push(&slice.into());
        longest = longest.max(now() - started);
        progress((written as f64 / estimate as f64).min(1.0));
        if !more {
            return Made { parts, longest_slice_ms: longest };
        }
        crate::timer::sleep(Duration::ZERO).await;
    }
}

/// The CSV of the periods of `data` in `view`, with the comparison's columns.
pub async fn csv(data: &ChartData, compared: Option<&Compared>, view: Viewport, progress: impl Fn(f64)) -> Made {
    let zone = local_zone();
    let mut export = CsvExport::new(&data.usage.columns, data.level, view.from, view.to, &data.unit, &zone)
        .with_emissions_unit(&data.emissions_unit);
    if let Some(compared) = compared {
        export = export.with_comparison(&compared.series.columns, compared.compare().column());
    }
    let estimate = export.estimate();
    in_slices(|out, rows| export.write(out, rows), estimate, progress).await
}

/// The Green Button feed of the raw intervals in `view`.
pub async fn espi(columns: &Columns, view: Viewport, meter: EspiMeter, progress: impl Fn(f64)) -> Made {
    let zone = local_zone();
    let mut export = EspiExport::new(columns, view.from, view.to, meter, &zone);
    let estimate = export.estimate();
    let step = |out: &mut String, rows: usize| {
        let mut bytes = Vec::new();
        let more = export.write(&mut bytes, rows);
        out.push_str(&String::from_utf8_lossy(&bytes));
        more
    };
    in_slices(step, estimate, progress).await
}

/// One file to make, with everything it is made from.
pub struct Job {
    pub kind: Kind,
    /// The raw intervals, for the Green Button file.
    pub columns: Arc<Columns>,
    /// The periods at the level shown, for the CSV.
    pub data: Arc<ChartData>,
    pub compared: Option<Arc<Compared>>,
    pub view: Viewport,
    pub source: Source,
    pub unit: String,
}

impl Job {
    /// The file's name and its parts.
    async fn make(self, progress: impl Fn(f64)) -> (String, Made) {
        let Job { kind, columns, data, compared, view, source, unit } = self;
        let made = match kind {
            Kind::Csv => csv(&data, compared.as_deref(), view, progress).await,
            Kind::Espi => {
                let meter = EspiMeter {
                    gas: source.meter == Some(MeterType::Gas),
                    unit,
                    title: match pelm_model::pelm::last_four(&source.account_number) {
                        Some(shown) => tf(export::TITLE_ENDING, &[("utility", &source.utility), ("last_four", &shown)]),
                        None => tf(export::TITLE, &[("utility", &source.utility)]),
                    },
                    updated: crate::timer::now(),
                };
                espi(&columns, view, meter, progress).await
            }
        };
        let zone = local_zone();
        let name = file_name(
            &source.utility,
            &source.account_number,
            source.meter.map_or("usage", MeterType::as_str),
            local_day(view.from, &zone),
            local_day(view.to - 1, &zone),
            kind.ext(),
        );
        (name, made)
    }
}

type Making = Pin<Box<dyn Future<Output = (String, Made)>>>;

/// Starts making a file. In a release build the writers (and quick-xml) are
/// a wasm part of their own, fetched the first time a user asks for a file:
/// nobody else pays for them.
#[cfg(pelm_split)]
#[leptos::wasm_split::wasm_split(exports, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn make_file(job: Job, progress: Box<dyn Fn(f64)>) -> Result<Making, NotLoaded> {
    Ok(Box::pin(job.make(progress)))
}

#[cfg(not(pelm_split))]
pub async fn make_file(job: Job, progress: Box<dyn Fn(f64)>) -> Result<Making, NotLoaded> {
    Ok(Box::pin(job.make(progress)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Espi,
}

impl Kind {
    fn ext(self) -> &'static str {
        match self {
            Kind::Csv => "csv",
            Kind::Espi => "xml",
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Kind::Csv => "text/csv;charset=utf-8",
            Kind::Espi => "application/atom+xml;charset=utf-8",
        }
    }

    fn name(self) -> &'static str {
        t(match self {
            Kind::Csv => export::CSV,
            Kind::Espi => export::ESPI,
        })
    }
}

/// An export under way, or the file it made.
#[derive(Debug, Clone, PartialEq)]
enum State {
    Idle,
    /// Asking the companion for the intervals, this share of them come.
    Fetching(Kind, f64),
    Making(Kind, f64),
    Made {
        kind: Kind,
        url: String,
        name: String,
        longest_ms: f64,
    },
    Failed(Kind),
}

/// The intervals of `view`, asked of the companion a year at a time (what
/// the page holds already is not asked again), `progress` told the share come.
async fn intervals_in(
    held: MeterData,
    calls: crate::api::Calls,
    view: Viewport,
    progress: impl Fn(f64),
) -> Result<Arc<Columns>, pelm_app_logic::problem::Problem> {
    const YEAR: i64 = 365 * 86_400;
    let pieces = ((view.span() + YEAR - 1) / YEAR).max(1);
    for i in 0..pieces {
        let from = view.from + i * YEAR;
        let piece = Viewport::new(from, (from + YEAR).min(view.to));
        held.ensure(calls, pelm_usage::Level::Raw, piece).await?;
        progress((i + 1) as f64 / pieces as f64);
    }
    Ok(held.detail.with_untracked(|d| d.held(pelm_usage::Level::Raw).columns.clone()))
}

/// The two download buttons and what they are doing.
#[component]
pub fn Exports(
    /// The meter's data, whose intervals the Green Button file holds.
    held: MeterData,
    /// The periods at the level shown, for the CSV.
    data: Signal<Arc<ChartData>>,
    compared: Signal<Option<Arc<Compared>>>,
    view: RwSignal<Viewport>,
    source: Source,
    unit: String,
) -> impl IntoView {
    let state = RwSignal::new(State::Idle);
    let calls = use_calls();
    let busy = move || matches!(state.get(), State::Making(..) | State::Fetching(..));
    let start = move |kind: Kind| {
        if busy() {
            return;
        }
        let (data, compared, view) = (data.get_untracked(), compared.get_untracked(), view.get_untracked());
        let (source, unit) = (source.clone(), unit.clone());
        state.set(match kind {
            Kind::Espi => State::Fetching(kind, 0.0),
            Kind::Csv => State::Making(kind, 0.0),
        });
        leptos::task::spawn_local(async move {
            let columns = match kind {
                Kind::Csv => Arc::default(),
                Kind::Espi => {
                    let fetched = intervals_in(held, calls, view, move |share| {
                        state.try_set(State::Fetching(kind, share));
                    });
                    match fetched.await {
                        Ok(columns) => columns,
                        Err(_) => {
                            state.try_set(State::Failed(kind));
                            return;
                        }
                    }
                }
            };
            state.try_set(State::Making(kind, 0.0));
            let progress = Box::new(move |share: f64| {
                state.try_set(State::Making(kind, share));
            });
            let job = Job { kind, columns, data, compared, view, source, unit };
            let next = match make_file(job, progress).await {
                Ok(making) => {
                    let (name, made) = making.await;
                    match blob_url(&made.parts, kind.mime()) {
                        Some(url) => {
                            save(&url, &name);
                            State::Made { kind, url, name, longest_ms: made.longest_slice_ms }
                        }
                        None => State::Failed(kind),
                    }
                }
                Err(NotLoaded) => State::Failed(kind),
            };
            // The file made before is let go.
            if let Some(State::Made { url, .. }) = state.try_get_untracked() {
                let _ = web_sys::Url::revoke_object_url(&url);
            }
            state.try_set(next);
        });
    };
    let start_csv = start.clone();
    let status = move || status_view(state.get());
    view! {
        <div class="pe-actions pe-exports">
            <button type="button" class="pe-button" data-action="export-csv" disabled=busy
                on:click=move |_| start_csv(Kind::Csv)>{t(export::DOWNLOAD_CSV)}</button>
            <button type="button" class="pe-button" data-action="export-espi" disabled=busy
                title=t(export::ESPI_HINT)
                on:click=move |_| start(Kind::Espi)>{t(export::DOWNLOAD_ESPI)}</button>
            <p class="pe-status pe-export-status" role="status">{status}</p>
        </div>
    }
}

/// What an export is doing, in words, with a link to the file once made.
fn status_view(state: State) -> Option<AnyView> {
    let view = match state {
        State::Idle => return None,
        State::Fetching(kind, share) => view! {
            <span>{tf(export::FETCHING, &[("file", kind.name())])}</span>
            <progress max="100" value=format!("{:.0}", share * 100.0) aria-label=t(export::FETCHING_LABEL)></progress>
        }
        .into_any(),
        State::Making(kind, share) => view! {
            <span>{tf(export::MAKING, &[("file", kind.name())])}</span>
            <progress max="100" value=format!("{:.0}", share * 100.0) aria-label=tf(export::MAKING_LABEL, &[("file", kind.name())])></progress>
        }
        .into_any(),
        State::Made { kind, url, name, longest_ms } => view! {
            <span>{tf(export::READY, &[("file", kind.name())])}" "</span>
            <a href=url download=name.clone() data-export=kind.ext() data-longest-slice-ms=format!("{longest_ms:.0}")>{name.clone()}</a>
        }
        .into_any(),
        State::Failed(kind) => {
            let said = tf(export::FAILED, &[("file", kind.name())]);
            view! { <span>{said}</span> }.into_any()
        }
    };
    Some(view)
}

fn blob_url(parts: &js_sys::Array, mime: &str) -> Option<String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Hands the file to the browser's download, as a click on a link would.
fn save(url: &str, name: &str) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(link) = document.create_element("a") else { return };
    let link: web_sys::HtmlAnchorElement = link.unchecked_into();
    link.set_href(url);
    link.set_download(name);
    link.click();
}
