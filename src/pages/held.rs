//! One meter's usage as the usage page holds it: at each level the companion
//! was asked for, the spans that came, and the requests still on their way,
//! so that no span is asked for twice, however many parts of the page want it.

use std::future::Future;
use std::sync::Arc;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::pelm::{Account, MeterType};
use pelm_usage::{aggregate, first_need, Columns, Detail, Level, RangeChoice, Viewport, Zone};

use crate::api::{columns_once, Asked, Calls, Endpoint};
use crate::locale::local_zone;
use crate::nav::Nav;
use crate::timer::now;

/// The range a URL's `range` names, or the default.
pub(super) fn range_of(slug: Option<&str>) -> RangeChoice {
    slug.and_then(RangeChoice::from_slug).unwrap_or_default()
}

/// The meter a URL's `meter` names among the account's, or its first.
pub(super) fn meter_of(meters: &[MeterType], asked: Option<&str>) -> MeterType {
    asked.and_then(|m| meters.iter().copied().find(|k| k.as_str().eq_ignore_ascii_case(m))).unwrap_or(meters[0])
}

/// What the usage page of `account` at the current address asks for first:
/// for starting that request before the page is built (see [`FirstData`]).
pub(crate) fn first_request(account: &Account, nav: Nav) -> (Asked, Level, Viewport) {
    let meter = meter_of(&account.meter_types(), nav.query("meter").get_untracked().as_deref());
    let range = range_of(nav.query("range").get_untracked().as_deref());
    let chosen = nav.query("level").get_untracked().as_deref().and_then(Level::from_name);
    let zone = local_zone();
    let (level, span) = first_need(range.bounds(now(), &zone), chosen, &zone);
    (Asked { account_id: account.id.clone(), meter }, level, span)
}

type Flight = Shared<LocalBoxFuture<'static, Result<(), Problem>>>;
type Answer = Shared<LocalBoxFuture<'static, Result<Arc<Columns>, Problem>>>;

/// The first view's data, asked for the moment the connected pages start,
/// before the page that shows it is built: building it takes a while, and
/// the request need not wait. The page's own request for the same takes it.
#[derive(Clone, Copy)]
pub struct FirstData(StoredValue<Option<(Asked, Level, Viewport, Answer)>, LocalStorage>);

impl FirstData {
    pub fn start(endpoint: Endpoint, asked: Asked, level: Level, span: Viewport) -> Self {
        let sent = asked.clone();
        let answer =
            async move { columns_once(endpoint, &sent, level, span).await.map(Arc::new) }.boxed_local().shared();
        // Polled once here, so the request leaves now rather than after the
        // pages being built meanwhile; then driven to its end, whoever awaits it.
        let _ = answer.clone().now_or_never();
        leptos::task::spawn_local(answer.clone().map(drop));
        Self(StoredValue::new_local(Some((asked, level, span, answer))))
    }

    /// The answer for exactly this request, once.
    fn take(&self, asked: &Asked, level: Level, span: Viewport) -> Option<Answer> {
        self.0
            .try_update_value(|first| match first {
                Some((a, l, s, _)) if a == asked && *l == level && *s == span => {
                    first.take().map(|(.., answer)| answer)
                }
                _ => None,
            })
            .flatten()
    }
}

#[derive(Clone, Copy)]
pub struct MeterData {
    pub detail: RwSignal<Detail>,
    asked: StoredValue<Asked>,
    flying: StoredValue<Vec<(Level, Viewport, Flight)>, LocalStorage>,
    first: Option<FirstData>,
}

impl MeterData {
    pub fn new(asked: Asked) -> Self {
        Self {
            detail: RwSignal::new(Detail::default()),
            asked: StoredValue::new(asked),
            flying: StoredValue::new_local(Vec::new()),
            first: use_context::<FirstData>(),
        }
    }

    /// Data held already over `span`: the intervals, and the hours and days
    /// summed from them in `zone`, as the companion would answer them. For
    /// a page that has the intervals at hand (the chart's tests).
    pub fn holding(asked: Asked, intervals: &Columns, span: Viewport, zone: &impl Zone) -> Self {
        let this = Self::new(asked);
        this.detail.update(|detail| {
            detail.insert(Level::Raw, span, intervals);
            for level in [Level::Hourly, Level::Daily] {
                detail.insert(level, span, &Columns::from_bins(&aggregate(intervals, level, zone)));
            }
        });
        this
    }

    pub fn asked(&self) -> Asked {
        self.asked.get_value()
    }

    /// Asks `calls` for the parts of `span` at `level` that are neither held
    /// nor on their way, and resolves once all of `span` has come, or with
    /// the first failure.
    pub fn ensure(self, calls: Calls, level: Level, span: Viewport) -> impl Future<Output = Result<(), Problem>> {
        let missing = self.detail.with_untracked(|d| d.held(level).missing(span));
        let flights: Vec<Flight> = missing.into_iter().map(|part| self.flight(calls, level, part)).collect();
        async move {
            for flight in flights {
                flight.await?;
            }
            Ok(())
        }
    }

    /// The request for `part` at `level`: one on its way that covers it, or a new one.
    fn flight(self, calls: Calls, level: Level, part: Viewport) -> Flight {
        let covering = self.flying.with_value(|flying| {
            flying
                .iter()
                .find(|(l, s, _)| *l == level && s.from <= part.from && part.to <= s.to)
                .map(|(.., f)| f.clone())
        });
        if let Some(flight) = covering {
            return flight;
        }
        let asked = self.asked.get_value();
        let early = self.first.and_then(|first| first.take(&asked, level, part));
        let flight = async move {
            // An early answer that failed is asked again, with the page's retries and words.
            let early = match early {
                Some(early) => early.await.ok(),
                None => None,
            };
            let answer = match early {
                Some(columns) => Ok(Arc::unwrap_or_clone(columns)),
                None => calls.columns(&asked, level, part).await,
            };
            self.flying.try_update_value(|flying| flying.retain(|(l, s, _)| !(*l == level && *s == part)));
            let columns = answer?;
            self.detail.try_update(|detail| detail.insert(level, part, &columns));
            Ok(())
        }
        .boxed_local()
        .shared();
        self.flying.update_value(|flying| flying.push((level, part, flight.clone())));
        flight
    }
}
